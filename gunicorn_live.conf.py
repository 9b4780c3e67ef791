"""gunicorn settings for the live sessions' own server: the paths under /live/ (the
server-sent-event streams of the session chats, and sending a message), next to the
pages' server of `make serve-prod` (README, "Live sessions").

An open session page holds one stream for as long as it is open. A sync worker would be
held by it (two streams per core and no page would be served), so the streams get their
own gunicorn with threaded workers: a stream waits in a thread of its own, asleep until
its room has a new message (portal/livechat/transport.py), and costs memory, not CPU.

    gunicorn -c gunicorn_live.conf.py --bind 127.0.0.1:5002 'portal:create_app()'

with the reverse proxy sending /live/ there (no buffering), everything else to the pages.
"""

import os

worker_class = "gthread"
# Processes: streams are spread over them; a message reaches a stream in another
# process through the database within LIVECHAT_POLL_SECONDS.
workers = int(os.environ.get("LIVE_WORKERS", "2"))
# One thread per open stream (a session page open in a browser: citizen or treater).
threads = int(os.environ.get("LIVE_THREADS", "1000"))
worker_connections = threads + 100
# A stream is a long request, not a stuck worker: gthread workers report to the master
# from their main loop, so `timeout` does not cut streams short.
timeout = 30
graceful_timeout = 10


def post_worker_init(worker) -> None:
    """The same refusal as the pages' server: no demo staff in production."""
    from portal.demo import refuse_demo_in_production

    refuse_demo_in_production(worker.wsgi)

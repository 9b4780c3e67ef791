"""gunicorn settings for `make serve-prod` (read from the working directory)."""

import multiprocessing
import os

# Sync workers: the search and the pages are CPU-bound, so threads would only contend
# for the GIL (`make bench` compares them). Two per core, because a chat turn holds its
# worker while Rasa answers (I/O): with one per core, two chats in flight would leave
# no worker for pages, and Rasa would idle while the workers pass on its answers
# (`make bench-chat`: 2 workers ~40 turns/s, 4 workers ~46 turns/s on 2 cores).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * multiprocessing.cpu_count())))


def post_worker_init(worker) -> None:
    """Each worker refuses to serve with demo staff in production (INDGANG_ENV) and
    builds its search index before taking requests."""
    from portal.catalogue.index import warm_up
    from portal.demo import refuse_demo_in_production

    refuse_demo_in_production(worker.wsgi)
    warm_up(worker.wsgi)

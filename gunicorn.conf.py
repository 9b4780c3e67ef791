"""gunicorn settings for `make serve-prod` (read from the working directory)."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: the search is CPU-bound, so threads would only contend for the GIL.


def post_worker_init(worker) -> None:
    """Each worker builds its search index before taking requests."""
    from portal.catalogue.service import warm_up

    warm_up(worker.wsgi)

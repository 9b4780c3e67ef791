"""Entry point for `flask` commands and WSGI servers: `gunicorn wsgi:app`."""

from portal import create_app
from portal.demo import refuse_demo_in_production

app = create_app()
refuse_demo_in_production(app)

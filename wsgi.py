"""WSGI entry point: ``gunicorn wsgi:app``."""

from passport.web import create_app

app = create_app()

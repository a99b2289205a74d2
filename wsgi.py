"""WSGI entry point: ``gunicorn wsgi:app``."""

from passport import create_app

app = create_app()

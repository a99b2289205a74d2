# The Skill Passport image: the `passport` command, gunicorn and the app (compose.yaml runs it
# as the web, the worker and the one-shot `passport init`).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md babel.cfg gunicorn.conf.py wsgi.py ./
COPY keys ./keys
COPY verifier ./verifier
COPY issuer ./issuer
COPY passport ./passport

# The gettext catalogs are compiled here (the .mo files are built, never committed), then the
# package is installed with them.
RUN pip install "Babel>=2.14" \
    && pybabel compile --statistics --directory passport/translations --domain messages \
    && pip install .

RUN useradd --system --home-dir /var/lib/passport --create-home passport
USER passport
ENV PASSPORT_INSTANCE_PATH=/var/lib/passport PORT=8000
EXPOSE 8000

CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "wsgi:app"]

"""Entry point for queue workers: `celery -A nanhaitong.jobs.worker:celery worker`."""

from nanhaitong import create_app

app = create_app()
celery = app.extensions["celery"]

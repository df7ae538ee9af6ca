"""What gunicorn serves: `gunicorn wsgi:app`."""

from nanhaitong import create_app

app = create_app()

"""The ceiling: a bare Flask app answering ``{}``, served with the same gunicorn settings as
the API. Each endpoint's throughput is reported as a ratio to this one's."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def empty():
    return {}

"""The live server's request handler: werkzeug's, except that the app's answer is always closed.

Closing the answer is what runs ``Response.call_on_close`` hooks, and so the work done
after the answer (``jobs.tasks.after_response``: a staff sign-in code is texted then).
gunicorn, which serves the app everywhere else (`make run`, `make run-prod`, production),
closes the answer in a ``finally`` after writing it. werkzeug's development server
(3.1) first drains the socket of anything the client sent beyond the request and only
then closes the answer, and the drain is inside the same ``finally``: when the client has
reset the connection, the drain's read raises ``ConnectionResetError`` and the close,
with every hook, is skipped (the error is swallowed as a dropped connection). A browser
resets exactly there: Chromium follows a redirect as soon as it has the headers and
closes the socket with the redirect's body unread, so the kernel answers with RST. The
console's sign-in form (a POST answered with a redirect) lost its SMS that way.
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

ANSWER = "nht.live_server.answer"


class ClosedOnce:
    """The app's answer, closed once whoever asks first (the server or ``Handler``)."""

    def __init__(self, answer):
        self.answer, self.closed = answer, False

    def __iter__(self):
        return iter(self.answer)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            close = getattr(self.answer, "close", None)
            if close is not None:
                close()


def answer(app, environ, start_response) -> ClosedOnce:
    """Call ``app`` and keep its answer where ``Handler`` finds it."""
    environ[ANSWER] = ClosedOnce(app(environ, start_response))
    return environ[ANSWER]


class Handler(WSGIRequestHandler):
    def run_wsgi(self) -> None:
        try:
            super().run_wsgi()
        finally:  # as gunicorn does: the answer is closed whatever happened to the connection
            pending = getattr(self, "environ", {}).get(ANSWER)
            if pending is not None:
                pending.close()

"""Run the sandbox alone: ``python -m integrations.sandbox --host 127.0.0.1 --port 8100``.

Served by gunicorn in one process (the simulators keep their state in memory) with a
pool of threads and HTTP keep-alive. Werkzeug's development server, which served it
before, closes every connection after one answer, so each upstream call from the API
paid for a new TCP connection and a new thread on top of the work itself.
"""

from __future__ import annotations

import argparse

from gunicorn.app.base import BaseApplication

from integrations.sandbox import create_sandbox_app

THREADS = 32
# Longer than the API's connections stay idle between calls under load, so a kept-alive
# connection is rarely closed by us just as the API reuses it.
KEEPALIVE_SECONDS = 75


class _Server(BaseApplication):
    def __init__(self, bind: str) -> None:
        self._settings = {
            "bind": bind, "workers": 1, "worker_class": "gthread", "threads": THREADS,
            "keepalive": KEEPALIVE_SECONDS, "timeout": 120, "graceful_timeout": 5,
            "accesslog": None, "errorlog": "-", "loglevel": "warning",
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._settings.items():
            self.cfg.set(name, value)

    def load(self):
        return create_sandbox_app()  # in the worker: fresh simulator state and platform keys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    host = f"[{args.host}]" if ":" in args.host else args.host
    _Server(f"{host}:{args.port}").run()


if __name__ == "__main__":
    main()

"""Run the sandbox alone: ``python -m integrations.sandbox --host 127.0.0.1 --port 8100``."""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from integrations.sandbox import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m integrations.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    run_simple(args.host, args.port, create_sandbox_app(), threaded=True)


if __name__ == "__main__":
    main()

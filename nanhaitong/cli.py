"""`flask openapi write|check`: keep openapi.yaml equal to what the code generates."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

openapi_cli = AppGroup("openapi", help="The checked-in OpenAPI document.")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
# libyaml's loader and dumper where PyYAML has them: the document is 15,000 lines, and the
# pure-Python ones took over two minutes for one check on a loaded two-core machine.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def render_spec() -> str:
    spec = current_app.extensions["nht.api"].spec.to_dict()
    return yaml.dump(spec, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=100)


@openapi_cli.command("write")
@click.argument("path", default=str(DEFAULT_PATH))
def write(path):
    """Write the generated spec to PATH (default: openapi.yaml at the top of the repo)."""
    Path(path).write_text(render_spec(), encoding="utf-8")
    click.echo(f"wrote {path}")


@openapi_cli.command("check")
@click.argument("path", default=str(DEFAULT_PATH))
def check(path):
    """Exit 1 when PATH differs from the generated spec."""
    current = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    if yaml.load(current or "{}", Loader=LOADER) != yaml.load(render_spec(), Loader=LOADER):
        click.echo(f"{path} is stale: run `make openapi`", err=True)
        sys.exit(1)
    click.echo(f"{path} is up to date")

"""`flask payments expire` and `flask payments reconcile --date YYYY-MM-DD [--channel]`."""

import sys

import click
from flask.cli import AppGroup

from ..cli_lazy import LazyChoice

payments_cli = AppGroup("payments", help="Payment jobs: expiry and reconciliation.")


@payments_cli.command("expire")
def expire():
    """Expire unpaid orders past their time (also a Celery task: payments.expire_orders)."""
    from .service import expire_due

    click.echo(f"expired {expire_due()} order(s)")


@payments_cli.command("reconcile")
@click.option("--date", "day", required=True, help="The statement's day, YYYY-MM-DD (China Standard Time)")
@click.option("--channel", type=LazyChoice("nanhaitong.payments.channels:CHANNELS"), default=None, help="Only this channel")
def reconcile(day, channel):
    """Compare the channels' statements with our orders; exit 1 on any mismatch."""
    from datetime import date

    from ..errors import AppError
    from .reconcile import reconcile_and_record

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD", param_hint="--date") from None
    try:
        found = reconcile_and_record(parsed, channel)
    except AppError as exc:
        click.echo(f"reconciliation failed: {exc.message} {exc.details}", err=True)
        sys.exit(2)
    for item in found:
        click.echo(f"MISMATCH {item['kind']} channel={item['channel']} out_trade_no={item['out_trade_no']} "
                   f"statement_amount_fen={item['statement_amount_fen']} our_amount_fen={item['our_amount_fen']} "
                   f"our_status={item['our_status']}")
    click.echo(f"{len(found)} mismatch(es) on {parsed.isoformat()}")
    if found:
        sys.exit(1)


@payments_cli.command("alert-stuck")
def alert_stuck():
    """Alert on orders waiting too long in refunding or fulfilment_failed (also a Celery task)."""
    from .admin import alert_stuck_orders

    click.echo(f"alerted on {alert_stuck_orders()} stuck order(s)")


@payments_cli.command("sandbox-register")
def sandbox_register():
    """Tell a separately running sandbox (NHT_SANDBOX_URL) our merchant keys, as a merchant
    does once in the WeChat Pay and Alipay consoles. Sandbox mode only."""
    from flask import current_app

    from .sandbox_setup import register_merchant_over_http

    if not current_app.config["SANDBOX"]:
        raise click.ClickException("only for the sandbox mode (NHT_SANDBOX=1)")
    register_merchant_over_http(current_app.config["SANDBOX_URL"], current_app.config)
    click.echo("registered the merchant with the sandbox gateways")

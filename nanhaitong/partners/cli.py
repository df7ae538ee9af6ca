"""`flask partners create|rotate|suspend|reinstate|list` and `flask partners webhooks dispatch|replay`.

Every command prints JSON; credentials are printed once, when made. Changes are audited
with the actor ``system:cli``.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from ..cli_lazy import LazyChoice

# The services are imported inside the commands: `flask partners --help` stays light
# (nanhaitong.cli_lazy).
SCOPES = LazyChoice("nanhaitong.partners.registry:ALL_SCOPES")

partners_cli = AppGroup("partners", help="Partner platforms (OpenAPI clients).")
webhooks_cli = AppGroup("webhooks", help="Webhook deliveries.")
partners_cli.add_command(webhooks_cli)
ACTOR = "system:cli"


def _echo(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _fail(error) -> None:
    fields = error.details.get("fields") if error.details else None
    detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()) if fields else ""
    click.echo(f"Error: {error.message}{' ' + detail if detail else ''} ({error.code})", err=True)
    sys.exit(1)


def _flat(partner, credentials=None) -> dict:
    from schemas.partners import PartnerSchema

    view = PartnerSchema().dump(partner)
    if credentials:
        view.update(credentials)
    return view


@partners_cli.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--scope", "scopes", multiple=True, required=True, type=SCOPES)
@click.option("--optional-scope", "optional_scopes", multiple=True, type=SCOPES)
@click.option("--purpose")
@click.option("--sector", help="Pairwise subject sector (partners of one sector see the same sub).")
@click.option("--auth-method", type=LazyChoice("nanhaitong.partners.registry:AUTH_METHODS"), default="client_secret_basic")
@click.option("--jwks-file", type=click.File("r"), help="The partner's public JWK set (private_key_jwt).")
@click.option("--jwks-uri")
@click.option("--webhook-url")
@click.option("--rate-limit", default=None, help="e.g. '120 per minute'")
@click.option("--daily-quota", type=int, default=None)
def create_command(name, redirect_uris, scopes, optional_scopes, purpose, sector, auth_method, jwks_file, jwks_uri,
                   webhook_url, rate_limit, daily_quota):
    """Register a partner; prints client_id, client_secret, app_id, hmac_secret, webhook_secret."""
    from ..errors import AppError
    from . import registry

    body = {"name": name, "redirect_uris": list(redirect_uris), "scopes": list(scopes),
            "optional_scopes": list(optional_scopes), "purpose": purpose, "sector": sector,
            "auth_method": auth_method, "jwks_uri": jwks_uri, "webhook_url": webhook_url,
            "rate_limit": rate_limit, "daily_quota": daily_quota}
    if jwks_file is not None:
        try:
            body["jwks"] = json.load(jwks_file)
        except ValueError:
            raise click.BadParameter("not JSON", param_hint="--jwks-file") from None
    try:
        partner, credentials = registry.create(body, actor=ACTOR)
    except AppError as error:
        _fail(error)
    _echo(_flat(partner, credentials))


@partners_cli.command("rotate")
@click.argument("client_id")
def rotate_command(client_id):
    """New secrets for the partner with CLIENT_ID (the old ones stop working at once)."""
    from . import registry

    partner = registry.by_client_id(client_id)
    if partner is None:
        click.echo("Error: no partner has this client_id (partner_not_found)", err=True)
        sys.exit(1)
    partner, credentials = registry.rotate(partner.id, actor=ACTOR)
    _echo(_flat(partner, credentials))


@partners_cli.command("suspend")
@click.argument("client_id")
def suspend_command(client_id):
    """Suspend the partner: tokens and signatures refused from the next call."""
    _set_status(client_id, "suspended")


@partners_cli.command("reinstate")
@click.argument("client_id")
def reinstate_command(client_id):
    """Lift a suspension."""
    _set_status(client_id, "active")


def _set_status(client_id: str, status: str) -> None:
    from . import registry

    partner = registry.by_client_id(client_id)
    if partner is None:
        click.echo("Error: no partner has this client_id (partner_not_found)", err=True)
        sys.exit(1)
    _echo(_flat(registry.set_status(partner.id, status, actor=ACTOR)))


@partners_cli.command("list")
def list_command():
    """Every partner (no secrets)."""
    from schemas.partners import PartnerSchema

    from . import registry

    items, _ = registry.list_partners(limit=1000, cursor=None)
    _echo(PartnerSchema(many=True).dump(items))


@webhooks_cli.command("dispatch")
def dispatch_command():
    """Send every pending delivery that is due (run from cron or a scheduler)."""
    from . import webhooks

    _echo({"attempted": webhooks.dispatch_due()})


@webhooks_cli.command("replay")
@click.argument("delivery_id")
def replay_command(delivery_id):
    """Send one delivery again now."""
    from schemas.partners import DeliverySchema

    from ..errors import AppError
    from . import webhooks

    try:
        delivery = webhooks.replay(delivery_id, actor=ACTOR)
    except AppError as error:
        _fail(error)
    _echo(DeliverySchema().dump(webhooks.with_attempts(delivery)))

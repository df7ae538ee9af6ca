"""Append-only, hash-chained audit log.

Each event's hash is an HMAC (keyed with NHT_AUDIT_KEY) over the previous event's hash
and the event's own canonical fields; a head row holds the last sequence number and
hash. ``verify_chain`` (``flask audit verify``) walks the chain and reports the first
event that was modified, deleted, reordered or inserted, and a truncated tail. The
database refuses UPDATE and DELETE on events (triggers created by the migration).
"""


def init_app(app, api) -> None:
    from .routes import admin_audit_events_blp

    api.register_blueprint(admin_audit_events_blp)

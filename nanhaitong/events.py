"""Domain events: one domain announces a fact, others listen; neither imports the other.

Receivers run synchronously, inside the sender's transaction, before it commits. They
write rows (an outbox, an inbox message) and never call out over the network: a
delivery that must leave the process is queued from those rows, so a rolled-back
change never announces anything.

Connect with ``@application_status_changed.connect`` at import time of the listening
domain; send with ``application_status_changed.send(sender, **fields)``.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

#: An application to a provincial service changed status.
#: Fields: application_id, user_id, enterprise_id (or None), service_code,
#: status, previous_status, occurred_at (aware datetime, UTC).
application_status_changed = _events.signal("application-status-changed")

#: A multi-party signing envelope created by a partner moved on (a signature, or closed).
#: Fields: envelope_id, partner_id, status (open, completed, declined, expired),
#: step (signed, completed, declined, expired), signed_count, signer_count, occurred_at.
esign_envelope_changed = _events.signal("esign-envelope-changed")

#: A user withdrew a grant (consent to a partner, or a delegation).
#: Fields: grant_id, user_id (the grantor), grantee_kind, grantee_id.
grant_revoked = _events.signal("grant-revoked")

#: A verified identity (real name and ID number) moved to another account: its holder
#: proved it with face verification. Fields: user_id (the account that lost it),
#: claimed_by (the account that now holds it).
identity_claimed = _events.signal("identity-claimed")

#: A citizen account is being created by a first SMS sign-in (before the sign-in commits;
#: a receiver may refuse it by raising an AppError, and nothing is kept).
#: Fields: user_id, channel (app | miniprogram), agreements (list of {kind, version}, or None).
citizen_signing_up = _events.signal("citizen-signing-up")

#: A citizen signed in (any method), in the sign-in's transaction. Fields: user_id, channel.
citizen_signed_in = _events.signal("citizen-signed-in")

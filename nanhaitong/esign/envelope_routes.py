"""Envelopes (/api/v1/esign/envelopes, /open/v1/esign/envelopes): one PDF signed by several
parties in order or in parallel, asked by a citizen in the app or by a partner."""

from flask import current_app, g
from flask.views import MethodView

from schemas.esign import (
    EnvelopeCreateSchema,
    EnvelopeDeclineSchema,
    EnvelopeRemindedSchema,
    EnvelopeSchema,
    EnvelopeSignSchema,
    SigningRequestSchema,
)

from . import certificates, envelopes, service
from .routes import binary_response, blp, open_blp, pdf_attachment


@blp.route("/envelopes")
class Envelopes(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(EnvelopeCreateSchema)
    @blp.response(201, EnvelopeSchema)
    def post(self, body):
        """Ask several parties to sign one PDF, in order (`sequential`) or all at once (`parallel`):
        citizens, an enterprise's seal applied by an authorised member, the legal representative.
        Each is invited in the inbox and by SMS when it is their turn."""
        document = _b64(body["document_base64"])
        return envelopes.with_signers(envelopes.create(
            g.principal, title=body["title"], file_name=body["file_name"], document=document,
            routing=body["routing"], signers=body["signers"], expires_in_hours=body["expires_in_hours"],
            message=body.get("message")))


def _b64(text: str) -> bytes:
    import base64
    import binascii

    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    if len(text) > (limit + 2) // 3 * 4 + 4:
        raise certificates.PayloadTooLarge("The PDF is larger than this endpoint accepts.", details={"max_bytes": limit})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise service.ValidationFailed({"document_base64": ["Not base64."]}) from None


@blp.route("/envelopes/<ulid:envelope_id>")
class EnvelopeItem(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, EnvelopeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """An envelope, for its creator and its signers."""
        return envelopes.with_signers(envelopes.get(g.principal, envelope_id))


@blp.route("/envelopes/<ulid:envelope_id>/sign")
class EnvelopeSign(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(EnvelopeSignSchema)
    @blp.response(202, SigningRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, envelope_id):
        """Your turn: answers a signing request `pending_confirmation` and texts you a code naming the
        document; confirm it at /signing-requests/{id}/confirm. Your signature is added to the envelope's
        document with every signature made before it."""
        return envelopes.start_signing(g.principal, envelope_id, body["certificate_id"])


@blp.route("/envelopes/<ulid:envelope_id>/decline")
class EnvelopeDecline(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(EnvelopeDeclineSchema)
    @blp.response(200, EnvelopeSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, envelope_id):
        """Decline to sign, with a reason: the envelope closes and every other party is told."""
        return envelopes.with_signers(envelopes.decline(g.principal, envelope_id, body["reason"]))


@blp.route("/envelopes/<ulid:envelope_id>/remind")
class EnvelopeRemind(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, EnvelopeRemindedSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, envelope_id):
        """Remind the signers whose turn it is (inbox and SMS; at most once an hour each)."""
        return envelopes.remind(g.principal, envelope_id)


@blp.route("/envelopes/<ulid:envelope_id>/document")
class EnvelopeDocument(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.doc(responses=binary_response("application/pdf", "The document with every signature so far"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """The envelope's document: the final PDF once completed (every signature, in order)."""
        data, _name = envelopes.document(g.principal, envelope_id)
        return pdf_attachment(data, f"envelope-{envelope_id}.pdf")


# -- the OpenAPI: envelopes created by partners ---------------------------------------

@open_blp.route("/envelopes")
class OpenEnvelopes(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.idempotent
    @open_blp.arguments(EnvelopeCreateSchema)
    @open_blp.response(201, EnvelopeSchema)
    def post(self, body):
        """Ask several parties to sign one PDF (as /api/v1/esign/envelopes). Every step (a signature,
        completion, a decline, expiry) is announced by the webhook `esign.envelope_changed`."""
        return envelopes.with_signers(envelopes.create(
            g.principal, title=body["title"], file_name=body["file_name"], document=_b64(body["document_base64"]),
            routing=body["routing"], signers=body["signers"], expires_in_hours=body["expires_in_hours"],
            message=body.get("message")))


@open_blp.route("/envelopes/<ulid:envelope_id>")
class OpenEnvelopeItem(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.response(200, EnvelopeSchema)
    @open_blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """An envelope this partner created."""
        return envelopes.with_signers(envelopes.get(g.principal, envelope_id))


@open_blp.route("/envelopes/<ulid:envelope_id>/document")
class OpenEnvelopeDocument(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.doc(responses=binary_response("application/pdf", "The document with every signature so far"))
    @open_blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """The envelope's document (the final PDF once completed)."""
        data, _name = envelopes.document(g.principal, envelope_id)
        return pdf_attachment(data, f"envelope-{envelope_id}.pdf")


@open_blp.route("/envelopes/<ulid:envelope_id>/remind")
class OpenEnvelopeRemind(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.response(200, EnvelopeRemindedSchema)
    @open_blp.alt_response(404, response="NOT_FOUND")
    def post(self, envelope_id):
        """Remind the signers whose turn it is (inbox and SMS; at most once an hour each)."""
        return envelopes.remind(g.principal, envelope_id)

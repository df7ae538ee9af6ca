"""The wallet (/api/v1/licences), presentations, and verification (/api/v1/licence-verifications)."""

from flask import Response, g
from flask.views import MethodView

from schemas.common import Page
from schemas.licences import (
    LicenceListArgsSchema,
    LicenceListSchema,
    LicenceSchema,
    PresentationCreateSchema,
    PresentationListSchema,
    PresentationSchema,
    RevealSchema,
    SyncResultSchema,
    VerificationRequestSchema,
    VerificationSchema,
)

from ..api import Blueprint
from . import presentations, service

blp = Blueprint("licences", __name__, url_prefix="/api/v1/licences",
                description="Your e-licences, or your enterprise's, pulled from the provincial library.")
verification_blp = Blueprint("licence_verifications", __name__, url_prefix="/api/v1/licence-verifications",
                             description="Check a presented licence.")

_IMAGE = {"png": "image/png", "svg": "image/svg+xml"}


@blp.route("")
class Licences(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(LicenceListArgsSchema, location="query")
    @blp.response(200, LicenceListSchema)
    def get(self, args):
        """Licences in the wallet (your own, or the enterprise's when acting for one), masked."""
        return Page(*service.list_licences(g.principal, type_code=args.get("type_code"), status=args.get("status"),
                                           limit=args["limit"], cursor=args.get("cursor")))


@blp.route("/sync")
class Sync(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, SyncResultSchema)
    def post(self):
        """Pull the wallet again from the library; says what was added, updated, withdrawn or refused."""
        return service.sync(g.principal)


@blp.route("/<ulid:licence_id>")
class LicenceItem(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, LicenceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, licence_id):
        """One licence, masked."""
        return service.get_licence(g.principal, licence_id)


@blp.route("/<ulid:licence_id>/reveal")
class Reveal(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(RevealSchema)
    @blp.response(200, LicenceSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, licence_id):
        """The licence unmasked, for its holder, after a step-up code."""
        return service.reveal(g.principal, licence_id, body["step_up_code"])


@blp.route("/<ulid:licence_id>/presentations")
class Presentations(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(PresentationCreateSchema)
    @blp.response(201, PresentationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, licence_id):
        """Show the licence: a short-lived signed token disclosing only the chosen fields."""
        return presentations.create(g.principal, licence_id, body["fields"], body["ttl_seconds"])

    @blp.login_required("citizen")
    @blp.response(200, PresentationListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, licence_id):
        """The licence's live presentations."""
        return Page(presentations.live(g.principal, licence_id))


@blp.route("/<ulid:licence_id>/presentations/<ulid:presentation_id>/revoke")
class PresentationRevoke(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, PresentationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, licence_id, presentation_id):
        """Revoke a presentation: it fails verification from now on."""
        return presentations.revoke(g.principal, licence_id, presentation_id)


def _qr_route(kind: str):
    class QrCode(MethodView):
        @blp.login_required("citizen")
        @blp.doc(responses={"200": {"description": f"The presentation token as a QR code ({kind.upper()})",
                                    "content": {_IMAGE[kind]: {"schema": {"type": "string", "format": "binary"}}}}})
        @blp.alt_response(404, response="NOT_FOUND")
        def get(self, licence_id, presentation_id):
            """The presentation's QR code, for the verifier's scanner."""
            image = presentations.qr_code(g.principal, licence_id, presentation_id, kind)
            return Response(image, mimetype=_IMAGE[kind])

    QrCode.__name__ = f"Qr{kind.title()}"
    blp.route(f"/<ulid:licence_id>/presentations/<ulid:presentation_id>/qr.{kind}")(QrCode)


_qr_route("png")
_qr_route("svg")


@verification_blp.route("")
class Verifications(MethodView):
    @verification_blp.login_required("citizen")
    @verification_blp.arguments(VerificationRequestSchema)
    @verification_blp.response(200, VerificationSchema)
    def post(self, body):
        """Check a presentation token (from its QR code): authentic, unexpired, unrevoked, licence valid.

        Only the disclosed fields come back. The holder sees this check in their access log.
        """
        return presentations.verify(g.principal, body["token"])

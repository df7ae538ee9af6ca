"""Privacy routes: legal documents (public and staff), agreements, consents."""

from flask import Response, g
from flask.views import MethodView

from schemas.common import Page
from schemas.privacy import (
    AgreementsSchema,
    AgreeSchema,
    CollectionListSchema,
    ConsentsSchema,
    DataExportListSchema,
    DataExportSchema,
    DataSharingArgsSchema,
    DataSharingSchema,
    DeletionRequestSchema,
    DeletionStatusSchema,
    DocumentVersionArgsSchema,
    ExportConfirmationSchema,
    LegalDocumentListSchema,
    LegalDocumentPublishSchema,
    LegalDocumentSchema,
)

from ..api import Blueprint
from . import consents, deletion, export, sharing, terms
from .collection import COLLECTION_LIST

OPERATOR = ("operator",)

documents_blp = Blueprint("legal_documents", __name__, url_prefix="/api/v1/legal-documents",
                          description="The terms of service and the privacy policy, as published.")
admin_documents_blp = Blueprint("admin_legal_documents", __name__, url_prefix="/api/v1/admin/legal-documents",
                                description="Publishing versions of the terms and the privacy policy (operators).")
collection_blp = Blueprint("personal_information", __name__, url_prefix="/api/v1/personal-information",
                           description="What personal information the service collects and why.")
me_privacy_blp = Blueprint("me_privacy", __name__, url_prefix="/api/v1/me",
                           description="Your personal-information rights: agreements, consents, what was shared, "
                                       "a copy of your data, account deletion (PIPL).")


@documents_blp.route("")
class Documents(MethodView):
    @documents_blp.public
    @documents_blp.response(200, LegalDocumentListSchema)
    def get(self):
        """The current version of each document; sign-up must agree to every one of them."""
        return Page([d for _, d in sorted(terms.current_documents().items())])


@documents_blp.route("/<any(terms, privacy_policy):kind>")
class Document(MethodView):
    @documents_blp.public
    @documents_blp.arguments(DocumentVersionArgsSchema, location="query")
    @documents_blp.response(200, LegalDocumentSchema)
    @documents_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, kind):
        """One document: the current version, or ``version``."""
        return terms.document(kind, args.get("version"))


@admin_documents_blp.route("")
class AdminDocuments(MethodView):
    @admin_documents_blp.login_required("staff", roles=OPERATOR)
    @admin_documents_blp.arguments(LegalDocumentPublishSchema)
    @admin_documents_blp.response(201, LegalDocumentSchema)
    def post(self, body):
        """Publish the next version. With ``requires_agreement`` (the default), signed-in
        citizens get 428 ``terms_update_required`` until they agree to it."""
        return terms.publish(g.principal, body)

    @admin_documents_blp.login_required("staff", roles=OPERATOR)
    @admin_documents_blp.response(200, LegalDocumentListSchema)
    def get(self):
        """Every published version, newest first."""
        return Page([d for kind in terms.KINDS for d in terms.versions(kind)])


@me_privacy_blp.route("/agreements")
class Agreements(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, AgreementsSchema)
    def get(self):
        """What you agreed to (version, time, channel, client), and what awaits your agreement."""
        return terms.agreements_of(g.principal)

    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.arguments(AgreeSchema)
    @me_privacy_blp.response(200, AgreementsSchema)
    def post(self, body):
        """Agree to the current versions (ends the 428 ``terms_update_required``)."""
        return terms.agree(g.principal, body["agreements"])


@me_privacy_blp.route("/consents")
class Consents(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, ConsentsSchema)
    def get(self):
        """Your optional consents (policy pushes, marketing) and your live consents to partner platforms."""
        return consents.consents_of(g.principal)


@me_privacy_blp.route("/consents/<any(policy_push, marketing):name>")
class OptionalConsentItem(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, ConsentsSchema)
    def put(self, name):
        """Give an optional consent."""
        return consents.set_optional(g.principal, name, True)

    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, ConsentsSchema)
    def delete(self, name):
        """Withdraw an optional consent; it takes effect at once."""
        return consents.set_optional(g.principal, name, False)


@me_privacy_blp.route("/consents/partners/<ulid:grant_id>")
class PartnerConsentItem(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, ConsentsSchema)
    @me_privacy_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, grant_id):
        """Withdraw your consent to a partner platform: its tokens stop working at once and it
        is told by the ``consent.revoked`` webhook."""
        return consents.withdraw_partner_consent(g.principal, grant_id)


@collection_blp.route("/collection-list")
class CollectionList(MethodView):
    @collection_blp.public
    @collection_blp.response(200, CollectionListSchema)
    def get(self):
        """个人信息收集清单: what is collected, why, in which feature, whether it is required,
        how long it is kept and who else receives it."""
        return Page(list(COLLECTION_LIST))


@me_privacy_blp.route("/data-sharing")
class DataSharing(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.arguments(DataSharingArgsSchema, location="query")
    @me_privacy_blp.response(200, DataSharingSchema)
    def get(self, args):
        """Every third party that received your data (partners, delegates, verifiers, staff,
        provincial platforms), which fields, when and under which consent or grant; every
        consent and grant you gave; and the personal-information collection list."""
        return sharing.data_sharing(g.principal, limit=args["limit"], cursor=args.get("cursor"))


@me_privacy_blp.route("/account-deletion")
class AccountDeletion(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, DeletionStatusSchema)
    def get(self):
        """Your pending deletion request, if any, and what would block one now."""
        return deletion.status(g.principal)

    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(202, DeletionRequestSchema)
    @me_privacy_blp.alt_response(409, response="CONFLICT", description=(
        "account_deletion_blocked: details.blockers lists everything that must finish first"))
    def post(self):
        """Delete your account (注销). You are signed out everywhere; after the cooling-off
        period (15 days) your personal data is deleted or anonymised. Signing in again
        before then cancels it. Asking twice answers the same request."""
        return deletion.request_deletion(g.principal)

    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, DeletionRequestSchema)
    @me_privacy_blp.alt_response(404, response="NOT_FOUND")
    def delete(self):
        """Withdraw your deletion request."""
        return deletion.cancel(g.principal)


@me_privacy_blp.route("/data-exports")
class DataExports(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(202, DataExportSchema)
    def post(self):
        """Ask for a copy of your data. It is built in the background (watch ``progress``);
        your inbox tells you when it is ready. Asking again while one is being built
        answers that one."""
        return export.with_state(export.queue(export.request_export(g.principal)))

    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, DataExportListSchema)
    def get(self):
        """Your copies, newest first (the last 20)."""
        return Page([export.with_state(row) for row in export.list_exports(g.principal)])


@me_privacy_blp.route("/data-exports/<ulid:export_id>")
class DataExportItem(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.response(200, DataExportSchema)
    @me_privacy_blp.alt_response(404, response="NOT_FOUND")
    def get(self, export_id):
        """One copy: its progress, and when ready, its download link and expiry."""
        return export.with_state(export.get_export(g.principal, export_id))


@me_privacy_blp.route("/data-exports/<ulid:export_id>/confirmation")
class DataExportConfirmation(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.arguments(ExportConfirmationSchema)
    @me_privacy_blp.response(200, DataExportSchema)
    @me_privacy_blp.alt_response(404, response="NOT_FOUND")
    @me_privacy_blp.alt_response(410, response="GONE", description="The copy has expired and was deleted.")
    def post(self, body, export_id):
        """Confirm the download with a step_up SMS code sent to your phone."""
        return export.with_state(export.confirm(g.principal, export_id, body["code"]))


@me_privacy_blp.route("/data-exports/<ulid:export_id>/archive")
class DataExportArchive(MethodView):
    @me_privacy_blp.login_required("citizen")
    @me_privacy_blp.doc(responses={200: {"description": "The ZIP", "content": {
        "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
    @me_privacy_blp.alt_response(404, response="NOT_FOUND")
    @me_privacy_blp.alt_response(410, response="GONE", description="The copy has expired and was deleted.")
    @me_privacy_blp.alt_response(428, response="PRECONDITION_REQUIRED", description=(
        "sms_confirmation_required or export_not_ready"))
    def get(self, export_id):
        """Download the ZIP (yours only, within 7 days, after the SMS confirmation)."""
        data, name = export.download(g.principal, export_id)
        response = Response(data, mimetype="application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "no-store"
        return response

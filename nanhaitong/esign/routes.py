"""Electronic signatures and e-seals (/api/v1/esign): the platform CA, certificates, seals,
signing, verification and detached signatures.

Uploads (PDFs, seal images) are multipart/form-data, not JSON: anything else answers 415.
"""

from functools import wraps

from flask import Response, current_app, g, request
from flask.views import MethodView

from schemas.common import Page
from schemas.esign import (
    CertificateCreateSchema,
    CertificateListArgsSchema,
    CertificateListSchema,
    CertificateRevokeSchema,
    CertificateSchema,
    ConfirmSchema,
    DetachedRequestSchema,
    DetachedSignatureSchema,
    PdfFilesSchema,
    RequiredPdfFilesSchema,
    SealFilesSchema,
    SealFormSchema,
    SealListArgsSchema,
    SealListSchema,
    SealSchema,
    SealUploadSchema,
    SignatureVerificationSchema,
    SigningRequestFormSchema,
    SigningRequestSchema,
    SigningRequestUploadSchema,
)
from schemas.identity import SmsCodeSentSchema

from ..api import Blueprint, document_responses
from . import certificates, detached, service, verification

blp = Blueprint("esign", __name__, url_prefix="/api/v1/esign",
                description="Electronic signatures and enterprise e-seals (PAdES, RFC 3161, CMS).")
open_blp = Blueprint("esign_open", __name__, url_prefix="/open/v1/esign",
                     description="Partners ask citizens and enterprises to sign (envelopes); webhooks follow them.")

MULTIPART_SLACK = 64 * 1024  # form fields and part headers around the file


def multipart(view):
    """The body must be multipart/form-data, at most NHT_ESIGN_MAX_PDF_BYTES plus the form around it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = current_app.config["ESIGN_MAX_PDF_BYTES"] + MULTIPART_SLACK
        # A form without a file (signing a previous request's output) may come url-encoded.
        if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise certificates.UnsupportedMedia()
        return view(*args, **kwargs)

    document_responses(wrapper, 413, 415, 422)
    return wrapper


def read_upload(upload) -> tuple[bytes, str]:
    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    data = upload.stream.read(limit + 1)
    service.check_pdf_size(data)
    return data, (upload.filename or "document.pdf")


def multipart_body(schema) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def binary_response(mimetype: str, description: str) -> dict:
    return {"200": {"description": description, "content": {mimetype: {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}}


def pdf_attachment(data: bytes, file_name: str) -> Response:
    """A PDF answered as a download named ``file_name`` (what ``binary_response`` documents)."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(CertificateCreateSchema)
    @blp.response(201, CertificateSchema)
    def post(self, body):
        """Issue a signing certificate: personal (to you, level 2) or an enterprise seal certificate
        (to the enterprise, asked by its legal representative). The key is made and kept here."""
        return certificates.issue_certificate(g.principal, body["kind"], body.get("enterprise_id"))

    @blp.login_required("citizen")
    @blp.arguments(CertificateListArgsSchema, location="query")
    @blp.response(200, CertificateListSchema)
    def get(self, args):
        """Your certificates, or the enterprise's (`enterprise_id`, or acting for it)."""
        items, next_cursor = certificates.list_certificates(g.principal, args.get("enterprise_id"), limit=args["limit"],
                                                       cursor=args.get("cursor"))
        return Page(items, next_cursor)


@blp.route("/certificates/<ulid:certificate_id>/revoke")
class CertificateRevoke(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(CertificateRevokeSchema)
    @blp.response(200, CertificateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, certificate_id):
        """Revoke a certificate: it goes on the CRL at once, and its seals are retired."""
        return certificates.revoke_certificate(g.principal, certificate_id, body["reason"], body.get("invalidity_date"))


@blp.route("/certificates/<ulid:certificate_id>/renew")
class CertificateRenew(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(201, CertificateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, certificate_id):
        """Renew a certificate: a new key and certificate; the old one is revoked as `superseded`
        (signatures made with it stay valid) and its seals move to the new one."""
        return certificates.renew_certificate(g.principal, certificate_id)


@blp.route("/seals")
class Seals(MethodView):
    @blp.login_required("citizen", level=2)
    @multipart
    @blp.arguments(SealFormSchema, location="form")
    @blp.arguments(SealFilesSchema, location="files")
    @blp.doc(requestBody=multipart_body(SealUploadSchema))
    @blp.response(201, SealSchema)
    def post(self, form, files):
        """Register the enterprise's seal image (PNG, multipart field `image`), bound to its seal certificate."""
        image = files["image"].stream.read(certificates.MAX_SEAL_PNG_BYTES + 1)
        return certificates.register_seal(g.principal, form["certificate_id"], form["name"], image)

    @blp.login_required("citizen")
    @blp.arguments(SealListArgsSchema, location="query")
    @blp.response(200, SealListSchema)
    def get(self, args):
        """The enterprise's seals."""
        return Page(certificates.list_seals(g.principal, args.get("enterprise_id")))


@blp.route("/signing-requests")
class SigningRequests(MethodView):
    @blp.login_required("citizen", level=2)
    @multipart
    @blp.idempotent
    @blp.arguments(SigningRequestFormSchema, location="form")
    @blp.arguments(PdfFilesSchema, location="files")
    @blp.doc(requestBody=multipart_body(SigningRequestUploadSchema))
    @blp.response(202, SigningRequestSchema)
    def post(self, form, files):
        """Ask to sign a PDF (multipart field `file`, at most NHT_ESIGN_MAX_PDF_BYTES) with your certificate or
        the enterprise's seal; or sign the output of an earlier request (`previous_request_id`).

        Answers `pending_confirmation` and texts an esign code to you; confirm with it.
        A visible stamp needs `page`, `x`, `y`, `width`, `height` (PDF points from the lower left).
        """
        document, name = read_upload(files["file"]) if "file" in files else (None, None)
        stamp = {k: form[k] for k in ("page", "x", "y", "width", "height")} if "page" in form else None
        return service.create_request(
            g.principal, certificate_id=form["certificate_id"], document=document, file_name=name,
            previous_request_id=form.get("previous_request_id"), stamp=stamp, seal_id=form.get("seal_id"),
            reason=form.get("reason"))


@blp.route("/signing-requests/<ulid:request_id>")
class SigningRequestItem(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, SigningRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """One signing request."""
        return service.get_request(g.principal, request_id)


@blp.route("/signing-requests/<ulid:request_id>/confirm")
class SigningRequestConfirm(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(ConfirmSchema)
    @blp.response(200, SigningRequestSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, request_id):
        """Confirm with the esign code: the PDF is signed (PAdES B-T, timestamped by our TSA). Five wrong codes
        close the request."""
        return service.confirm(g.principal, request_id, body["code"])


@blp.route("/signing-requests/<ulid:request_id>/code")
class SigningRequestCode(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, SmsCodeSentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Resend too soon or a daily cap reached.")
    def post(self, request_id):
        """Text the signer a new code for a pending request (the code expires before the request may)."""
        return service.resend_code(g.principal, request_id)


@blp.route("/signing-requests/<ulid:request_id>/document")
class SigningRequestDocument(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.doc(responses=binary_response("application/pdf", "The signed PDF"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """The signed PDF."""
        data, _name = service.signed_document(g.principal, request_id)
        return pdf_attachment(data, f"signed-{request_id}.pdf")


@blp.route("/verifications")
class Verifications(MethodView):
    @blp.login_required("citizen")
    @multipart
    @blp.arguments(RequiredPdfFilesSchema, location="files")
    @blp.response(200, SignatureVerificationSchema)
    def post(self, files):
        """Check every signature of a PDF (multipart field `file`): signer, trusted chain, intact or modified,
        signing and timestamp time, revoked or not."""
        document, _ = read_upload(files["file"])
        return verification.verify(document)


@blp.route("/detached-signatures")
class DetachedSignatures(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(DetachedRequestSchema)
    @blp.response(202, DetachedSignatureSchema)
    def post(self, body):
        """Ask to sign a document's SHA-256 digest (name what it is in `title`): answers
        `pending_confirmation` and texts you a code naming the title and the digest's start; confirm
        with it to get a detached CMS SignedData (with our TSA's timestamp) that
        `openssl cms -verify -binary -inform DER -content <file> -CAfile ca.pem` accepts."""
        return detached.request(g.principal, body["certificate_id"], body["sha256"], body["title"])


@blp.route("/detached-signatures/<ulid:request_id>")
class DetachedSignatureItem(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, DetachedSignatureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """One detached signature (the CMS once confirmed)."""
        return detached.get(g.principal, request_id)


@blp.route("/detached-signatures/<ulid:request_id>/confirm")
class DetachedSignatureConfirm(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(ConfirmSchema)
    @blp.response(200, DetachedSignatureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, request_id):
        """Confirm with the texted code: the digest is signed. Five wrong codes close the request."""
        return detached.confirm(g.principal, request_id, body["code"])


@blp.route("/detached-signatures/<ulid:request_id>/code")
class DetachedSignatureCode(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, SmsCodeSentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Resend too soon or a daily cap reached.")
    def post(self, request_id):
        """Text the signer a new code for a pending detached signature."""
        return detached.resend_code(g.principal, request_id)

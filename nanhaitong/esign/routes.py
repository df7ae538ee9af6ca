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
    CrlArgsSchema,
    DetachedRequestSchema,
    DetachedSignatureSchema,
    EnvelopeCreateSchema,
    EnvelopeDeclineSchema,
    EnvelopeRemindedSchema,
    EnvelopeSchema,
    EnvelopeSignSchema,
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
from . import ca, detached, envelopes, service, verification
from .pdf import BadPdf

blp = Blueprint("esign", __name__, url_prefix="/api/v1/esign",
                description="Electronic signatures and enterprise e-seals (PAdES, RFC 3161, CMS).")
open_blp = Blueprint("esign_open", __name__, url_prefix="/open/v1/esign",
                     description="Partners ask citizens and enterprises to sign (envelopes); webhooks follow them.")

PEM = "application/x-pem-file"
MULTIPART_SLACK = 64 * 1024  # form fields and part headers around the file


def multipart(view):
    """The body must be multipart/form-data, at most NHT_ESIGN_MAX_PDF_BYTES plus the form around it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        request.max_content_length = current_app.config["ESIGN_MAX_PDF_BYTES"] + MULTIPART_SLACK
        # A form without a file (signing a previous request's output) may come url-encoded.
        if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise service.UnsupportedMedia()
        return view(*args, **kwargs)

    document_responses(wrapper, 413, 415, 422)
    return wrapper


def _read(upload) -> tuple[bytes, str]:
    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    data = upload.stream.read(limit + 1)
    service.check_pdf_size(data)
    return data, (upload.filename or "document.pdf")


def _multipart_body(schema) -> dict:
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def _binary(mimetype: str, description: str) -> dict:
    return {"200": {"description": description, "content": {mimetype: {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}}


@blp.route("/ca.pem")
class CaBundle(MethodView):
    @blp.public
    @blp.doc(responses=_binary(PEM, "The platform CA bundle: the root certificate, then the issuing CA"))
    def get(self):
        """The platform CA: trust its root to check our signatures (`openssl cms -verify -CAfile ca.pem`)."""
        return Response(ca.chain_pem(), mimetype=PEM)


@blp.route("/crl")
class Crl(MethodView):
    @blp.public
    @blp.arguments(CrlArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The issuing CA's CRL, re-signed on every revocation",
                                "content": {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}},
                                            PEM: {"schema": {"type": "string"}}}}})
    def get(self, args):
        """The certificate revocation list: DER by default; PEM with `?format=pem` or `Accept: application/x-pem-file`."""
        der = ca.current_crl_der("issuing")
        wants_pem = args.get("format") == "pem" or (
            "format" not in args and request.accept_mimetypes.best_match(["application/pkix-crl", PEM]) == PEM
            and request.accept_mimetypes[PEM] > request.accept_mimetypes["application/pkix-crl"])
        if wants_pem:
            from . import pki

            return Response(pki.crl_pem(pki.x509.load_der_x509_crl(der)), mimetype=PEM)
        return Response(der, mimetype="application/pkix-crl")


@blp.route("/crl/root")
class RootCrl(MethodView):
    @blp.public
    @blp.doc(responses=_binary("application/pkix-crl", "The root's CRL (for the issuing CA and the TSA), DER"))
    def get(self):
        """The root CA's revocation list: the CRL distribution point of the issuing CA and the TSA."""
        return Response(ca.current_crl_der("root"), mimetype="application/pkix-crl")


@blp.route("/ca/<name>.cer")
class CaCertificate(MethodView):
    @blp.public
    @blp.doc(responses=_binary("application/pkix-cert", "The CA certificate, DER"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, name):
        """A CA certificate, `root` or `issuing` (the `caIssuers` address in the certificates it issued)."""
        from cryptography.hazmat.primitives import serialization

        if name not in ("root", "issuing"):
            raise service.NotFound("No such CA certificate.", code="ca_certificate_not_found")

        return Response(ca.certificate(name).public_bytes(serialization.Encoding.DER), mimetype="application/pkix-cert")


OCSP_BODY = {"required": True, "content": {"application/ocsp-request": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}


@blp.route("/ocsp")
class Ocsp(MethodView):
    @blp.public
    @blp.doc(requestBody=OCSP_BODY, responses=_binary("application/ocsp-response", "An RFC 6960 OCSPResponse, DER"))
    def post(self):
        """The OCSP responder (RFC 6960) for every certificate of the platform CA: users' certificates
        (answered by the issuing CA's delegated responder), the issuing CA and the TSA (by the root's)."""
        if request.mimetype != "application/ocsp-request":
            raise service.UnsupportedMedia("Send a DER OCSPRequest as application/ocsp-request.")
        return _ocsp(request.get_data())


@blp.route("/ocsp/<path:encoded>")
class OcspGet(MethodView):
    @blp.public
    @blp.doc(responses=_binary("application/ocsp-response", "An RFC 6960 OCSPResponse, DER"))
    def get(self, encoded):
        """The OCSP responder over GET: the DER OCSPRequest, base64 then URL-encoded, in the path."""
        import base64
        import binascii
        from urllib.parse import unquote

        try:
            der = base64.b64decode(unquote(encoded), validate=False)
        except (binascii.Error, ValueError):
            der = b""
        return _ocsp(der)


def _ocsp(der: bytes) -> Response:
    response = Response(ca.ocsp_answer(der), mimetype="application/ocsp-response")
    response.headers["Cache-Control"] = "max-age=60, public"
    return response


@blp.route("/tsa")
class TimestampAuthority(MethodView):
    @blp.public
    @blp.doc(requestBody={"required": True, "content": {"application/timestamp-query": {
                 "schema": {"type": "string", "format": "binary"}}}},
             responses=_binary("application/timestamp-reply", "An RFC 3161 TimeStampResp, DER"))
    def post(self):
        """The platform's RFC 3161 timestamp authority (its certificate is issued by our root)."""
        if request.mimetype != "application/timestamp-query":
            raise service.UnsupportedMedia("Send a DER TimeStampReq as application/timestamp-query.")
        try:
            reply = service.pdf.timestamp_reply(ca.key_pair("tsa"), request.get_data())
        except BadPdf as error:
            raise service.ValidationFailed({"body": [str(error)]}, code="bad_timestamp_query") from None
        return Response(reply, mimetype="application/timestamp-reply")


@blp.route("/certificates")
class Certificates(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.arguments(CertificateCreateSchema)
    @blp.response(201, CertificateSchema)
    def post(self, body):
        """Issue a signing certificate: personal (to you, level 2) or an enterprise seal certificate
        (to the enterprise, asked by its legal representative). The key is made and kept here."""
        return service.issue_certificate(g.principal, body["kind"], body.get("enterprise_id"))

    @blp.login_required("citizen")
    @blp.arguments(CertificateListArgsSchema, location="query")
    @blp.response(200, CertificateListSchema)
    def get(self, args):
        """Your certificates, or the enterprise's (`enterprise_id`, or acting for it)."""
        items, next_cursor = service.list_certificates(g.principal, args.get("enterprise_id"), limit=args["limit"],
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
        return service.revoke_certificate(g.principal, certificate_id, body["reason"], body.get("invalidity_date"))


@blp.route("/certificates/<ulid:certificate_id>/renew")
class CertificateRenew(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(201, CertificateSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, certificate_id):
        """Renew a certificate: a new key and certificate; the old one is revoked as `superseded`
        (signatures made with it stay valid) and its seals move to the new one."""
        return service.renew_certificate(g.principal, certificate_id)


@blp.route("/seals")
class Seals(MethodView):
    @blp.login_required("citizen", level=2)
    @multipart
    @blp.arguments(SealFormSchema, location="form")
    @blp.arguments(SealFilesSchema, location="files")
    @blp.doc(requestBody=_multipart_body(SealUploadSchema))
    @blp.response(201, SealSchema)
    def post(self, form, files):
        """Register the enterprise's seal image (PNG, multipart field `image`), bound to its seal certificate."""
        image = files["image"].stream.read(service.MAX_SEAL_PNG_BYTES + 1)
        return service.register_seal(g.principal, form["certificate_id"], form["name"], image)

    @blp.login_required("citizen")
    @blp.arguments(SealListArgsSchema, location="query")
    @blp.response(200, SealListSchema)
    def get(self, args):
        """The enterprise's seals."""
        return Page(service.list_seals(g.principal, args.get("enterprise_id")))


@blp.route("/signing-requests")
class SigningRequests(MethodView):
    @blp.login_required("citizen", level=2)
    @multipart
    @blp.idempotent
    @blp.arguments(SigningRequestFormSchema, location="form")
    @blp.arguments(PdfFilesSchema, location="files")
    @blp.doc(requestBody=_multipart_body(SigningRequestUploadSchema))
    @blp.response(202, SigningRequestSchema)
    def post(self, form, files):
        """Ask to sign a PDF (multipart field `file`, at most NHT_ESIGN_MAX_PDF_BYTES) with your certificate or
        the enterprise's seal; or sign the output of an earlier request (`previous_request_id`).

        Answers `pending_confirmation` and texts an esign code to you; confirm with it.
        A visible stamp needs `page`, `x`, `y`, `width`, `height` (PDF points from the lower left).
        """
        document, name = _read(files["file"]) if "file" in files else (None, None)
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
    @blp.doc(responses=_binary("application/pdf", "The signed PDF"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """The signed PDF."""
        data, name = service.signed_document(g.principal, request_id)
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="signed-{request_id}.pdf"'
        return response


@blp.route("/verifications")
class Verifications(MethodView):
    @blp.login_required("citizen")
    @multipart
    @blp.arguments(RequiredPdfFilesSchema, location="files")
    @blp.response(200, SignatureVerificationSchema)
    def post(self, files):
        """Check every signature of a PDF (multipart field `file`): signer, trusted chain, intact or modified,
        signing and timestamp time, revoked or not."""
        document, _ = _read(files["file"])
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
        return detached.view(detached.request(g.principal, body["certificate_id"], body["sha256"], body["title"]))


@blp.route("/detached-signatures/<ulid:request_id>")
class DetachedSignatureItem(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, DetachedSignatureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """One detached signature (the CMS once confirmed)."""
        return detached.view(detached.get(g.principal, request_id))


@blp.route("/detached-signatures/<ulid:request_id>/confirm")
class DetachedSignatureConfirm(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(ConfirmSchema)
    @blp.response(200, DetachedSignatureSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, request_id):
        """Confirm with the texted code: the digest is signed. Five wrong codes close the request."""
        return detached.view(detached.confirm(g.principal, request_id, body["code"]))


@blp.route("/detached-signatures/<ulid:request_id>/code")
class DetachedSignatureCode(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.response(200, SmsCodeSentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Resend too soon or a daily cap reached.")
    def post(self, request_id):
        """Text the signer a new code for a pending detached signature."""
        return detached.resend_code(g.principal, request_id)


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
        return envelopes.view(envelopes.create(
            g.principal, title=body["title"], file_name=body["file_name"], document=document,
            routing=body["routing"], signers=body["signers"], expires_in_hours=body["expires_in_hours"],
            message=body.get("message")))


def _b64(text: str) -> bytes:
    import base64
    import binascii

    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    if len(text) > (limit + 2) // 3 * 4 + 4:
        raise service.PayloadTooLarge("The PDF is larger than this endpoint accepts.", details={"max_bytes": limit})
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
        return envelopes.view(envelopes.get(g.principal, envelope_id))


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
        return envelopes.view(envelopes.decline(g.principal, envelope_id, body["reason"]))


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
    @blp.doc(responses=_binary("application/pdf", "The document with every signature so far"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """The envelope's document: the final PDF once completed (every signature, in order)."""
        data, _name = envelopes.document(g.principal, envelope_id)
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="envelope-{envelope_id}.pdf"'
        return response


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
        return envelopes.view(envelopes.create(
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
        return envelopes.view(envelopes.get(g.principal, envelope_id))


@open_blp.route("/envelopes/<ulid:envelope_id>/document")
class OpenEnvelopeDocument(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.doc(responses=_binary("application/pdf", "The document with every signature so far"))
    @open_blp.alt_response(404, response="NOT_FOUND")
    def get(self, envelope_id):
        """The envelope's document (the final PDF once completed)."""
        data, _name = envelopes.document(g.principal, envelope_id)
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="envelope-{envelope_id}.pdf"'
        return response


@open_blp.route("/envelopes/<ulid:envelope_id>/remind")
class OpenEnvelopeRemind(MethodView):
    @open_blp.partner_required("esign:envelopes", signed_ok=True)
    @open_blp.response(200, EnvelopeRemindedSchema)
    @open_blp.alt_response(404, response="NOT_FOUND")
    def post(self, envelope_id):
        """Remind the signers whose turn it is (inbox and SMS; at most once an hour each)."""
        return envelopes.remind(g.principal, envelope_id)

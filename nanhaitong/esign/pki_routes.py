"""The platform CA's public face (/api/v1/esign): its certificates, CRLs, OCSP responder and
timestamp authority, as relying parties and PDF validators reach them."""

from flask import Response, request
from flask.views import MethodView

from schemas.esign import CrlArgsSchema

from . import ca, certificates, national, service, sm2_pki, sm2_status
from .pdf import BadPdf
from .routes import binary_response, blp

PEM = "application/x-pem-file"


@blp.route("/ca.pem")
class CaBundle(MethodView):
    @blp.public
    @blp.doc(responses=binary_response(PEM, "The platform CA bundle: the ECDSA root, the ECDSA issuing CA, then "
                                            "(national suite, or once the SM2 CA exists) the SM2 root and SM2 "
                                            "issuing CA"))
    def get(self):
        """The platform CA: trust its roots to check our signatures (`openssl cms -verify -CAfile ca.pem`).

        One bundle for both suites: the ECDSA root and issuing CA first, then, under the national
        suite (or once the SM2 CA exists), the SM2 root and SM2 issuing CA. A verifier picks the
        issuer by name and key identifier, so one file serves both kinds of certificate."""
        return Response(ca.chain_pem() + sm2_status.chain_pem(), mimetype=PEM)


@blp.route("/crl")
class Crl(MethodView):
    @blp.public
    @blp.arguments(CrlArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The issuing CA's CRL, re-signed on every revocation",
                                "content": {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}},
                                            PEM: {"schema": {"type": "string"}}}}})
    def get(self, args):
        """The certificate revocation list: DER by default; PEM with `?format=pem` or `Accept: application/x-pem-file`."""
        return _crl(ca.current_crl_der("issuing"), args)


def _sm2_published() -> None:
    if not sm2_status.published():
        raise service.NotFound("No such CA certificate.", code="ca_certificate_not_found")


def _crl(der: bytes, args: dict, label: str | None = None) -> Response:
    wants_pem = args.get("format") == "pem" or (
        "format" not in args and request.accept_mimetypes.best_match(["application/pkix-crl", PEM]) == PEM
        and request.accept_mimetypes[PEM] > request.accept_mimetypes["application/pkix-crl"])
    if wants_pem:
        from . import pki

        if label is not None:  # SM2: PEM armour around the DER (cryptography cannot re-encode it)
            return Response(sm2_pki.pem(sm2_pki.crl.CertificateList.load(der), label), mimetype=PEM)
        return Response(pki.crl_pem(pki.x509.load_der_x509_crl(der)), mimetype=PEM)
    return Response(der, mimetype="application/pkix-crl")


@blp.route("/crl/sm2")
class Sm2Crl(MethodView):
    @blp.public
    @blp.arguments(CrlArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The SM2 issuing CA's CRL (SM3withSM2), re-signed on every revocation",
                                "content": {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}},
                                            PEM: {"schema": {"type": "string"}}}}})
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """The SM2 issuing CA's revocation list (national suite).

        The CRL distribution point of citizens' and seals' SM2 certificates, SM3withSM2: DER by default,
        PEM with `?format=pem` or `Accept: application/x-pem-file`. 404 under the international suite
        when there is no SM2 CA."""
        _sm2_published()
        return _crl(sm2_status.current_crl_der("issuing"), args, "X509 CRL")


@blp.route("/crl/sm2/root")
class Sm2RootCrl(MethodView):
    @blp.public
    @blp.doc(responses=binary_response("application/pkix-crl", "The SM2 root's CRL (SM3withSM2), DER"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self):
        """The SM2 root's revocation list: the CRL distribution point of the SM2 issuing CA, seal maker and TSA."""
        _sm2_published()
        return Response(sm2_status.current_crl_der("root"), mimetype="application/pkix-crl")


@blp.route("/crl/root")
class RootCrl(MethodView):
    @blp.public
    @blp.doc(responses=binary_response("application/pkix-crl", "The root's CRL (for the issuing CA and the TSA), DER"))
    def get(self):
        """The root CA's revocation list: the CRL distribution point of the issuing CA and the TSA."""
        return Response(ca.current_crl_der("root"), mimetype="application/pkix-crl")


@blp.route("/ca/<name>.cer")
class CaCertificate(MethodView):
    @blp.public
    @blp.doc(responses=binary_response("application/pkix-cert", "The CA certificate, DER"))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, name):
        """A CA certificate: `root`, `issuing`, `sm2-root` or `sm2-issuing`.

        The `caIssuers` address in the certificates it issued: `root` and `issuing` are the ECDSA CA's,
        `sm2-root` and `sm2-issuing` the SM2 CA's (national suite; 404 when there is none)."""
        from cryptography.hazmat.primitives import serialization

        if name in ("sm2-root", "sm2-issuing"):
            _sm2_published()
            return Response(national.certificate(name[4:]).dump(), mimetype="application/pkix-cert")
        if name not in ("root", "issuing"):
            raise service.NotFound("No such CA certificate.", code="ca_certificate_not_found")

        return Response(ca.certificate(name).public_bytes(serialization.Encoding.DER), mimetype="application/pkix-cert")


OCSP_BODY = {"required": True, "content": {"application/ocsp-request": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}


@blp.route("/ocsp")
class Ocsp(MethodView):
    @blp.public
    @blp.doc(requestBody=OCSP_BODY, responses=binary_response("application/ocsp-response", "An RFC 6960 OCSPResponse, DER"))
    def post(self):
        """The OCSP responder (RFC 6960) for every certificate of the platform CA: users' certificates
        (answered by the issuing CA's delegated responder), the issuing CA and the TSA (by the root's); for an
        SM2 certificate (national suite), an SM3withSM2 answer signed by the SM2 CA that issued it."""
        if request.mimetype != "application/ocsp-request":
            raise certificates.UnsupportedMedia("Send a DER OCSPRequest as application/ocsp-request.")
        return _ocsp(request.get_data())


@blp.route("/ocsp/<path:encoded>")
class OcspGet(MethodView):
    @blp.public
    @blp.doc(responses=binary_response("application/ocsp-response", "An RFC 6960 OCSPResponse, DER"))
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
             responses=binary_response("application/timestamp-reply", "An RFC 3161 TimeStampResp, DER"))
    def post(self):
        """The platform's RFC 3161 timestamp authority (its certificate is issued by our root)."""
        if request.mimetype != "application/timestamp-query":
            raise certificates.UnsupportedMedia("Send a DER TimeStampReq as application/timestamp-query.")
        try:
            reply = service.pdf.timestamp_reply(ca.key_pair("tsa"), request.get_data())
        except BadPdf as error:
            raise service.ValidationFailed({"body": [str(error)]}, code="bad_timestamp_query") from None
        return Response(reply, mimetype="application/timestamp-reply")

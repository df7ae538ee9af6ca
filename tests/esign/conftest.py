"""Fixtures and plain helpers for the esign tests (issue 6).

Everything goes through the API as a client would: citizens sign in by SMS and verify
their real name against the sandbox, the signing step-up code is read from the sandbox
SMS gateway over HTTP. What comes back is checked with tools that are not ours:
pyHanko's own validator for PDFs (trusting the root from GET /api/v1/esign/ca.pem), and
the ``openssl`` command line for detached CMS signatures. One shortcut goes through the
ORM: raising a test account to assurance level 3 (the sandbox face check knows only the
demo citizens' faces, and the seal needs level 3).
"""

from __future__ import annotations

import io

import pytest
import requests
from cryptography import x509
from PIL import Image, ImageDraw

from tests.support.citizens import CHEN, LI, Citizen, set_level, user_id, verified
from tests.support.enterprises import GUICHENG, registered
from tests.support.esign import ESIGN
from tests.support.settings import APP_SETTINGS


@pytest.fixture
def app(make_app, live_server):
    # Certificates name the live server as their CRL and OCSP address, so outside tools
    # (pyhanko-cli, openssl ocsp) can fetch revocation data from it.
    return make_app(**APP_SETTINGS, ISSUER=live_server.url)


# -- documents -------------------------------------------------------------------------

def clean_pdf(lines: tuple[str, ...] = ("Nanhai-Tong contract",)) -> bytes:
    """A small PDF with a well-formed cross-reference table (what strict readers such as
    pyhanko-cli accept; Pillow's PDFs have a free-entry generation they refuse)."""
    content = "BT /F1 14 Tf 72 770 Td " + " ".join(f"({line}) Tj 0 -20 Td" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content.encode() + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def seal_png() -> bytes:
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((5, 5, 195, 195), outline=(220, 0, 0, 255), width=8)
    draw.regular_polygon((100, 100, 40), 5, fill=(220, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# -- the CA ----------------------------------------------------------------------------

def ca_bundle(citizen_or_client) -> list[x509.Certificate]:
    """The ECDSA root and issuing CA: the first two certificates of /ca.pem (under the
    national suite the SM2 root and issuing CA follow them: test_sm2_revocation.py)."""
    client = getattr(citizen_or_client, "client", citizen_or_client)
    answer = client.get(f"{ESIGN}/ca.pem")
    assert answer.status_code == 200 and answer.mimetype == "application/x-pem-file"
    return x509.load_pem_x509_certificates(answer.data)[:2]


# -- people ----------------------------------------------------------------------------


def last_sms(citizen: Citizen) -> str:
    answer = requests.get(f"{citizen.app.config['SANDBOX_URL']}/sms/messages", timeout=5,
                          params={"phone": citizen.phone})
    answer.raise_for_status()
    return answer.json()["messages"][0]["text"]


def register_seal(citizen: Citizen, certificate_id: str, image: bytes | None = None) -> dict:
    answer = citizen.post(f"{ESIGN}/seals", data={"certificate_id": certificate_id, "name": "公章",
                                                  "image": (io.BytesIO(image or seal_png()), "seal.png")})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def verify(citizen: Citizen, document: bytes) -> dict:
    answer = citizen.post(f"{ESIGN}/verifications", data={"file": (io.BytesIO(document), "signed.pdf")})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.fixture
def li(sign_in):
    """A real-name-verified citizen (level 2)."""
    return verified(sign_in, LI)


@pytest.fixture
def chen(sign_in):
    """The legal representative of enterprise GUICHENG, face-verified (level 3): holds esign:seal."""
    citizen = verified(sign_in, CHEN)
    enterprise_id = registered(citizen, GUICHENG)
    set_level(citizen.app, user_id(citizen), 3)
    citizen.enterprise_id = enterprise_id
    return citizen

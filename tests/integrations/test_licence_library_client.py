"""LicenceLibraryClient against the e-licence library simulator, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import shutil
import subprocess
import threading
import traceback
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from integrations.china_time import china_today
from integrations.errors import NonRetryableError, RetryableError, UpstreamRejectedError
from integrations.licence_library import (
    CHINA_STANDARD_TIME,
    LicenceLibraryClient,
    LicencePull,
    RefusedLicence,
    VerifiedLicence,
    canonical_bytes,
    make_licence_code,
)
from integrations.sandbox.demo_data import CITIZENS_BY_ID_NUMBER, ENTERPRISES_BY_USCC
from integrations.sandbox.licence_data import (
    CHEN,
    DALI,
    EXPIRING_CODE,
    EXPIRING_IN_DAYS,
    HE,
    HUANG,
    LICENCES,
    REVOKED_CODE,
    SHISHAN,
    TAMPERED_CODE,
)

UNKNOWN_ID_NUMBER = "440682199204183321"  # valid, but the library holds nothing for her
CONTROL_TIMEOUT = 5


def codes_of(holder_id: str) -> list[str]:
    return [d.code for d in LICENCES if d.holder_id == holder_id]


def leaked_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def raw_entries(sandbox, kind: str, holder_id: str) -> list[dict]:
    url = f"{sandbox.url}/elic/v1/holders/{kind}/{holder_id}/licences"
    response = requests.get(url, headers={"X-Api-Key": "sandbox-elic-key"}, timeout=CONTROL_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["licences"]


def change(sandbox, code: str, **body) -> dict:
    response = requests.post(f"{sandbox.url}/_control/licences/{code}", json=body, timeout=CONTROL_TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


# -- verified pulls -------------------------------------------------------------------


def test_a_demo_citizens_licences_are_all_verified(sandbox, make_licence_library_client):
    pull = make_licence_library_client().licences_of("citizen", CHEN)

    assert pull.refused == []
    assert [v.code for v in pull.accepted] == codes_of(CHEN)
    assert {v.type_code for v in pull.accepted} == {
        "resident_id_card", "driver_licence", "household_register", "social_security_card",
        "marriage_certificate"}
    id_card = pull.accepted[0]
    assert isinstance(id_card, VerifiedLicence)
    assert (id_card.holder_name, id_card.holder_id) == ("陈家豪", CHEN)
    assert (id_card.issuer_code, id_card.issuer_name) == ("440000GA0001", "广东省公安厅")
    assert id_card.code == f"{id_card.issuer_code}-{id_card.type_code}-{id_card.number}"
    assert id_card.fields["id_number"] == CHEN and "南海区" in id_card.fields["address"]
    assert (id_card.valid_from, id_card.valid_until, id_card.status) == ("2015-06-18", "2035-06-18", "valid")
    assert id_card.holder_kind == "citizen" and id_card.licence_type.name == "居民身份证"


def test_digest_is_the_sha256_of_the_signed_bytes(sandbox, make_licence_library_client):
    pull = make_licence_library_client().licences_of("citizen", CHEN)
    entries = {e["licence"]["code"]: e for e in raw_entries(sandbox, "citizen", CHEN)}

    for licence in pull.accepted:
        signed = json.dumps(entries[licence.code]["licence"], sort_keys=True, separators=(",", ":"),
                            ensure_ascii=False).encode()
        assert licence.digest == hashlib.sha256(signed).hexdigest()


def test_an_enterprises_licences_are_verified(sandbox, make_licence_library_client):
    pull = make_licence_library_client().licences_of("enterprise", SHISHAN)

    assert pull.refused == []
    licence, permit = pull.accepted
    assert (licence.type_code, permit.type_code) == ("business_licence", "food_business_permit")
    assert licence.holder_name == ENTERPRISES_BY_USCC[SHISHAN].name == permit.fields["operator"]
    assert licence.fields["uscc"] == SHISHAN and licence.fields["legal_representative"] == "黄志强"
    assert permit.issuer_name == "佛山市南海区市场监督管理局" and permit.valid_until == "2027-05-09"
    assert licence.holder_kind == "enterprise"


def test_lowercase_uscc_is_asked_as_uppercase(sandbox, make_licence_library_client):
    pull = make_licence_library_client().licences_of("enterprise", SHISHAN.lower())

    assert len(pull.accepted) == 2


def test_the_revoked_licence_says_so(sandbox, make_licence_library_client):
    (licence,) = make_licence_library_client().licences_of("enterprise", DALI).accepted

    assert licence.code == REVOKED_CODE and licence.status == "revoked"


def test_the_expiring_licence_runs_out_within_30_days(sandbox, make_licence_library_client):
    pull = make_licence_library_client().licences_of("citizen", HUANG)
    licence = next(v for v in pull.accepted if v.code == EXPIRING_CODE)

    until = date.fromisoformat(licence.valid_until)
    today = china_today()
    assert licence.status == "valid" and 0 < (until - today).days <= 30
    assert (until - today).days in (EXPIRING_IN_DAYS, EXPIRING_IN_DAYS - 1)  # a midnight may pass


def test_an_unknown_holder_is_an_empty_pull(sandbox, make_licence_library_client):
    library = make_licence_library_client()

    pull = library.licences_of("citizen", UNKNOWN_ID_NUMBER)

    assert pull == LicencePull() and not pull
    assert library.circuit_state == "closed"


# -- refusals -------------------------------------------------------------------------


def test_the_tampered_entry_is_refused_and_the_others_accepted(sandbox, make_licence_library_client, caplog):
    with caplog.at_level(logging.WARNING, logger="integrations.licence_library"):
        pull = make_licence_library_client().licences_of("citizen", HE)

    assert pull.refused == [RefusedLicence(code=TAMPERED_CODE, reason="bad_signature")]
    assert [v.code for v in pull.accepted] == [c for c in codes_of(HE) if c != TAMPERED_CODE]
    assert TAMPERED_CODE in caplog.text and "bad_signature" in caplog.text
    # A refusal carries no personal data, and neither does its log line.
    citizen = CITIZENS_BY_ID_NUMBER[HE]
    for text in (repr(pull.refused), caplog.text):
        assert citizen.id_number not in text and citizen.name not in text and "A1" not in text


def test_a_foreign_trust_anchor_refuses_everything_as_untrusted(sandbox, make_licence_library_client):
    foreign = self_signed_ca("某省电子证照根CA")
    library = make_licence_library_client(trust_anchor_pem=pem(foreign.certificate))

    pull = library.licences_of("citizen", CHEN)

    assert pull.accepted == []
    assert pull.refused == [RefusedLicence(code, "untrusted_issuer") for code in codes_of(CHEN)]


def test_a_pinned_anchor_is_never_fetched(sandbox, make_licence_library_client):
    anchor = sandbox.get("/elic/v1/trust-anchor.pem").content
    sandbox.add_fault("/elic/v1/trust-anchor.pem", status=500, times=10)

    pull = make_licence_library_client(trust_anchor_pem=anchor).licences_of("citizen", CHEN)

    assert len(pull.accepted) == len(codes_of(CHEN))


def test_the_anchor_is_fetched_once(sandbox, make_licence_library_client):
    library = make_licence_library_client()
    library.licences_of("citizen", CHEN)
    sandbox.add_fault("/elic/v1/trust-anchor.pem", status=500, times=10)

    assert len(library.licences_of("citizen", CHEN).accepted) == len(codes_of(CHEN))
    assert library.trust_anchor.subject.get_attributes_for_oid(NameOID.COMMON_NAME)


def test_anchor_that_is_not_a_certificate_is_non_retryable(serve):
    def upstream(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/x-pem-file")])
        return [b"-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n"]

    with pytest.raises(NonRetryableError):
        LicenceLibraryClient(serve(upstream), api_key="k", timeout=1).licences_of("citizen", CHEN)


def test_a_pinned_anchor_must_be_a_ca_certificate():
    ca = self_signed_ca("根")
    leaf = ca.issue("440000GA0001", "广东省公安厅")

    with pytest.raises(ValueError):
        LicenceLibraryClient("http://127.0.0.1:1", api_key="k", timeout=1, trust_anchor_pem=pem(leaf.certificate))
    with pytest.raises(ValueError):
        LicenceLibraryClient("http://127.0.0.1:1", api_key="k", timeout=1, trust_anchor_pem=b"junk")


# -- the sandbox's control endpoint, seen through the client -------------------------


def test_a_licence_revoked_upstream_is_pulled_revoked_with_a_new_digest(sandbox, make_licence_library_client):
    library = make_licence_library_client()
    code = codes_of(CHEN)[1]
    before = {v.code: v for v in library.licences_of("citizen", CHEN).accepted}

    change(sandbox, code, status="revoked")
    after = {v.code: v for v in library.licences_of("citizen", CHEN).accepted}

    assert after[code].status == "revoked" and after[code].digest != before[code].digest
    assert {c: v.digest for c, v in after.items() if c != code} == {
        c: v.digest for c, v in before.items() if c != code}


def test_a_licence_past_its_valid_until_is_expired(sandbox, make_licence_library_client):
    code = codes_of(CHEN)[0]
    yesterday = (china_today() - timedelta(days=1)).isoformat()
    change(sandbox, code, valid_until=yesterday)

    licence = make_licence_library_client().licences_of("citizen", CHEN).accepted[0]

    assert (licence.code, licence.valid_until, licence.status) == (code, yesterday, "expired")


def test_a_change_left_unsigned_is_refused(sandbox, make_licence_library_client):
    code = codes_of(CHEN)[0]
    change(sandbox, code, fields={"address": "广东省佛山市南海区桂城街道别处1号"}, sign=False)

    pull = make_licence_library_client().licences_of("citizen", CHEN)

    assert pull.refused == [RefusedLicence(code, "bad_signature")]


def test_a_dropped_licence_is_no_longer_pulled(sandbox, make_licence_library_client):
    code = codes_of(CHEN)[-1]
    response = requests.delete(f"{sandbox.url}/_control/licences/{code}", timeout=CONTROL_TIMEOUT)

    assert response.status_code == 204
    assert code not in [v.code for v in make_licence_library_client().licences_of("citizen", CHEN).accepted]


def test_reset_restores_the_demo_licences(sandbox, make_licence_library_client):
    library = make_licence_library_client()
    before = library.licences_of("citizen", CHEN)
    change(sandbox, codes_of(CHEN)[0], status="revoked")
    sandbox.reset()

    assert library.licences_of("citizen", CHEN) == before


# -- independent check with openssl ---------------------------------------------------


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_verifies_a_licence_signature_and_its_issuer(sandbox, tmp_path):
    def openssl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)

    anchor = tmp_path / "anchor.pem"
    anchor.write_bytes(sandbox.get("/elic/v1/trust-anchor.pem").content)
    entries = {e["licence"]["code"]: e for e in raw_entries(sandbox, "citizen", HE)}

    def check(code: str) -> subprocess.CompletedProcess:
        entry = entries[code]
        (tmp_path / "issuer.pem").write_text(entry["issuer_certificate"])
        # The signed bytes, made here without the client's helper.
        (tmp_path / "data.bin").write_bytes(json.dumps(
            entry["licence"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        signature = entry["signature"]
        (tmp_path / "sig.der").write_bytes(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        key = openssl("x509", "-in", str(tmp_path / "issuer.pem"), "-pubkey", "-noout")
        assert key.returncode == 0, key.stderr
        (tmp_path / "pubkey.pem").write_text(key.stdout)
        chain = openssl("verify", "-CAfile", str(anchor), str(tmp_path / "issuer.pem"))
        assert chain.returncode == 0 and chain.stdout.strip().endswith("OK"), chain.stdout + chain.stderr
        return openssl("dgst", "-sha256", "-verify", str(tmp_path / "pubkey.pem"),
                       "-signature", str(tmp_path / "sig.der"), str(tmp_path / "data.bin"))

    good = next(code for code in entries if code != TAMPERED_CODE)
    verified = check(good)
    assert verified.returncode == 0 and verified.stdout.strip() == "Verified OK", verified.stdout + verified.stderr
    # The signature is DER (ECDSA-Sig-Value), which openssl parses as such.
    parsed = openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "sig.der"))
    assert parsed.returncode == 0 and parsed.stdout.count("INTEGER") == 2

    tampered = check(TAMPERED_CODE)
    assert tampered.returncode == 1 and "Verification failure" in tampered.stdout + tampered.stderr


# -- transport and protocol errors ----------------------------------------------------


def test_wrong_api_key_is_non_retryable(sandbox, make_licence_library_client):
    with pytest.raises(NonRetryableError) as caught:
        make_licence_library_client(api_key="not-the-key").licences_of("citizen", CHEN)

    assert not isinstance(caught.value, UpstreamRejectedError) and caught.value.status == 401
    assert CHEN not in leaked_text(caught.value)


def test_503_is_retried_then_retryable_and_names_nobody(sandbox, make_licence_library_client):
    library = make_licence_library_client(retries=2)
    assert library.trust_anchor is not None  # fetched before the fault
    fault = sandbox.add_fault("/elic/v1/holders/", status=503, times=3)

    with pytest.raises(RetryableError) as caught:
        library.licences_of("citizen", CHEN)

    assert caught.value.status == 503 and caught.value.upstream == "licence_library"
    assert sandbox.remaining(fault) == 0  # a GET is retried
    assert CHEN not in leaked_text(caught.value) and "{holder_id}" in str(caught.value)


def test_a_passing_503_is_absorbed_by_the_retry(sandbox, make_licence_library_client):
    sandbox.add_fault("/elic/v1/holders/", status=503, times=1)

    assert len(make_licence_library_client(retries=2).licences_of("citizen", CHEN).accepted) == 5


def test_503_on_the_anchor_is_retryable(sandbox, make_licence_library_client):
    sandbox.add_fault("/elic/v1/trust-anchor.pem", status=503, times=3)

    with pytest.raises(RetryableError):
        make_licence_library_client(retries=2).licences_of("citizen", CHEN)


def test_other_404s_are_not_taken_for_an_unknown_holder(serve):
    def upstream(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"code": "no_such_route"}']

    library = LicenceLibraryClient(serve(upstream), api_key="k", timeout=1,
                                   trust_anchor_pem=pem(self_signed_ca("根").certificate))
    with pytest.raises(UpstreamRejectedError) as caught:
        library.licences_of("citizen", CHEN)

    assert caught.value.upstream_code == "no_such_route" and CHEN not in leaked_text(caught.value)


@pytest.mark.parametrize("body", [b'{"licences": {"a": 1}}', b"{}", b"[]"])
def test_an_answer_without_a_licences_list_is_non_retryable(pull_of, body):
    with pytest.raises(NonRetryableError):
        pull_of(raw=body)


@pytest.mark.parametrize(("kind", "holder_id"), [
    ("citizen", ""),
    ("citizen", "44060519850312123"),
    ("citizen", "４40605198503121238"),
    ("citizen", "../../../demo#aaaaaa"),
    ("citizen", "91440605MA4UJ2K83Y"),  # a USCC
    ("enterprise", "91440605MA4UJ2K8OY"),  # O is not in the code set
    ("person", CHEN),
    ("citizen", None),
])
def test_bad_holders_are_refused_before_any_call(kind, holder_id):
    library = LicenceLibraryClient("http://127.0.0.1:1", api_key="k", timeout=1)

    with pytest.raises(ValueError) as refused:
        library.licences_of(kind, holder_id)

    assert not holder_id or holder_id not in str(refused.value)


def test_api_key_is_required():
    with pytest.raises(ValueError):
        LicenceLibraryClient("http://127.0.0.1:1", api_key="", timeout=1)


# -- each verification rule, on entries made here -------------------------------------

NOW = datetime.now(UTC)
ISSUER_CODE = "440000GA0001"


class TestCA:
    """A root CA of the test's own, independent of the sandbox's."""

    __test__ = False

    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                               x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = (
            self._builder(self.name, self.key.public_key(), NOW - timedelta(days=1), NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def _builder(self, subject, public_key, not_before, not_after):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self.name)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after))

    def issue(self, code: str | None, name: str, *, key=None, digital_signature: bool = True,
              not_before=None, not_after=None) -> Issuer:
        key = key or ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, name)]
        if code:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, code))
        usage = x509.KeyUsage(digital_signature=digital_signature, content_commitment=not digital_signature,
                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                              key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        certificate = (
            self._builder(x509.Name(attributes), key.public_key(),
                          not_before or NOW - timedelta(days=1), not_after or NOW + timedelta(days=365))
            .add_extension(usage, critical=True)
            .sign(self.key, hashes.SHA256())
        )
        return Issuer(key, certificate)


class Issuer:
    def __init__(self, key, certificate) -> None:
        self.key = key
        self.certificate = certificate

    def entry(self, licence: dict, *, signed: dict | None = None) -> dict:
        der = self.key.sign(canonical_bytes(signed or licence), ec.ECDSA(hashes.SHA256()))
        return {"licence": licence, "signature": base64.urlsafe_b64encode(der).decode().rstrip("="),
                "issuer_certificate": pem(self.certificate).decode()}


def self_signed_ca(name: str) -> TestCA:
    return TestCA(name)


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def a_licence(**changes) -> dict:
    licence = {
        "code": make_licence_code(ISSUER_CODE, "resident_id_card", 2019, 1001),
        "type_code": "resident_id_card",
        "issuer_code": ISSUER_CODE,
        "issuer_name": "广东省公安厅",
        "holder": {"kind": "citizen", "id": CHEN, "name": "陈家豪"},
        "fields": {"sex": "男", "id_number": CHEN},
        "valid_from": "2015-06-18",
        "valid_until": "2035-06-18",
        "status": "valid",
    }
    licence.update(changes)
    return licence


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA("测试根CA")


@pytest.fixture(scope="module")
def issuer(ca) -> Issuer:
    return ca.issue(ISSUER_CODE, "广东省公安厅")


class FixedAnswer:
    """A library that answers whatever body the test last gave it."""

    def __init__(self) -> None:
        self.body = b"{}"

    def __call__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [self.body]


@pytest.fixture(scope="module")
def fixed_library():
    answer = FixedAnswer()
    server = make_server("127.0.0.1", 0, answer, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield answer, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def pull_of(fixed_library, ca):
    """Serve these entries as the library's answer; pull them as CHEN's."""
    answer, url = fixed_library

    def pull(*entries, now: datetime | None = None, raw: bytes | None = None) -> LicencePull:
        answer.body = raw if raw is not None else json.dumps({"licences": list(entries)}).encode()
        library = LicenceLibraryClient(url, api_key="k", timeout=2, trust_anchor_pem=pem(ca.certificate))
        try:
            return library.licences_of("citizen", CHEN, now=now)
        finally:
            library.close()

    return pull


def reasons(pull: LicencePull) -> list[str]:
    return [refused.reason for refused in pull.refused]


def test_a_good_entry_is_accepted(pull_of, issuer):
    pull = pull_of(issuer.entry(a_licence()))

    assert reasons(pull) == [] and pull.accepted[0].fields == {"sex": "男", "id_number": CHEN}


def test_an_entry_with_padded_signature_is_accepted(pull_of, issuer):
    entry = issuer.entry(a_licence())
    entry["signature"] += "=" * (-len(entry["signature"]) % 4)

    assert len(pull_of(entry).accepted) == 1


def test_another_issuers_key_is_a_bad_signature(pull_of, ca, issuer):
    entry = issuer.entry(a_licence())
    other = ca.issue(ISSUER_CODE, "广东省公安厅")
    entry["issuer_certificate"] = pem(other.certificate).decode()

    assert reasons(pull_of(entry)) == ["bad_signature"]


def test_an_expired_issuer_certificate(pull_of, ca):
    expired = ca.issue(ISSUER_CODE, "广东省公安厅", not_before=NOW - timedelta(days=800),
                       not_after=NOW - timedelta(days=1))
    not_yet = ca.issue(ISSUER_CODE, "广东省公安厅", not_before=NOW + timedelta(days=1))

    assert reasons(pull_of(expired.entry(a_licence()), not_yet.entry(a_licence()))) == [
        "issuer_expired", "issuer_expired"]


def test_an_issuer_certificate_without_digital_signature_usage(pull_of, ca):
    issuer = ca.issue(ISSUER_CODE, "广东省公安厅", digital_signature=False)

    assert reasons(pull_of(issuer.entry(a_licence()))) == ["untrusted_issuer"]


def test_an_issuer_certificate_on_another_curve(pull_of, ca):
    issuer = ca.issue(ISSUER_CODE, "广东省公安厅", key=ec.generate_private_key(ec.SECP384R1()))

    assert reasons(pull_of(issuer.entry(a_licence()))) == ["untrusted_issuer"]


def test_an_issuer_signs_only_its_own_licences(pull_of, ca):
    education = ca.issue("440000JY0001", "广东省教育厅")  # trusted, but not the ID card's issuer
    anonymous = ca.issue(None, "广东省公安厅")

    assert reasons(pull_of(education.entry(a_licence()), anonymous.entry(a_licence()))) == [
        "untrusted_issuer", "untrusted_issuer"]


def test_the_root_ca_itself_cannot_sign_licences(pull_of, ca):
    root_signed = Issuer(ca.key, ca.certificate).entry(a_licence())

    assert reasons(pull_of(root_signed)) == ["untrusted_issuer"]


def test_someone_elses_licence_is_refused(pull_of, issuer):
    liang = "440622199007210021"
    theirs = a_licence(holder={"kind": "citizen", "id": liang, "name": "梁雅婷"})
    business = a_licence(code=make_licence_code(ISSUER_CODE, "business_licence", 2019, 1),
                         type_code="business_licence", holder={"kind": "enterprise", "id": CHEN, "name": "x"})
    wrong_kind = a_licence(holder={"kind": "enterprise", "id": CHEN, "name": "陈家豪"})

    pull = pull_of(issuer.entry(theirs), issuer.entry(business), issuer.entry(wrong_kind))

    assert reasons(pull) == ["holder_mismatch"] * 3
    assert [r.code for r in pull.refused] == [theirs["code"], business["code"], wrong_kind["code"]]


def test_a_status_valid_licence_past_valid_until_is_expired(pull_of, issuer):
    today = china_today()
    entry = issuer.entry(a_licence(valid_until=today.isoformat()))
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), CHINA_STANDARD_TIME)

    last_minute = pull_of(entry, now=tomorrow - timedelta(minutes=1))
    next_day = pull_of(entry, now=tomorrow + timedelta(minutes=1))

    assert last_minute.accepted[0].status == "valid"
    assert next_day.accepted[0].status == "expired"  # the day after valid_until, in Foshan


@pytest.mark.parametrize("changes", [
    {"code": "440000GA0001-resident_id_card-2019000010019"},  # bad check character
    {"code": None},
    {"type_code": "driver_licence"},  # disagrees with the code
    {"issuer_code": "440000GA0002"},
    {"issuer_name": ""},
    {"status": "suspended"},
    {"valid_from": "2015-6-18"},
    {"valid_from": "2015-02-30"},
    {"valid_until": "2015-06-17"},  # before valid_from
    {"fields": {"sex": 1}},
    {"fields": ["男"]},
    {"holder": {"kind": "citizen", "id": CHEN}},
    {"extra": "not a licence key"},
])
def test_well_signed_but_malformed_licences(pull_of, issuer, changes):
    licence = a_licence(**changes)

    pull = pull_of(issuer.entry(licence))

    assert reasons(pull) == ["malformed"]
    assert pull.refused[0].code in (None, a_licence()["code"])


def test_missing_key_is_malformed(pull_of, issuer):
    licence = a_licence()
    del licence["valid_until"]

    assert reasons(pull_of(issuer.entry(licence))) == ["malformed"]


def test_a_licence_that_has_no_canonical_form_is_malformed(pull_of, issuer):
    entry = issuer.entry(a_licence())
    entry["licence"]["fields"] = {"weight": float("nan")}

    pull = pull_of(raw=json.dumps({"licences": [entry]}).encode())  # NaN, as Python writes it

    assert reasons(pull) == ["malformed"]


@pytest.mark.parametrize("entry", [
    "not an entry",
    None,
    {"licence": "x", "signature": "AA", "issuer_certificate": "x"},
    {"signature": "AA"},
])
def test_entries_of_the_wrong_shape(pull_of, entry):
    pull = pull_of(entry)

    assert pull.refused == [RefusedLicence(None, "malformed")]


def test_unreadable_certificate_or_signature(pull_of, issuer):
    good = issuer.entry(a_licence())
    code = good["licence"]["code"]

    pull = pull_of(
        {**good, "issuer_certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
        {**good, "issuer_certificate": None},
        {**good, "signature": "not base64!"},
        {**good, "signature": "A" * 300},
        {**good, "signature": base64.urlsafe_b64encode(b"\x30\x02\x01").decode()},  # not DER
    )

    assert pull.refused == [RefusedLicence(code, "malformed")] * 4 + [RefusedLicence(code, "bad_signature")]


def test_verified_licences_keep_personal_data_out_of_repr(pull_of, issuer):
    (licence,) = pull_of(issuer.entry(a_licence())).accepted

    assert CHEN not in repr(licence) and "陈家豪" not in repr(licence)

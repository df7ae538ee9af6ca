"""Access tokens: JWTs (RFC 9068 profile) signed with keys kept in the database.

The algorithm is the crypto suite's (``NHT_CRYPTO_SUITE``): ES256, or under the national
suite ``SM2SM3`` — SM2 over SM3 with the configured distinguishing identifier, signature
``r || s`` as in ES256, public key a JWK ``{"kty": "EC", "crv": "SM2", ...}`` (neither
name is registered with IANA; docs/crypto.md says why these). Each key row names its
algorithm, and the key set keeps a signing key per algorithm in use, so tokens signed
before a suite switch verify until they expire, and partners' ID tokens stay ES256.

Every API instance signs with the newest active key and verifies with any key that is
active or was retired less than one access-token lifetime ago, so rotating keys logs no
one out. Public keys are published at /.well-known/jwks.json; a key id is the key's
RFC 7638 thumbprint.

Verification trusts nothing in the token's header but ``kid`` (looked up in our own
key set) and ``typ``: the algorithm list is pinned, and ``jku``/``jwk``/``x5u`` are
never followed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from datetime import timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from jwt.algorithms import ECAlgorithm
from sqlalchemy import or_, select

from .. import db
from ..errors import Unauthorized
from ..ids import new_id
from ..security import sm2
from ..timeutil import as_utc, utcnow
from .models import SigningKey

ALGORITHM = "ES256"  # the international suite's, and partners' ID tokens' by default
SM2_ALGORITHM = "SM2SM3"
ALGORITHMS = (ALGORITHM, SM2_ALGORITHM)
ACCESS_TOKEN_TYPE = "at+jwt"
_KID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "sid", "loa"]
_CACHE_SECONDS = 30


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SM2Signer:
    """An SM2 private key as pyjwt sees it: signs through the app's key custody."""

    def __init__(self, private: sm2.SM2PrivateKey, custody):
        self.private, self.custody = private, custody

    def sign(self, data: bytes) -> bytes:
        return self.custody.sign(self.private, SM2_ALGORITHM, data)


class SM2Verifier:
    """An SM2 public key with the distinguishing identifier its signatures use."""

    def __init__(self, public: sm2.SM2PublicKey, distid: bytes):
        self.public, self.distid = public, distid

    def verify(self, signature: bytes, data: bytes) -> bool:
        return self.public.verify(signature, data, distid=self.distid)


class SM2JWSAlgorithm(jwt.algorithms.Algorithm):
    """``SM2SM3`` for pyjwt: the JWS signature is ``r || s`` (64 bytes), as ES256's is."""

    def prepare_key(self, key):
        if not isinstance(key, SM2Signer | SM2Verifier):
            raise jwt.InvalidKeyError("not an SM2 key")
        return key

    def sign(self, msg: bytes, key) -> bytes:
        if not isinstance(key, SM2Signer):
            raise jwt.InvalidKeyError("not an SM2 private key")
        return sm2.der_to_raw(key.sign(msg))

    def verify(self, msg: bytes, key, sig: bytes) -> bool:
        if not isinstance(key, SM2Verifier):
            return False
        try:
            return key.verify(sm2.raw_to_der(sig), msg)
        except sm2.SM2Error:
            return False

    @staticmethod
    def to_jwk(key_obj, as_dict: bool = False):
        public = key_obj.public if isinstance(key_obj, SM2Verifier) else key_obj
        x, y = public.public_point()
        jwk = {"kty": "EC", "crv": "SM2", "x": _b64url(x.to_bytes(32, "big")), "y": _b64url(y.to_bytes(32, "big"))}
        return jwk if as_dict else json.dumps(jwk)

    @staticmethod
    def from_jwk(jwk):
        jwk = json.loads(jwk) if isinstance(jwk, str) else jwk
        if jwk.get("kty") != "EC" or jwk.get("crv") != "SM2":
            raise jwt.InvalidKeyError("not an SM2 JWK")
        x, y = (int.from_bytes(_b64url_decode(jwk[c]), "big") for c in ("x", "y"))
        return sm2.SM2PublicKey.from_point(x, y)


jwt.register_algorithm(SM2_ALGORITHM, SM2JWSAlgorithm())


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _thumbprint(jwk: dict) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


class KeyRing:
    """The process's view of the signing keys, refreshed from the database."""

    def __init__(self, access_ttl: int):
        self._access_ttl = access_ttl
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._signing: dict[str, tuple[str, object]] = {}  # algorithm -> (kid, private key)
        self._public: dict[str, tuple[object, dict, str]] = {}  # kid -> (key, JWK, algorithm)

    def _horizon(self):
        # Retired keys verify for one access-token lifetime (plus clock skew) after retiring.
        return utcnow() - timedelta(seconds=self._access_ttl + 60)

    def _load(self) -> None:
        rows = db.session().execute(
            select(SigningKey)
            .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > self._horizon()))
            .order_by(SigningKey.created_at.desc(), SigningKey.kid)
        ).scalars().all()
        public, signing = {}, {}
        for row in rows:
            public[row.kid] = _public_entry(row)
            if row.algorithm not in signing and row.retired_at is None:
                signing[row.algorithm] = (row.kid, _private_key(row))
        with self._lock:
            self._public, self._signing, self._loaded_at = public, signing, time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at > _CACHE_SECONDS:
            self._load()

    def signing_key(self, algorithm: str | None = None) -> tuple[str, object]:
        """(kid, private key) of the newest active key for ``algorithm`` (default: the
        suite's token algorithm), made on first use."""
        algorithm = algorithm or token_algorithm()
        self._fresh()
        if algorithm not in self._signing:
            create_signing_key(algorithm)
            self._load()
        return self._signing[algorithm]

    def public_key(self, kid: str):
        """The key for ``kid``; one another instance made since our last load is found too."""
        entry = self.public_entry(kid)
        return entry[0] if entry else None

    def algorithm_of(self, kid: str) -> str | None:
        entry = self.public_entry(kid)
        return entry[2] if entry else None

    def public_entry(self, kid: str):
        self._fresh()
        entry = self._public.get(kid)
        if entry is None:
            # A primary-key lookup per unknown kid: as cheap as the session lookup every
            # request makes anyway, so bogus kids cannot make it expensive.
            row = db.session().get(SigningKey, kid)
            if row is None or (row.retired_at is not None and as_utc(row.retired_at) <= self._horizon()):
                return None
            entry = _public_entry(row)
            with self._lock:
                self._public[kid] = entry
        return entry

    def jwks(self) -> dict:
        self._fresh()
        if token_algorithm() not in self._signing:
            self.signing_key()
        return {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": alg} for kid, (_, jwk, alg) in self._public.items()]}

    def forget(self) -> None:
        self._loaded_at = 0.0


def _distid() -> bytes:
    return current_app.config["SM2_ID"].encode()


def _public_entry(row: SigningKey) -> tuple[object, dict, str]:
    jwk = json.loads(row.public_jwk)
    if row.algorithm == SM2_ALGORITHM:
        return SM2Verifier(SM2JWSAlgorithm.from_jwk(jwk), _distid()), jwk, row.algorithm
    return ECAlgorithm.from_jwk(jwk), jwk, row.algorithm


_SM2_PEM_LABEL = "SM2 PRIVATE KEY"  # the label the signing keys were first stored with


def _private_key(row: SigningKey):
    if row.algorithm == SM2_ALGORITHM:
        private = sm2.SM2PrivateKey.from_pem(row.private_key)
        return SM2Signer(private, current_app.extensions["nht.custody"])
    return serialization.load_pem_private_key(row.private_key.encode(), None)


def token_algorithm() -> str:
    """The algorithm new tokens are signed with: the crypto suite's."""
    return current_app.extensions["nht.suite"].token_alg


def create_signing_key(algorithm: str | None = None) -> str:
    """Add a new active key for ``algorithm`` (default: the suite's) and retire the previous
    ones of that algorithm (they keep verifying for a while)."""
    algorithm = algorithm or token_algorithm()
    if algorithm == SM2_ALGORITHM:
        private = sm2.SM2PrivateKey.generate()
        jwk = SM2JWSAlgorithm.to_jwk(private, as_dict=True)
        pem = private.private_pem(_SM2_PEM_LABEL)
    elif algorithm == ALGORITHM:
        private = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    else:
        raise ValueError(f"unknown token algorithm {algorithm!r}")
    jwk = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    kid = _thumbprint(jwk)
    now = utcnow()
    with db.unit_of_work():
        session = db.session()
        for row in session.execute(select(SigningKey).where(SigningKey.retired_at.is_(None),
                                                            SigningKey.algorithm == algorithm)).scalars():
            row.retired_at = now
        session.add(SigningKey(kid=kid, algorithm=algorithm, private_key=pem, public_jwk=json.dumps(jwk),
                               created_at=now))
    keyring().forget()
    return kid


def keyring() -> KeyRing:
    return current_app.extensions["nht.keyring"]


def issue_access_token(*, subject: str, audience: str, session_id: str, assurance_level: int,
                       extra: dict | None = None) -> tuple[str, int]:
    ttl = current_app.config["ACCESS_TOKEN_TTL_SECONDS"]
    now = int(time.time())
    algorithm = token_algorithm()
    kid, private = keyring().signing_key(algorithm)
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": audience,
        "sub": subject,
        "iat": now,
        "exp": now + ttl,
        "jti": new_id(),
        "sid": session_id,
        "loa": assurance_level,
        **(extra or {}),
    }
    token = jwt.encode(claims, private, algorithm=algorithm, headers={"kid": kid, "typ": ACCESS_TOKEN_TYPE})
    return token, ttl


_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,512}")  # real headers are under 200 characters


def unverified_header(token: str) -> dict:
    """A JWT's header, read only to choose the key; ``jwt.decode`` then checks the whole
    token, this header included, as strictly as ever.

    pyjwt (2.15) checks every character of every segment in a Python loop, and
    ``jwt.get_unverified_header`` followed by ``jwt.decode`` did it twice: 0.2 ms more per
    presentation verified. Malformed input raises ValueError."""
    segment = token.split(".", 1)[0]
    if not _SEGMENT.fullmatch(segment):
        raise ValueError("not a JWT header")
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    if not isinstance(header, dict) or not isinstance(header.get("kid", ""), str):
        raise ValueError("not a JWT header")  # pyjwt's reader refuses a kid that is no string too
    return header


class VerifiedTokens:
    """Tokens this process has fully verified, with their claims, most recent first.

    An app sends the same access token with every request for its fifteen minutes, and
    checking its ES256 signature again each time was a fifth of an authenticated request's
    CPU. What a repeat check could find different depends only on the clock and the key
    set, so a hit re-checks exactly those: the token has not expired and its key still
    verifies. Bounded, so a flood of distinct valid tokens only evicts.
    """

    def __init__(self, size: int = 4096):
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, tuple[str, ...]], tuple[str, dict]] = OrderedDict()

    def get(self, token: str, audiences: tuple[str, ...]) -> dict | None:
        with self._lock:
            entry = self._entries.get((token, audiences))
            if entry is not None:
                self._entries.move_to_end((token, audiences))
        if entry is None:
            return None
        kid, claims = entry
        if claims["exp"] <= time.time():
            raise jwt.ExpiredSignatureError
        if keyring().public_key(kid) is None:
            raise jwt.InvalidTokenError("key no longer verifies")
        return dict(claims)

    def put(self, token: str, audiences: tuple[str, ...], kid: str, claims: dict) -> None:
        with self._lock:
            self._entries[(token, audiences)] = (kid, dict(claims))
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


def decode_access_token(token: str, audiences: tuple[str, ...]) -> dict:
    """Verify signature, type, issuer, audience and lifetime; any doubt is a 401."""
    verified: VerifiedTokens = current_app.extensions["nht.verified_tokens"]
    try:
        claims = verified.get(token, audiences)
        if claims is not None:
            return claims
        header = unverified_header(token)
        kid = header.get("kid")
        if header.get("typ") != ACCESS_TOKEN_TYPE or not isinstance(kid, str) or not _KID.match(kid):
            raise jwt.InvalidTokenError("unexpected header")
        entry = keyring().public_entry(kid)
        if entry is None:
            raise jwt.InvalidTokenError("unknown key")
        key, _, algorithm = entry
        claims = jwt.decode(  # the algorithm is the key's own, never the header's
            token, key, algorithms=[algorithm], audience=list(audiences),
            issuer=current_app.config["ISSUER"], options={"require": _REQUIRED_CLAIMS, "strict_aud": False},
        )
        if not isinstance(claims.get("sid"), str) or not isinstance(claims.get("sub"), str):
            raise jwt.InvalidTokenError("sid and sub must be strings")
        verified.put(token, audiences, kid, claims)
        return claims
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The access token has expired; refresh it.", code="token_expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("The access token is not valid.", code="invalid_token") from None


def init_app(app: Flask) -> None:
    app.extensions["nht.keyring"] = KeyRing(app.config["ACCESS_TOKEN_TTL_SECONDS"])
    app.extensions["nht.verified_tokens"] = VerifiedTokens()

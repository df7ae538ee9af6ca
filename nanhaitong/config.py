"""Settings: NHT_* environment variables over embedded defaults.

The embedded default runs on one machine with nothing installed by hand: a SQLite file
and generated secrets under ./var/, in-process rate limits and jobs, sandbox upstreams
mounted on the API's own host. A production config (NHT_ENV=production) refuses to start
with sandbox upstreams or generated secrets unless NHT_ALLOW_INSECURE=1 says so.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .security.keytext import decode_key, encode_key, generate_key


class ConfigError(RuntimeError):
    """The settings cannot make a safe application."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None


# name -> (default, parser). Defaults may refer to DATA_DIR/HOST/PORT, resolved in load().
_SETTINGS: dict[str, tuple[object, object]] = {
    "ENV": ("development", str),
    "DATA_DIR": ("./var", str),
    "DATABASE_URL": (None, str),
    "REDIS_URL": (None, str),
    "HOST": ("127.0.0.1", str),
    "PORT": (8000, _int),
    "SANDBOX": (None, _flag),
    "SANDBOX_URL": (None, str),
    "SANDBOX_MOUNT": (True, _flag),
    "JOBS_EAGER": (None, _flag),
    "PROXY_COUNT": (0, _int),
    "ALLOW_INSECURE": (False, _flag),
    "MAX_BODY_BYTES": (1024 * 1024, _int),
    "RATELIMIT_DEFAULT": ("300 per minute", str),
    "UPSTREAM_TIMEOUT_SECONDS": ("5", str),
    "SMS_API_KEY": ("sandbox-sms-key", str),
    "SMS_BASE_URL": (None, str),
    "IDV_API_KEY": ("sandbox-idv-key", str),
    "IDV_BASE_URL": (None, str),
    "FACE_API_KEY": ("sandbox-face-key", str),
    "FACE_BASE_URL": (None, str),
    "YUESHANGTONG_API_KEY": ("sandbox-yueshangtong-key", str),
    "YUESHANGTONG_BASE_URL": (None, str),
    "LICENCE_LIBRARY_API_KEY": ("sandbox-elic-key", str),
    "LICENCE_LIBRARY_BASE_URL": (None, str),
    "PUSH_API_KEY": ("sandbox-push-key", str),
    "PUSH_BASE_URL": (None, str),
    # Path of the e-licence library's root CA certificate (PEM). Production must set it:
    # without it the client takes whatever anchor the library serves (sandbox only).
    "LICENCE_TRUST_ANCHOR": (None, str),
    "LOG_LEVEL": ("INFO", str),
    "ISSUER": (None, str),
    # The public base URL clients reach us at (https in production): the partner
    # client-assertion audience and the OIDC discovery document use it, never the request's
    # Host. In production, requests for any other host are refused (Flask TRUSTED_HOSTS).
    "PUBLIC_URL": (None, str),
    "TRUSTED_HOSTS": ("", str),  # more host names to accept in production, comma-separated
    # Partner URLs (jwks_uri, webhook URLs) on loopback over http: development and tests only.
    "PARTNER_URLS_ALLOW_LOOPBACK": (None, _flag),
    "ACCESS_TOKEN_TTL_SECONDS": (900, _int),
    "REFRESH_TOKEN_TTL_SECONDS": (30 * 24 * 3600, _int),
    "SMS_CODE_TTL_SECONDS": (300, _int),
    "SMS_RESEND_SECONDS": (60, _int),
    "SMS_DAILY_PER_PHONE": (10, _int),
    "SMS_DAILY_PER_IP": (50, _int),
    "LOGIN_FAILURES_BEFORE_LOCK": (5, _int),
    "LOGIN_LOCK_SECONDS": (900, _int),
    # Argon2id parameters of new password hashes (issue 26): "owasp" (19 MiB, t=2, p=1),
    # "rfc9106" (64 MiB, t=3, p=4) or "cheap" (tests and demos; refused in production).
    # Stored hashes of other parameters are re-made at their next successful sign-in.
    "PASSWORD_HASH_PROFILE": ("owasp", str),
    "SECRET_KEY": (None, str),
    "FIELD_KEYS": (None, str),
    "FIELD_KEY_CURRENT": (None, str),
    "BLIND_INDEX_KEY": (None, str),
    "AUDIT_KEY": (None, str),
    # Cryptographic suite (issue 25, docs/crypto.md): "international" (ES256, AES-GCM,
    # HMAC-SHA256) or "national" (SM2, SM4-GCM, HMAC-SM3) for what is written from now on;
    # what was written under either stays readable. SM2_ID: the SM2 distinguishing id.
    "CRYPTO_SUITE": ("international", str),
    "SM2_ID": ("1234567812345678", str),
    # esign (issue 6): the largest PDF a signing or verification upload may carry, and how
    # long a signing request waits for its SMS confirmation.
    "ESIGN_MAX_PDF_BYTES": (10 * 1024 * 1024, _int),
    "ESIGN_REQUEST_TTL_SECONDS": (900, _int),
    "ESIGN_TSA_DAYS": (3650, _int),  # lifetime of a new TSA certificate
    "ESIGN_ARCHIVE_MARGIN_DAYS": (90, _int),  # re-timestamp documents this long before their TSA cert ends
    # Provincial services gateways (issue 7): Yueshengshi (citizens), Yueshangtong (enterprises).
    "YUESHENGSHI_BASE_URL": (None, str),
    "YUESHENGSHI_APP_KEY": ("nanhaitong-sandbox", str),
    "YUESHENGSHI_APP_SECRET": ("sandbox-yueshengshi-secret", str),
    "YUESHENGSHI_CALLBACK_SECRET": ("sandbox-yueshengshi-callback-secret", str),
    "YUESHANGTONG_GATEWAY_BASE_URL": (None, str),
    "YUESHANGTONG_GATEWAY_APP_KEY": ("nanhaitong-sandbox", str),
    "YUESHANGTONG_GATEWAY_APP_SECRET": ("sandbox-yueshangtong-gateway-secret", str),
    "YUESHANGTONG_GATEWAY_CALLBACK_SECRET": ("sandbox-yueshangtong-gateway-callback-secret", str),
    "GOV_SERVICES_CALLBACK_URL": (None, str),
    "GOV_SERVICES_TIMEOUT_SECONDS": (None, str),
    "GOV_SERVICES_RETRIES": (1, _int),
    "GOV_SERVICES_BREAKER_FAIL_MAX": (5, _int),
    "GOV_SERVICES_BREAKER_RESET_SECONDS": ("30", str),
}
_SETTINGS.update({  # payments (issue 8): see docs/payments.md
    "PAYMENTS_NOTIFY_BASE_URL": (None, str),  # where the gateways reach our callbacks (public https URL)
    "PAYMENTS_ORDER_TTL_SECONDS": (900, _int),
    # Staff console (issue 24): a manual refund above this many fen needs a second
    # payments_ops member's approval; an order stuck this long in refunding or
    # fulfilment_failed is alerted on.
    "PAYMENTS_REFUND_APPROVAL_FEN": (50_000, _int),
    "PAYMENTS_STUCK_ALERT_SECONDS": (3600, _int),
    # Refused callbacks (bad signature, unknown order...) one source may send per minute
    # before its callbacks are answered 429 without being looked at (issue 21, finding 5).
    "PAYMENTS_CALLBACK_REFUSALS_PER_MINUTE": (20, _int),
    "WECHATPAY_BASE_URL": (None, str),
    "WECHATPAY_MCHID": ("1900000109", str),
    "WECHATPAY_APPID": ("wxd678efh567hg6787", str),
    "WECHATPAY_MERCHANT_SERIAL": ("5157F09EFDC096DE15EBE81A47057A72", str),
    "WECHATPAY_MERCHANT_KEY": (None, str),  # PEM of the merchant API private key
    "WECHATPAY_APIV3_KEY": (None, str),  # 32 characters
    "WECHATPAY_PLATFORM_CERT": (None, str),  # path of the platform certificate (PEM); production pins it
    "ALIPAY_GATEWAY_URL": (None, str),
    "ALIPAY_APP_ID": ("2021000000000001", str),
    "ALIPAY_APP_PRIVATE_KEY": (None, str),  # PEM of the app private key (RSA2)
    "ALIPAY_PUBLIC_KEY": (None, str),  # path of the Alipay public key (PEM); production pins it
    "LINGNAN_BASE_URL": (None, str),
    "LINGNAN_API_KEY": ("sandbox-lingnan-key", str),
    "GAS_BASE_URL": (None, str),
    "GAS_API_KEY": ("sandbox-gas-key", str),
})

_SETTINGS.update({  # one-stop services (issue 27): see docs/one_stop.md
    "ONE_STOP_BOOKING_DAYS": (10, _int),  # working days ahead that slots are open for booking
    "ONE_STOP_MAX_CHANGES": (2, _int),  # times one appointment may be moved
    "ONE_STOP_NO_SHOW_LIMIT": (3, _int),  # no-shows within ONE_STOP_BLOCK_DAYS that block booking
    "ONE_STOP_BLOCK_DAYS": (30, _int),  # the window counted, and how long booking stays blocked
    "ONE_STOP_NO_SHOW_GRACE_MINUTES": (30, _int),  # after a slot's end before it counts as a no-show
    "ONE_STOP_DEADLINE_WARNING_DAYS": (2, _int),  # working days before a case's deadline that staff are warned
    "ONE_STOP_FOLLOWUP_DAYS": (5, _int),  # working days staff have to answer a bad rating
})
_SETTINGS.update({  # privacy (issue 23): see docs/privacy.md
    "PRIVACY_DELETION_COOLING_OFF_DAYS": (15, _int),  # signing in within it cancels an account deletion
    "PRIVACY_EXPORT_LINK_DAYS": (7, _int),  # how long a copy of one's data can be downloaded
})

# Secrets that are generated into DATA_DIR when neither the environment nor the caller
# gives them. Production must be given all of them.
_GENERATED = ("SECRET_KEY", "FIELD_KEYS", "FIELD_KEY_CURRENT", "BLIND_INDEX_KEY", "AUDIT_KEY")
_GENERATED += ("WECHATPAY_MERCHANT_KEY", "WECHATPAY_APIV3_KEY", "ALIPAY_APP_PRIVATE_KEY")  # payments


def load(overrides: dict | None = None, environ: os._Environ | dict | None = None) -> dict:
    """Build the application settings.

    Precedence: explicit ``overrides`` (tests, scripts), then ``NHT_*`` variables, then
    embedded defaults. Returns a plain dict ready for ``app.config.update``.
    """
    cfg = _read(overrides or {}, os.environ if environ is None else environ)
    data_dir = Path(cfg["DATA_DIR"])
    _local_defaults(cfg, data_dir)
    _payments_defaults(cfg)
    cfg["UPSTREAM_TIMEOUT_SECONDS"] = float(cfg["UPSTREAM_TIMEOUT_SECONDS"])
    cfg["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY_BYTES"]

    _gov_services_defaults(cfg)
    if cfg["CRYPTO_SUITE"] not in ("international", "national"):
        raise ConfigError(f"NHT_CRYPTO_SUITE must be 'international' or 'national', got {cfg['CRYPTO_SUITE']!r}")
    if cfg["PASSWORD_HASH_PROFILE"] not in ("owasp", "rfc9106", "cheap"):
        raise ConfigError("NHT_PASSWORD_HASH_PROFILE must be 'owasp', 'rfc9106' or 'cheap', "
                          f"got {cfg['PASSWORD_HASH_PROFILE']!r}")
    if not cfg["SM2_ID"] or len(cfg["SM2_ID"].encode()) > 8191:
        raise ConfigError("NHT_SM2_ID must be a non-empty identifier of under 8 KiB")
    generated = _fill_secrets(cfg, data_dir)
    cfg["GENERATED_SECRETS"] = sorted(generated)
    _refuse_unsafe_production(cfg)
    return cfg


def _read(overrides: dict, environ) -> dict:
    """Each setting from ``overrides``, else its ``NHT_*`` variable, else its default."""
    overrides = dict(overrides)
    cfg: dict = {}
    for name, (default, parse) in _SETTINGS.items():
        if name in overrides:
            cfg[name] = overrides.pop(name)
        elif f"NHT_{name}" in environ:
            raw = environ[f"NHT_{name}"]
            cfg[name] = raw if parse is str else parse(raw, f"NHT_{name}")
        else:
            cfg[name] = default
    cfg.update(overrides)  # Flask/extension settings passed through untouched
    return cfg


def _local_defaults(cfg: dict, data_dir: Path) -> None:
    """Settings left unset take what fits the environment: outside production, the
    embedded database and the sandbox upstreams on this host."""
    production = cfg["ENV"] == "production"
    if cfg["SANDBOX"] is None:
        cfg["SANDBOX"] = not production
    if cfg["JOBS_EAGER"] is None:
        cfg["JOBS_EAGER"] = not cfg["REDIS_URL"]
    if cfg["DATABASE_URL"] is None:
        cfg["DATABASE_URL"] = f"sqlite:///{(data_dir / 'nanhaitong.db').resolve()}"
    cfg["DATABASE_URL"] = normalize_database_url(cfg["DATABASE_URL"])
    if cfg["SANDBOX_URL"] is None:
        cfg["SANDBOX_URL"] = f"http://{cfg['HOST']}:{cfg['PORT']}/sandbox"
    if cfg["ISSUER"] is None:
        cfg["ISSUER"] = f"http://{cfg['HOST']}:{cfg['PORT']}"
    if cfg["PUBLIC_URL"] is None:
        cfg["PUBLIC_URL"] = cfg["ISSUER"]
    cfg["PUBLIC_URL"] = cfg["PUBLIC_URL"].rstrip("/")
    if cfg["PARTNER_URLS_ALLOW_LOOPBACK"] is None:
        cfg["PARTNER_URLS_ALLOW_LOOPBACK"] = not production
    cfg["TRUSTED_HOSTS"] = _trusted_hosts(cfg) if production else None
    if cfg["SMS_BASE_URL"] is None:
        cfg["SMS_BASE_URL"] = cfg["SANDBOX_URL"]
    for upstream in ("IDV", "FACE", "YUESHANGTONG", "LICENCE_LIBRARY", "PUSH"):
        if cfg[f"{upstream}_BASE_URL"] is None:
            cfg[f"{upstream}_BASE_URL"] = cfg["SANDBOX_URL"]


def _trusted_hosts(cfg: dict) -> list[str]:
    """The public URL's host and any listed in TRUSTED_HOSTS: Flask refuses any other
    Host with 400 (request.host raises SecurityError)."""
    from urllib.parse import urlsplit

    given = cfg["TRUSTED_HOSTS"] or ""
    extra = [h.strip() for h in (given.split(",") if isinstance(given, str) else given) if h.strip()]
    return [h for h in (urlsplit(cfg["PUBLIC_URL"]).hostname, *extra) if h]


def normalize_database_url(url: str) -> str:
    """Plain postgresql:// URLs (as operators write them) use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _fill_secrets(cfg: dict, data_dir: Path) -> set[str]:
    """Take missing secrets from DATA_DIR/secrets.json, creating it on first start."""
    missing = [name for name in _GENERATED if not cfg.get(name)]
    if not missing:
        return set()
    if cfg["ENV"] == "production" and not cfg["ALLOW_INSECURE"]:
        # Never write dev secrets on a production host; the refusal below explains.
        return set(missing)
    path = data_dir / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if any(name not in stored for name in missing):
        stored = {**_new_secrets(), **stored}
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        # 0600 from the first byte: the file holds every data key of the embedded mode.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(stored, fh, indent=2)
        os.replace(tmp, path)
    for name in missing:
        cfg[name] = stored[name]
    return set(missing)


def _new_secrets() -> dict:
    return {
        "SECRET_KEY": encode_key(generate_key()),
        "FIELD_KEYS": f"k1:{encode_key(generate_key())}",
        "FIELD_KEY_CURRENT": "k1",
        "BLIND_INDEX_KEY": encode_key(generate_key()),
        "AUDIT_KEY": encode_key(generate_key()),
        **_payment_secrets(),
    }


def _refuse_unsafe_production(cfg: dict) -> None:
    if cfg["ENV"] != "production" or cfg["ALLOW_INSECURE"]:
        return
    problems = []
    if cfg["SANDBOX"]:
        problems.append("NHT_SANDBOX is on (sandbox upstreams)")
    if cfg["GENERATED_SECRETS"]:
        names = ", ".join(f"NHT_{n}" for n in cfg["GENERATED_SECRETS"])
        problems.append(f"secrets not given: {names}")
    if cfg["DATABASE_URL"].startswith("sqlite"):
        problems.append("NHT_DATABASE_URL is SQLite")
    if not cfg["PUBLIC_URL"].startswith("https://"):
        problems.append("NHT_PUBLIC_URL is not an https URL")
    if cfg["PARTNER_URLS_ALLOW_LOOPBACK"]:
        problems.append("NHT_PARTNER_URLS_ALLOW_LOOPBACK is on")
    if cfg["PASSWORD_HASH_PROFILE"] == "cheap":
        problems.append("NHT_PASSWORD_HASH_PROFILE is 'cheap' (test-strength password hashes)")
    if problems:
        raise ConfigError(
            "refusing to start in production: " + "; ".join(problems)
            + ". Set them, or NHT_ALLOW_INSECURE=1 to run anyway."
        )


def field_keys(cfg: dict) -> tuple[dict[str, bytes], str]:
    """Parse ``FIELD_KEYS`` ("kid:base64,kid:base64") and the current key id."""
    keys = {}
    for part in cfg["FIELD_KEYS"].split(","):
        kid, _, encoded = part.strip().partition(":")
        if not kid or not encoded:
            raise ConfigError("NHT_FIELD_KEYS must look like 'k1:<base64>,k2:<base64>'")
        keys[kid] = decode_key(encoded)
    current = cfg["FIELD_KEY_CURRENT"]
    if current not in keys:
        raise ConfigError(f"NHT_FIELD_KEY_CURRENT {current!r} is not in NHT_FIELD_KEYS")
    return keys, current


def _gov_services_defaults(cfg: dict) -> None:
    """Provincial gateways: sandbox URLs by default, and the callback URL they are given.

    The callback URL defaults to this server's own address: the sandbox's mount point
    when it is mounted here (tests, `make run`), else NHT_ISSUER.
    """
    for upstream in ("YUESHENGSHI", "YUESHANGTONG_GATEWAY"):
        if cfg[f"{upstream}_BASE_URL"] is None:
            cfg[f"{upstream}_BASE_URL"] = cfg["SANDBOX_URL"]
    if cfg["GOV_SERVICES_CALLBACK_URL"] is None:
        base = cfg["ISSUER"]
        if cfg["SANDBOX"] and cfg["SANDBOX_MOUNT"] and cfg["SANDBOX_URL"].endswith("/sandbox"):
            base = cfg["SANDBOX_URL"][: -len("/sandbox")]
        cfg["GOV_SERVICES_CALLBACK_URL"] = base.rstrip("/") + "/api/v1/gov-services/callbacks/status"
    timeout = cfg["GOV_SERVICES_TIMEOUT_SECONDS"]
    cfg["GOV_SERVICES_TIMEOUT_SECONDS"] = (
        float(timeout) if timeout is not None else float(cfg["UPSTREAM_TIMEOUT_SECONDS"]))
    cfg["GOV_SERVICES_BREAKER_RESET_SECONDS"] = float(cfg["GOV_SERVICES_BREAKER_RESET_SECONDS"])
# -- payments (issue 8) ------------------------------------------------------------------

def _payments_defaults(cfg: dict) -> None:
    sandbox = cfg["SANDBOX_URL"]
    for name, path in (("WECHATPAY_BASE_URL", "/wechat"), ("ALIPAY_GATEWAY_URL", "/alipay/gateway.do"),
                       ("LINGNAN_BASE_URL", ""), ("GAS_BASE_URL", "")):
        if cfg[name] is None:
            cfg[name] = sandbox + path
    if cfg["PAYMENTS_NOTIFY_BASE_URL"] is None:
        # The mounted sandbox calls back the server it is mounted in.
        mounted = cfg["SANDBOX"] and cfg["SANDBOX_MOUNT"] and sandbox.endswith("/sandbox")
        cfg["PAYMENTS_NOTIFY_BASE_URL"] = sandbox[: -len("/sandbox")] if mounted else cfg["ISSUER"]


def _payment_secrets() -> dict:
    """Dev-only merchant keys: the sandbox gateways are told their public halves at start."""
    import secrets as _secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    def pem() -> str:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return {"WECHATPAY_MERCHANT_KEY": pem(), "ALIPAY_APP_PRIVATE_KEY": pem(),
            "WECHATPAY_APIV3_KEY": "".join(_secrets.choice(alphabet) for _ in range(32))}

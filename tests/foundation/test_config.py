"""Settings: environment over defaults, generated secrets, production refusals."""

import os
import stat

import pytest

from nanhaitong.config import ConfigError, load


def test_embedded_defaults(tmp_path):
    cfg = load({"DATA_DIR": str(tmp_path)}, environ={})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path.resolve()}/nanhaitong.db"
    assert cfg["REDIS_URL"] is None and cfg["JOBS_EAGER"] is True
    assert (cfg["HOST"], cfg["PORT"]) == ("127.0.0.1", 8000)
    assert cfg["SANDBOX"] is True
    assert cfg["SANDBOX_URL"] == "http://127.0.0.1:8000/sandbox"


def test_environment_overrides_defaults(tmp_path):
    cfg = load(environ={
        "NHT_DATA_DIR": str(tmp_path), "NHT_PORT": "9001", "NHT_SANDBOX": "off",
        "NHT_DATABASE_URL": "postgresql://u@db:5432/nht", "NHT_REDIS_URL": "redis://r:6379/0",
    })
    assert cfg["PORT"] == 9001 and cfg["SANDBOX"] is False
    assert cfg["DATABASE_URL"] == "postgresql+psycopg://u@db:5432/nht"
    assert cfg["JOBS_EAGER"] is False


def test_bad_values_are_named(tmp_path):
    with pytest.raises(ConfigError, match="NHT_PORT"):
        load(environ={"NHT_DATA_DIR": str(tmp_path), "NHT_PORT": "eighty"})
    with pytest.raises(ConfigError, match="NHT_SANDBOX"):
        load(environ={"NHT_DATA_DIR": str(tmp_path), "NHT_SANDBOX": "maybe"})


def test_secrets_generated_once_private_and_stable(tmp_path):
    first = load(environ={"NHT_DATA_DIR": str(tmp_path)})
    second = load(environ={"NHT_DATA_DIR": str(tmp_path)})
    secrets_file = tmp_path / "secrets.json"
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    for name in ("SECRET_KEY", "FIELD_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY"):
        assert first[name] == second[name]
    assert "SECRET_KEY" in first["GENERATED_SECRETS"]


def test_production_refuses_sandbox_and_generated_secrets(tmp_path):
    with pytest.raises(ConfigError) as refused:
        load(environ={"NHT_DATA_DIR": str(tmp_path), "NHT_ENV": "production", "NHT_SANDBOX": "1",
                      "NHT_DATABASE_URL": "postgresql://db/nht"})
    message = str(refused.value)
    assert "NHT_SANDBOX" in message and "NHT_SECRET_KEY" in message
    assert not (tmp_path / "secrets.json").exists(), "production must not write dev secrets"


def test_production_sandbox_defaults_off_and_starts_when_configured(tmp_path):
    given = {
        "NHT_ENV": "production", "NHT_DATA_DIR": str(tmp_path), "NHT_DATABASE_URL": "postgresql://db/nht",
        "NHT_SECRET_KEY": "x" * 43, "NHT_FIELD_KEYS": "k1:" + "A" * 43, "NHT_FIELD_KEY_CURRENT": "k1",
        "NHT_BLIND_INDEX_KEY": "B" * 43, "NHT_AUDIT_KEY": "C" * 43,
        "NHT_PUBLIC_URL": "https://api.nanhaitong.example",
    }
    given.update({"NHT_WECHATPAY_MERCHANT_KEY": "pem", "NHT_WECHATPAY_APIV3_KEY": "k" * 32,  # payments
                  "NHT_ALIPAY_APP_PRIVATE_KEY": "pem"})
    cfg = load(environ=given)
    assert cfg["SANDBOX"] is False and cfg["GENERATED_SECRETS"] == []
    assert cfg["TRUSTED_HOSTS"] == ["api.nanhaitong.example"]
    assert cfg["PUBLIC_URL"] == "https://api.nanhaitong.example"
    with pytest.raises(ConfigError, match="NHT_PUBLIC_URL"):
        load(environ={**given, "NHT_PUBLIC_URL": "http://api.nanhaitong.example"})


def test_production_can_be_told_to_run_insecurely(tmp_path):
    cfg = load(environ={"NHT_DATA_DIR": str(tmp_path), "NHT_ENV": "production", "NHT_SANDBOX": "1",
                        "NHT_ALLOW_INSECURE": "1"})
    assert cfg["SANDBOX"] is True

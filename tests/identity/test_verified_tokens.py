"""The per-process memory of verified access tokens: it saves the signature check on
repeats and nothing else (expiry, key retirement and audience: see test_token_forgery,
test_keys_and_jwks and test_staff_auth, which reuse a token after it was remembered)."""

from __future__ import annotations

import jwt

from nanhaitong.identity import tokens


def test_a_repeated_token_is_verified_once(app, sign_in, monkeypatch):
    citizen = sign_in()
    calls = []
    real_decode = jwt.decode
    monkeypatch.setattr(tokens.jwt, "decode", lambda *a, **kw: calls.append(1) or real_decode(*a, **kw))
    for _ in range(3):
        assert citizen.get("/api/v1/me").status_code == 200
    assert len(calls) == 1


def test_the_memory_is_bounded_and_keeps_the_recent(app, sign_in):
    pairs = [sign_in(f"1380013800{n}").tokens["access_token"] for n in range(1, 4)]
    memory = tokens.VerifiedTokens(size=2)
    with app.app_context():
        for token in pairs:
            memory.put(token, ("app",), jwt.get_unverified_header(token)["kid"], jwt.decode(token, options={"verify_signature": False}))
        assert memory.get(pairs[0], ("app",)) is None  # the oldest went first
        assert memory.get(pairs[2], ("app",))["sid"] and memory.get(pairs[1], ("app",))["sid"]
        assert memory.get(pairs[2], ("staff",)) is None  # remembered per audience set


def test_the_header_read_to_choose_a_key_is_pyjwts_reading(sign_in):
    token = sign_in().tokens["access_token"]
    assert tokens.unverified_header(token) == jwt.get_unverified_header(token)
    for bad in ("", ".e30.", "e30=.e30.", "W10.e30.", "_w.e30.", "e30" + "A" * 600 + ".e30.",
                "eyJraWQiOjF9.e30."):  # {"kid":1}
        try:
            tokens.unverified_header(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")

"""Identity tokens: what the OA portal signs, the assistant accepts; anything else is refused."""
from __future__ import annotations

import base64
import json

import pytest

from assistant.identity import Identity, TokenError, issue_token, verify_token

SECRET = "test-secret"
NOW = 1_780_000_000


def _reason(token, **kw) -> str:
    with pytest.raises(TokenError) as exc:
        verify_token(token, secret=kw.get("secret", SECRET), now=kw.get("now", NOW))
    assert exc.value.message and any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)
    return exc.value.reason


def test_round_trip_carries_org_officer_and_times():
    token = issue_token(640522, secret=SECRET, ttl_s=900, now=NOW, officer="马海燕")
    ident = verify_token(token, secret=SECRET, now=NOW + 10)
    assert ident == Identity(org_id=640522, officer="马海燕", issued_at=NOW, expires_at=NOW + 900)


def test_token_is_url_safe():
    token = issue_token(3, secret=SECRET, ttl_s=60, now=NOW, officer="张 三/?&=")
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert token.count(".") == 1


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing(token):
    assert _reason(token) == "missing"


def test_expired_at_and_after_expiry():
    token = issue_token(1, secret=SECRET, ttl_s=900, now=NOW)
    assert verify_token(token, secret=SECRET, now=NOW + 899).org_id == 1
    assert _reason(token, now=NOW + 900) == "expired"
    assert _reason(token, now=NOW + 10_000) == "expired"


def test_wrong_secret_is_forged():
    token = issue_token(1, secret="another-secret", ttl_s=900, now=NOW)
    assert _reason(token) == "forged"


def test_changed_payload_is_forged():
    token = issue_token(640522, secret=SECRET, ttl_s=900, now=NOW)
    body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["org"] = 1  # a county officer trying to become the root
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode() + "." + sig
    assert _reason(forged) == "forged"


def test_changed_signature_is_forged():
    token = issue_token(7, secret=SECRET, ttl_s=900, now=NOW)
    body, sig = token.split(".")
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    assert _reason(f"{body}.{flipped}") == "forged"


@pytest.mark.parametrize("token", ["abc", "a.b.c", "....", "x" * 5000, "你好.世界", "abc.%%%"])
def test_malformed(token):
    assert _reason(token) == "malformed"


def _signed(payload: dict) -> str:
    from assistant.identity import _b64encode, _mac
    body = _b64encode(json.dumps(payload).encode())
    return f"{body}.{_b64encode(_mac(body, SECRET))}"


@pytest.mark.parametrize("payload", [
    {"v": 1, "org": "1", "iat": NOW, "exp": NOW + 60},       # org not an integer
    {"v": 2, "org": 1, "iat": NOW, "exp": NOW + 60},         # unknown version
    {"v": 1, "org": 1, "iat": NOW},                          # no expiry
    {"v": 1, "org": 1, "iat": NOW + 3600, "exp": NOW + 7200},  # issued in the future
    [1, 2, 3],
])
def test_signed_but_malformed_payload(payload):
    assert _reason(_signed(payload)) == "malformed"


def test_issue_refuses_bad_arguments():
    with pytest.raises(ValueError):
        issue_token(1, secret="", ttl_s=60)
    with pytest.raises(ValueError):
        issue_token(1, secret=SECRET, ttl_s=0)

"""Signed, expiring identity tokens handed from the OA portal to the assistant widget.

The OA system (which owns the secret) signs the officer's organisation into a short-lived
token and puts it in the widget's iframe URL; the assistant verifies it and answers within
that organisation's scope. Format: ``base64url(json payload) "." base64url(HMAC-SHA256)``,
the MAC taken over the encoded payload. No padding, so the token is URL-safe as it is.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

TOKEN_VERSION = 1
CLOCK_SKEW_S = 60          # tolerated difference between the portal's and our clocks
MAX_TOKEN_CHARS = 4096
_B64URL = re.compile(r"[A-Za-z0-9_-]+")


class TokenError(Exception):
    """A token that cannot be trusted. `message` is Chinese, for the officer; `reason` a short code."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason   # missing / malformed / forged / expired


@dataclass(frozen=True)
class Identity:
    org_id: int
    officer: str | None
    issued_at: int
    expires_at: int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload_b64: str, secret: str) -> bytes:
    if not secret:
        raise ValueError("token secret is empty (set WENSHU_TOKEN_SECRET)")
    return hmac.new(secret.encode("utf-8"), payload_b64.encode("ascii"), hashlib.sha256).digest()


def issue_token(org_id: int, *, secret: str, ttl_s: int, now: float | None = None, officer: str | None = None) -> str:
    """A token for one officer of one organisation, valid for ttl_s seconds from now."""
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    issued = int(time.time() if now is None else now)
    payload = {"v": TOKEN_VERSION, "org": int(org_id), "iat": issued, "exp": issued + int(ttl_s)}
    if officer:
        payload["name"] = officer
    body = _b64encode(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_b64encode(_mac(body, secret))}"


def verify_token(token: str | None, *, secret: str, now: float | None = None) -> Identity:
    """The identity in a token, or TokenError when it is missing, malformed, forged or expired."""
    if token is None or not str(token).strip():
        raise TokenError("缺少身份令牌：请从协同办公平台打开智能问数助手。", "missing")
    token = str(token).strip()
    malformed = TokenError("身份令牌格式不正确，无法识别您的身份。请从协同办公平台重新打开智能问数助手。", "malformed")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise malformed
    body, sig = token.split(".")
    if not (_B64URL.fullmatch(body) and _B64URL.fullmatch(sig)):
        raise malformed
    try:
        given = _b64decode(sig)
    except (binascii.Error, ValueError):
        raise malformed from None
    # Check the signature before looking inside: nothing unsigned is parsed further.
    if not hmac.compare_digest(given, _mac(body, secret)):
        raise TokenError("身份令牌校验失败（签名不符），已拒绝访问。请从协同办公平台重新打开智能问数助手。", "forged")
    try:
        payload = json.loads(_b64decode(body).decode("utf-8"))
        if not isinstance(payload, dict) or payload.get("v") != TOKEN_VERSION:
            raise ValueError("version")
        org_id, iat, exp = payload["org"], payload["iat"], payload["exp"]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (org_id, iat, exp)):
            raise ValueError("types")
        officer = payload.get("name")
        if officer is not None and not isinstance(officer, str):
            raise ValueError("name")
    except (ValueError, KeyError, UnicodeDecodeError, binascii.Error):
        raise malformed from None
    current = time.time() if now is None else now
    if current >= exp:
        raise TokenError("身份令牌已过期，请在协同办公平台刷新页面后重新打开智能问数助手。", "expired")
    if iat > current + CLOCK_SKEW_S or exp <= iat:
        raise malformed
    return Identity(org_id=org_id, officer=officer, issued_at=iat, expires_at=exp)

"""API keys in the `X-API-Key` header, admin keys, and the keyless loopback mode.

- Keys configured (`TRIAGE_API_KEYS` and/or `TRIAGE_API_KEY_FILE`): /score, /score/batch,
  /feedback and /model need one of them, else 401.
- No keys ("open mode", for a developer's machine): authentication is off. `run()` then binds
  to loopback only, and requests from non-loopback clients are refused (403) in case the app
  is served some other way.
- Admin routes (`/admin/*`) need a key from `TRIAGE_ADMIN_KEYS` in the same header: a missing
  or unknown key is a 401, a valid scoring key a 403. With no admin key configured they are
  refused (403), except in open mode, where only the machine itself can reach the service.

Keys are compared as sha256 digests with `hmac.compare_digest` against every configured key
(no early exit), so timing reveals neither a key nor which one matched. Keys are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A scoring key, or an admin key for /admin."
)


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def _matches(key: str, digests: list[bytes]) -> bool:
    candidate = _digest(key)
    found = False
    for digest in digests:
        found |= hmac.compare_digest(candidate, digest)
    return found


class KeyRing:
    """The configured keys, kept only as digests."""

    def __init__(self, api_keys: set[str], admin_keys: set[str]) -> None:
        self._api = [_digest(key) for key in sorted(api_keys)]
        self._admin = [_digest(key) for key in sorted(admin_keys)]

    @property
    def open(self) -> bool:
        """No scoring key configured: authentication is off, loopback clients only."""
        return not self._api

    @property
    def has_admin(self) -> bool:
        return bool(self._admin)

    def is_api_key(self, key: str | None) -> bool:
        return key is not None and _matches(key, self._api)

    def is_admin_key(self, key: str | None) -> bool:
        return key is not None and _matches(key, self._admin)


async def get_keyring(request: Request) -> KeyRing:
    return request.app.state.keyring


def _require_loopback(request: Request) -> None:
    if not is_loopback(request.client.host if request.client else None):
        raise HTTPException(
            403, detail="no API keys are configured, so only clients on this machine are served"
        )


def _unauthorized() -> HTTPException:
    return HTTPException(
        401, detail="missing or invalid API key (header X-API-Key)", headers={"WWW-Authenticate": "ApiKey"}
    )


async def require_api_key(
    request: Request,
    keys: Annotated[KeyRing, Depends(get_keyring)],
    key: Annotated[str | None, Security(api_key_header)] = None,
) -> None:
    if keys.open:
        _require_loopback(request)
    elif not keys.is_api_key(key):
        raise _unauthorized()


async def require_admin_key(
    request: Request,
    keys: Annotated[KeyRing, Depends(get_keyring)],
    key: Annotated[str | None, Security(api_key_header)] = None,
) -> None:
    if keys.has_admin:
        if keys.is_admin_key(key):
            return
        if keys.is_api_key(key):
            raise HTTPException(403, detail="this key may not use admin routes")
        raise _unauthorized()
    if not keys.open:
        raise HTTPException(403, detail="admin routes are disabled: no TRIAGE_ADMIN_KEYS configured")
    _require_loopback(request)

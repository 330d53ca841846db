"""Secrets at rest (a county's SMTP password, later webhook secrets): sealed with Fernet
(AES-128-CBC + HMAC-SHA256) before they are stored, opened when they are used.

The key is derived (HKDF-SHA256) from ``PORTAL_SECRETS_KEY`` when the operator sets one, else from
``SECRET_KEY``: the configuration stays one URL and a secret, and a copy of the database alone
reveals nothing. A value stored before sealing existed reads as it is (a migration seals them).
"""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger("portal.secrets")
SEALED = "sealed:v1:"
_fernet: Fernet | None = None


def derive_key(secret: str) -> bytes:
    """A Fernet key from any secret string (the same string always gives the same key)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"county-portal secrets at rest")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


def use_key(secret: str) -> None:
    """Seal and open with the key derived from ``secret`` (``Settings.secrets_key``) from now on."""
    global _fernet
    _fernet = Fernet(derive_key(secret))


def _current() -> Fernet:
    if _fernet is None:
        raise RuntimeError("app.secrets.use_key(settings.secrets_key) was not called")
    return _fernet


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED)


def seal(plain: str) -> str:
    """What to store for ``plain`` (an empty secret stays empty: nothing to hide, nothing set)."""
    if not plain:
        return ""
    return SEALED + _current().encrypt(plain.encode()).decode()


def unseal(stored: str) -> str:
    """The secret behind ``stored``; ``""`` (logged) when it was sealed with another key."""
    if not is_sealed(stored):
        return stored
    try:
        return _current().decrypt(stored.removeprefix(SEALED).encode()).decode()
    except InvalidToken:
        log.error("a stored secret cannot be opened: PORTAL_SECRETS_KEY or SECRET_KEY changed since it was saved")
        return ""

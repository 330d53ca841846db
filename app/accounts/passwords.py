"""Argon2 password hashes (argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import InvalidInput

_hasher = PasswordHasher()
# Cheap but still Argon2, so a test suite can create hundreds of users.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_LENGTH = 10


class WeakPassword(InvalidInput):
    pass


def use_fast_hashing(enabled: bool) -> None:
    global _hasher
    _hasher = _fast_hasher if enabled else PasswordHasher()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword("密码至少需要 {n} 个字符", n=MIN_LENGTH)


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verifying against this when the user does not exist keeps the answer time the same.
DUMMY_HASH = _fast_hasher.hash("not-a-real-password")

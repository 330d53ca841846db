"""Argon2 password hashes (argon2-cffi), computed in worker threads.

Argon2 is slow on purpose (tens of milliseconds and 64 MiB each): on the event loop, a burst of
logins would stall every other request of the process. A few threads at a time do it instead
(argon2-cffi releases the GIL), which also caps the memory a burst can take.
"""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.errors import InvalidInput

_strong_hasher = PasswordHasher()
# Cheap but still Argon2, so a test suite can create hundreds of users.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_hasher = _strong_hasher
_threads = anyio.CapacityLimiter(4)

MIN_LENGTH = 10
# Verified when no user has the name asked for, so that answer takes as long as a wrong password;
# made with the current hasher's cost (see ``use_fast_hashing``).
_dummy_hashes: dict[PasswordHasher, str] = {}


class WeakPassword(InvalidInput):
    pass


def use_fast_hashing(enabled: bool) -> None:
    global _hasher
    _hasher = _fast_hasher if enabled else _strong_hasher


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword("密码至少需要 {n} 个字符", n=MIN_LENGTH)


async def hash_password(password: str) -> str:
    check_strength(password)
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_threads)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one of ``password_hash``; an empty hash (no password set, or
    nobody of that name) costs the same as a wrong password and is never right."""
    if not password_hash:
        hasher = _hasher
        if hasher not in _dummy_hashes:
            _dummy_hashes[hasher] = await anyio.to_thread.run_sync(hasher.hash, "not-a-password", limiter=_threads)
        await anyio.to_thread.run_sync(_verify, _dummy_hashes[hasher], password, limiter=_threads)
        return False
    return await anyio.to_thread.run_sync(_verify, password_hash, password, limiter=_threads)

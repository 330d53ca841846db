"""Server-side sessions in Redis: shared by every web process, ended at once on logout or disable.

A session lives ``idle`` since its last use and never longer than ``max_age`` in all. Redis knows
a session only by the SHA-256 of its id, so a copy of Redis (a dump, a replica) signs nobody in.

Each session has its own CSRF token, made at sign-in: a form or HTMX request of a signed-in
visitor must carry that token (``app.web.identity``), so no token from before sign-in, or from
another session, is accepted.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from litestar.middleware.csrf import generate_csrf_token
from redis.asyncio import Redis

from app import clock

COOKIE_NAME = "portal_session"


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    created_at: float
    csrf_token: str


class SessionStore:
    def __init__(
        self, redis: Redis, idle_seconds: int, max_age_seconds: int, csrf_secret: str, prefix: str = "portal"
    ) -> None:
        self.redis = redis
        self.csrf_secret = csrf_secret
        self.idle_seconds = idle_seconds
        self.max_age_seconds = max_age_seconds
        self.prefix = prefix

    def _key(self, digest: str) -> str:
        return f"{self.prefix}:session:{digest}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:user-sessions:{user_id}"

    async def create(self, user_id: int) -> Session:
        """A brand-new id every time: a login never reuses the id the browser sent."""
        session = Session(
            id=secrets.token_urlsafe(32),
            user_id=user_id,
            created_at=clock.now().timestamp(),
            csrf_token=generate_csrf_token(self.csrf_secret),
        )
        payload = json.dumps({"user_id": user_id, "created_at": session.created_at, "csrf": session.csrf_token})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(_digest(session.id)), payload, ex=self.idle_seconds)
            pipe.sadd(self._user_key(user_id), _digest(session.id))
            pipe.expire(self._user_key(user_id), self.max_age_seconds)
            await pipe.execute()
        return session

    async def load(self, session_id: str) -> Session | None:
        """The live session, its idle clock restarted; ``None`` when unknown, idle or too old."""
        return (await self.load_with(session_id, ()))[0]

    async def load_with(self, session_id: str, keys: tuple[str, ...]) -> tuple[Session | None, list]:
        """``load`` and the values of ``keys`` in the same round trip (no values without a session)."""
        if not session_id or len(session_id) > 100:
            return None, []
        key = self._key(_digest(session_id))
        # Read and restart the idle clock in one round trip; only a session near its maximum age
        # needs a second one to keep its end.
        if keys:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.getex(key, ex=self.idle_seconds)
                pipe.mget(keys)
                raw, values = await pipe.execute()
        else:
            raw, values = await self.redis.getex(key, ex=self.idle_seconds), []
        session = self._parsed(session_id, raw)
        if session is None:
            return None, []
        remaining = session.created_at + self.max_age_seconds - clock.now().timestamp()
        if remaining <= 0:
            await self.destroy(session)
            return None, []
        if remaining < self.idle_seconds:
            await self.redis.expire(key, int(remaining) or 1)
        return session, values

    @staticmethod
    def _parsed(session_id: str, raw: bytes | str | None) -> Session | None:
        if raw is None:
            return None
        data = json.loads(raw)
        return Session(id=session_id, user_id=data["user_id"], created_at=data["created_at"], csrf_token=data["csrf"])

    async def destroy(self, session: Session) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(_digest(session.id)))
            pipe.srem(self._user_key(session.user_id), _digest(session.id))
            await pipe.execute()

    async def destroy_all_for(self, user_id: int) -> int:
        """End every session of a user (disabled, or password changed); returns how many."""
        # redis-py types its asyncio commands as sync-or-async (redis/redis-py#2399).
        digests = await self.redis.smembers(self._user_key(user_id))  # type: ignore[misc]
        keys = [self._key(d.decode() if isinstance(d, bytes) else d) for d in digests]
        async with self.redis.pipeline(transaction=True) as pipe:
            if keys:
                pipe.delete(*keys)
            pipe.delete(self._user_key(user_id))
            results = await pipe.execute()
        return results[0] if keys else 0


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()

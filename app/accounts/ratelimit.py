"""Failed-login counting in Redis, so the limit holds across every web process."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window_seconds: int


class LoginThrottle:
    def __init__(self, redis: Redis, limits: LoginLimits, prefix: str = "portal") -> None:
        self.redis = redis
        self.limits = limits
        self.prefix = prefix

    def _keys(self, account: str, address: str) -> tuple[str, str]:
        return (f"{self.prefix}:login-fail:account:{account}", f"{self.prefix}:login-fail:address:{address}")

    async def blocked(self, account: str, address: str) -> bool:
        account_key, address_key = self._keys(account, address)
        account_fails, address_fails = await self.redis.mget(account_key, address_key)
        return int(account_fails or 0) >= self.limits.per_account or int(address_fails or 0) >= self.limits.per_address

    async def failed(self, account: str, address: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(account, address):
                # The window starts at the first failure and is not stretched by later ones.
                pipe.set(key, 0, ex=self.limits.window_seconds, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def succeeded(self, account: str) -> None:
        await self.redis.delete(self._keys(account, "")[0])

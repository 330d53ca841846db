"""Login attempts counted in Redis, so the limit holds across every web process.

An attempt is counted *before* its password is checked, in one atomic step over both counters
(per account and per address): however many arrive at once, on however many processes, no more
than the limit are ever checked. A successful sign-in gives its attempt back.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

# KEYS: the counters; ARGV[1]: the window in seconds, ARGV[1 + i]: the limit of KEYS[i].
# The window starts at a counter's first attempt and is not stretched by later ones.
_ADMIT = """
local admitted = 1
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
  if count > tonumber(ARGV[i + 1]) then admitted = 0 end
end
return admitted
"""
# KEYS: the account's counter, the address's counter.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECR', KEYS[2]) end
"""


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
        self._admit = redis.register_script(_ADMIT)
        self._succeeded = redis.register_script(_SUCCEEDED)

    def _keys(self, account: str, address: str) -> tuple[str, str]:
        return (f"{self.prefix}:login-fail:account:{account}", f"{self.prefix}:login-fail:address:{address}")

    async def admit(self, account: str, address: str) -> bool:
        """Count an attempt; ``False`` when it is over a limit and must not be checked."""
        limits = self.limits
        return bool(
            await self._admit(
                keys=list(self._keys(account, address)),
                args=[limits.window_seconds, limits.per_account, limits.per_address],
            )
        )

    async def succeeded(self, account: str, address: str) -> None:
        """The right password: the account starts afresh, and the address gets its attempt back."""
        await self._succeeded(keys=list(self._keys(account, address)))

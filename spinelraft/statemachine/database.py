"""One logical database (SELECT n): keys, expiry times and per-key versions for WATCH.

Every change of a key's existence or TTL goes through these methods, so the expiry index and
the WATCH versions cannot drift from the data.
"""
from sortedcontainers import SortedList


class Database:
    __slots__ = ("data", "expires", "expiry_index", "versions", "version_floor")

    def __init__(self):
        self.data = {}  # key -> value
        self.expires = {}  # key -> absolute unix time in ms
        self.expiry_index = SortedList()  # (when_ms, key), for active expiry in time order
        self.versions = {}  # key -> counter value of the last write (WATCH)
        self.version_floor = 0  # version of every key missing from `versions`

    def __len__(self):
        return len(self.data)

    # -- reads -------------------------------------------------------------------------------
    def is_expired(self, key: bytes, now_ms: int) -> bool:
        when = self.expires.get(key)
        return when is not None and when <= now_ms

    def get_live(self, key: bytes, now_ms: int):
        """The value if the key exists and has not expired, else None. Never mutates."""
        value = self.data.get(key)
        if value is None:
            return None
        when = self.expires.get(key)
        if when is not None and when <= now_ms:
            return None
        return value

    def version(self, key: bytes) -> int:
        return self.versions.get(key, self.version_floor)

    # -- writes ------------------------------------------------------------------------------
    def set(self, key: bytes, value, keep_ttl: bool = False):
        """Store a value; without keep_ttl any TTL is removed (as Redis SET does)."""
        assert value is not None
        self.data[key] = value
        if not keep_ttl and key in self.expires:
            self._drop_expire(key)

    def delete(self, key: bytes) -> bool:
        if self.data.pop(key, None) is None:
            return False
        if key in self.expires:
            self._drop_expire(key)
        return True

    def set_expire(self, key: bytes, when_ms: int):
        assert key in self.data
        old = self.expires.get(key)
        if old is not None:
            self.expiry_index.remove((old, key))
        self.expires[key] = when_ms
        self.expiry_index.add((when_ms, key))

    def persist(self, key: bytes) -> bool:
        if key not in self.expires:
            return False
        self._drop_expire(key)
        return True

    def _drop_expire(self, key: bytes):
        when = self.expires.pop(key)
        self.expiry_index.remove((when, key))

    def clear(self, counter: int):
        self.data.clear()
        self.expires.clear()
        self.expiry_index.clear()
        self.versions.clear()
        self.version_floor = counter

    def bump_version(self, key: bytes, counter: int):
        self.versions[key] = counter
        # Versions of deleted keys pile up; drop them all at once and raise the floor, which
        # can only make a WATCH fail that would have passed (safe), never the reverse.
        if len(self.versions) > 2 * len(self.data) + 1024:
            self.versions = {k: v for k, v in self.versions.items() if k in self.data}
            self.version_floor = counter

    def expired_keys(self, now_ms: int, limit: int) -> list:
        """Up to `limit` keys whose expiry time has passed, oldest first."""
        found = []
        for when, key in self.expiry_index:
            if when > now_ms or len(found) >= limit:
                break
            found.append(key)
        return found

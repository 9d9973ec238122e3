"""What a command handler sees: the database, the entry's time and a seeded random source."""
from spinelraft import errors
from spinelraft.errors import CommandError
from spinelraft.statemachine.prng import Prng


class Context:
    """Per-command context.

    `writing` is True when the command is applied from the log (it may change state and deletes
    expired keys it meets) and False for a local read (it must not change anything).
    """

    __slots__ = ("machine", "db", "db_index", "now_ms", "seed", "writing", "_rng")

    def __init__(self, machine, db_index: int, now_ms: int, seed: int, writing: bool):
        self.machine = machine
        self.db_index = db_index
        self.db = machine.dbs[db_index]
        self.now_ms = now_ms
        self.seed = seed
        self.writing = writing
        self._rng = None

    @property
    def rng(self) -> Prng:
        if self._rng is None:
            self._rng = Prng(self.seed)
        return self._rng

    def get(self, key: bytes):
        """The live value of key or None. While writing, an expired key is deleted on sight."""
        db = self.db
        value = db.data.get(key)
        if value is None:
            return None
        when = db.expires.get(key)
        if when is not None and when <= self.now_ms:
            if self.writing:
                self.delete(key)
            return None
        return value

    def get_typed(self, key: bytes, cls):
        """The live value if it is a `cls`, None if missing; WRONGTYPE otherwise."""
        value = self.get(key)
        if value is not None and type(value) is not cls:
            raise CommandError(errors.WRONGTYPE)
        return value

    def get_or_create(self, key: bytes, cls):
        """The live `cls` value at key, created empty (and stored) when missing; WRONGTYPE
        otherwise. Callers delete it again if it ends up empty."""
        value = self.get_typed(key, cls)
        if value is None:
            value = cls()
            self.set(key, value)
        return value

    def exists(self, key: bytes) -> bool:
        return self.get(key) is not None

    def set(self, key: bytes, value, keep_ttl: bool = False):
        assert self.writing, "a read tried to change the state"
        self.db.set(key, value, keep_ttl)

    def delete(self, key: bytes) -> bool:
        assert self.writing, "a read tried to change the state"
        deleted = self.db.delete(key)
        if deleted:
            self.machine.touch(self.db, key)
        return deleted

    def delete_if_empty(self, key: bytes, value) -> None:
        """Redis removes a container key when its last element goes."""
        if len(value) == 0:
            self.delete(key)

    def ttl_ms(self, key: bytes):
        """Remaining TTL in ms, -1 if the key has none (the key must exist)."""
        when = self.db.expires.get(key)
        if when is None:
            return -1
        return max(when - self.now_ms, 0)

    def db_at(self, index: int):
        return self.machine.dbs[index]

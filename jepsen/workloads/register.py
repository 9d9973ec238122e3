"""Registers: GET, SET of unique values, and compare-and-set through WATCH/GET/MULTI/SET/EXEC.
Checked for linearizability per key."""
import threading

from jepsen.checkers import linearizable
from jepsen.workloads.base import KeyPool, NotApplied, UniqueValues, Workload, decode_int

RECENT_VALUES = 4


class Register(Workload):
    name = "register"
    description = "per-key read / write / cas (WATCH+MULTI/EXEC), linearizability (WGL search)"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        self.keys = KeyPool(prefix, active=options.get("keys", 4), budget=options.get("ops_per_key", 200),
                            shards=self.shards)
        self.values = UniqueValues()
        self.recent = {}
        self.lock = threading.Lock()

    def generate(self, rng):
        key = self.keys.pick(rng)
        f = rng.choices(("read", "write", "cas"), weights=(2, 1, 1))[0]
        if f == "read":
            return f, key, None
        value = self.values.next()
        with self.lock:
            recent = self.recent.setdefault(key, [None])
            old = rng.choice(recent)
            recent.append(value)
            del recent[:-RECENT_VALUES]
        return (f, key, value) if f == "write" else (f, key, [old, value])

    def invoke(self, connection, f, key, value):
        if f == "read":
            return decode_int(connection.get(key))
        if f == "write":
            connection.set(key, value)
            return None
        return self._cas(connection, key, *value)

    @staticmethod
    def _cas(connection, key, old, new):
        import redis

        with connection.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                current = decode_int(pipe.get(key))
            except redis.RedisError as error:
                raise NotApplied("before EXEC (nothing proposed): %s" % error) from None
            if current != old:
                raise NotApplied("precondition: value is %r" % current)
            pipe.multi()
            pipe.set(key, new)
            pipe.execute()
        return None

    def final_operations(self):
        return [("read", key, None) for key in self.keys.every_key()]

    def check(self, ops, context):
        return linearizable.check(ops, time_limit_s=context.get("check_time_s", 120))

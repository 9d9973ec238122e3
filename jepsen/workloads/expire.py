"""Keys with TTLs: SET k v PX ttl, and reads of GET + PTTL in MULTI/EXEC or GET alone."""
from jepsen.checkers import expire
from jepsen.workloads.base import KeyPool, UniqueValues, Workload, decode_int


class Expire(Workload):
    name = "expire"
    description = "SET PX and reads across leader changes: no read after expiry, TTL deadline fixed"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        self.keys = KeyPool(prefix, active=4, budget=options.get("ops_per_key", 80), shards=self.shards)
        self.values = UniqueValues()

    def generate(self, rng):
        key = self.keys.pick(rng)
        if rng.random() < 0.3:
            return "write", key, [self.values.next(), rng.randint(800, 2500)]
        return "read", key, rng.choice(["multi", "get"])

    def invoke(self, connection, f, key, value):
        if f == "write":
            connection.set(key, value[0], px=value[1])
            return None
        if value == "get":
            return [decode_int(connection.get(key)), None]
        with connection.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.pttl(key)
            current, pttl = pipe.execute()
        return [decode_int(current), pttl]

    def check(self, ops, context):
        return expire.check(ops, tolerance_ms=300 + context.get("max_clock_skew_ms", 0))

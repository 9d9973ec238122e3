"""Counters: INCRBY of small positive deltas and GET reads; a final GET of every key."""
from jepsen.checkers import counter
from jepsen.workloads.base import KeyPool, Workload, decode_int


class Counter(Workload):
    name = "counter"
    description = "INCRBY and GET: reads within [acknowledged, possible] increments"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        self.keys = KeyPool(prefix, active=2, budget=options.get("ops_per_key", 1_000_000),
                            shards=self.shards)

    def generate(self, rng):
        key = self.keys.pick(rng)
        if rng.random() < 0.3:
            return "read", key, None
        return "add", key, rng.randint(1, 5)

    def invoke(self, connection, f, key, value):
        if f == "add":
            connection.incrby(key, value)
            return None
        return decode_int(connection.get(key)) or 0

    def final_operations(self):
        return [("read", key, None) for key in self.keys.every_key()]

    def check(self, ops, context):
        return counter.check(ops)

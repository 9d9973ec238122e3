"""Sets: SADD of unique elements and SMEMBERS reads; a final SMEMBERS of every key."""
from jepsen.checkers import sets
from jepsen.workloads.base import KeyPool, UniqueValues, Workload


class SetWorkload(Workload):
    name = "set"
    description = "SADD unique elements, SMEMBERS reads and a final read: lost / unexpected / stale"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        self.keys = KeyPool(prefix, active=2, budget=options.get("ops_per_key", 300), shards=self.shards)
        self.values = UniqueValues()

    def generate(self, rng):
        key = self.keys.pick(rng)
        if rng.random() < 0.2:
            return "read", key, None
        return "add", key, self.values.next()

    def invoke(self, connection, f, key, value):
        if f == "add":
            connection.sadd(key, value)
            return None
        return sorted(int(member) for member in connection.smembers(key))

    def final_operations(self):
        return [("read", key, None) for key in self.keys.every_key()]

    def check(self, ops, context):
        return sets.check(ops)

"""List-append transactions: MULTI, RPUSH and LRANGE on several keys, EXEC. Checked Elle-style."""
import itertools
import threading

from jepsen.checkers import elle
from jepsen.workloads.base import KeyPool, Workload

FINAL_READ_KEYS = 8


class ListAppend(Workload):
    name = "list-append"
    description = "MULTI with RPUSH + LRANGE on several keys: Elle-style cycles (G0, G1c, G-single)"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        self.keys = KeyPool(prefix, active=options.get("keys", 6), budget=options.get("ops_per_key", 150))
        self.counters = {}
        self.lock = threading.Lock()

    def _next_value(self, key) -> int:
        with self.lock:
            counter = self.counters.setdefault(key, itertools.count(1))
            return next(counter)

    def generate(self, rng):
        mops = []
        for _ in range(rng.randint(1, 4)):
            key = self.keys.pick(rng)
            if rng.random() < 0.5:
                mops.append(["append", key, self._next_value(key)])
            else:
                mops.append(["r", key, None])
        return "txn", None, mops

    def invoke(self, connection, f, key, mops):
        with connection.pipeline(transaction=True) as pipe:
            for kind, mop_key, value in mops:
                if kind == "append":
                    pipe.rpush(mop_key, value)
                else:
                    pipe.lrange(mop_key, 0, -1)
            replies = pipe.execute()
        return [[kind, mop_key, value if kind == "append" else [int(item) for item in reply]]
                for (kind, mop_key, value), reply in zip(mops, replies)]

    def final_operations(self):
        keys = self.keys.every_key()
        return [("txn", None, [["r", key, None] for key in keys[start:start + FINAL_READ_KEYS]])
                for start in range(0, len(keys), FINAL_READ_KEYS)]

    def check(self, ops, context):
        return elle.check(ops)

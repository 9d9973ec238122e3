"""List-append transactions: MULTI, RPUSH and LRANGE on several keys, EXEC. Checked Elle-style.

With several shards a transaction's keys must live in one shard (the server answers -CROSSSLOT
otherwise): there is one key group per shard, its keys sharing a {hash tag} that the shard
owns, and each transaction draws its keys from one group."""
import itertools
import threading

from jepsen.checkers import elle
from jepsen.cluster import shard_of_key
from jepsen.workloads.base import KeyPool, Workload

FINAL_READ_KEYS = 8


class ListAppend(Workload):
    name = "list-append"
    description = "MULTI with RPUSH + LRANGE on several keys: Elle-style cycles (G0, G1c, G-single)"

    def __init__(self, prefix, options):
        super().__init__(prefix, options)
        active = options.get("keys", 6)
        budget = options.get("ops_per_key", 150)
        if self.shards == 1:
            self.groups = [KeyPool(prefix, active=active, budget=budget)]
        else:  # one group per shard: keys {tag}:N with a tag of that shard
            self.groups = [KeyPool("{%s}" % hash_tag_of_shard(prefix, shard, self.shards),
                                   active=max(2, -(-active // self.shards)), budget=budget)
                           for shard in range(self.shards)]
        self.keys = self.groups[0]
        self.counters = {}
        self.lock = threading.Lock()

    def _next_value(self, key) -> int:
        with self.lock:
            counter = self.counters.setdefault(key, itertools.count(1))
            return next(counter)

    def generate(self, rng):
        mops = []
        group = self.groups[0] if len(self.groups) == 1 else rng.choice(self.groups)
        for _ in range(rng.randint(1, 4)):
            key = group.pick(rng)
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
        operations = []
        for group in self.groups:  # one group's keys are in one shard
            keys = group.every_key()
            operations += [("txn", None, [["r", key, None] for key in keys[start:start + FINAL_READ_KEYS]])
                           for start in range(0, len(keys), FINAL_READ_KEYS)]
        return operations

    def check(self, ops, context):
        return elle.check(ops)


def hash_tag_of_shard(prefix: str, shard: int, shards: int) -> str:
    """The first of prefix:g0, prefix:g1, ... whose slot belongs to the shard."""
    number = 0
    while shard_of_key("%s:g%d" % (prefix, number), shards) != shard:
        number += 1
    return "%s:g%d" % (prefix, number)

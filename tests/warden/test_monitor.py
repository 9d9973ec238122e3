"""The Warden's topology logic on canned CLUSTER SHARDS answers: several shards, a node in several
shards, leader changes, down detection (no processes, no network)."""
import asyncio
import time

from spinelraft.warden.config import WardenSettings
from spinelraft.warden.monitor import Monitor, parse_shards

NODES = {"A": 7001, "B": 7002, "C": 7003, "D": 7004}


def _entry(name, leader):
    return [b"id", name.encode() * 40, b"port", NODES[name], b"ip", b"127.0.0.1", b"endpoint", b"127.0.0.1",
            b"role", b"master" if name == leader else b"replica", b"replication-offset", 7, b"health", b"online"]


def _reply(shards):
    """shards: [(first, last, [members], leader)] -> a RESP2 CLUSTER SHARDS reply (given order)."""
    return [[b"slots", [first, last], b"nodes", [_entry(name, leader) for name in members]]
            for first, last, members, leader in shards]


LAYOUT = [  # 4 nodes, 3 shards of 3 members: every node is in several shards
    (0, 5460, ["A", "B", "C"], "A"),
    (5461, 10922, ["B", "C", "D"], "C"),
    (10923, 16383, ["C", "D", "A"], "D"),
]


class World:
    def __init__(self):
        self.events = []
        settings = WardenSettings(nodes=["127.0.0.1:%d" % port for port in NODES.values()])
        self.monitor = Monitor(settings, lambda channel, message: self.events.append((channel, message)))
        self.probes = {name: next(p for p in self.monitor.probes if p.port == port) for name, port in NODES.items()}

    def answer(self, name, shards):
        probe = self.probes[name]
        probe.node_id = name * 40
        probe.shards = parse_shards(_reply(shards))
        probe.last_ok = probe.last_reply = time.monotonic()
        probe.failed = probe.refused = False

    def kill(self, name):
        probe = self.probes[name]
        probe.failed = probe.refused = True

    def masters(self):
        return [(s.name, s.port, s.s_down_since is not None, s.o_down_since is not None) for s in self.monitor.masters]

    def switches(self):
        return [message for channel, message in self.events if channel == "+switch-master"]


def test_several_shards_leaders_and_failures():
    async def scenario():
        world = World()
        for name in NODES:
            world.answer(name, LAYOUT[::-1])  # out of slot order on the wire: sorted by first slot
        world.monitor.refresh()
        assert world.masters() == [("shard-0", 7001, False, False), ("shard-1", 7003, False, False),
                                   ("shard-2", 7004, False, False)]
        shard1 = world.monitor.master("shard-1")
        assert sorted(r.port for r in shard1.replicas) == [7002, 7004] and shard1.quorum == 2
        assert shard1.slots == (5461, 10922)
        assert world.switches() == []

        # shard 1's leadership moves from C to B (A and D have not heard yet: B's own word wins):
        # one +switch-master, for that shard only
        moved = [LAYOUT[0], (5461, 10922, ["B", "C", "D"], "B"), LAYOUT[2]]
        world.answer("B", moved)
        world.answer("C", moved)
        world.monitor.refresh()
        assert world.masters()[1] == ("shard-1", 7002, False, False)
        assert world.switches() == ["shard-1 127.0.0.1 7003 127.0.0.1 7002"]
        assert world.monitor.master("shard-1").config_epoch == 1

        # D (leader of shard 2) dies: the others still name it: s_down, not o_down
        for name in "ABC":
            world.answer(name, moved)
        world.kill("D")
        world.monitor.refresh()
        assert world.masters()[2] == ("shard-2", 7004, True, False)
        assert ("+sdown", "master shard-2 127.0.0.1 7004") in world.events
        assert world.monitor.reachable_members(world.monitor.master("shard-2")) == 2

        # they stop naming it (election under way): o_down, the old address is kept
        leaderless = [LAYOUT[0], moved[1], (10923, 16383, ["C", "D", "A"], None)]
        for name in "ABC":
            world.answer(name, leaderless)
        world.monitor.refresh()
        assert world.masters()[2] == ("shard-2", 7004, True, True)

        # A wins the election: switch, and D is listed as a replica that is down
        elected = [LAYOUT[0], moved[1], (10923, 16383, ["C", "D", "A"], "A")]
        for name in "ABC":
            world.answer(name, elected)
        world.monitor.refresh()
        assert world.masters()[2] == ("shard-2", 7001, False, False)
        assert world.switches()[-1] == "shard-2 127.0.0.1 7004 127.0.0.1 7001"
        replicas = {r.port: r.down_since is not None for r in world.monitor.master("shard-2").replicas}
        assert replicas == {7003: False, 7004: True}

        # a stale view (D back, still thinking it leads shard 2) loses to the majority's leader
        world.answer("D", LAYOUT)
        world.monitor.refresh()
        assert world.masters()[2][1] == 7001

        # the cluster grows to 4 shards: a new master appears
        four = elected + [(16000, 16383, ["B", "D", "A"], "B")]
        four[2] = (10923, 15999, ["C", "D", "A"], "A")
        for name in "ABCD":
            world.answer(name, four)
        world.monitor.refresh()
        assert [m[0] for m in world.masters()] == ["shard-0", "shard-1", "shard-2", "shard-3"]
        assert world.masters()[3][1] == 7002
        world.monitor.stop()

    asyncio.run(scenario())

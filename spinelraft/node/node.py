"""One server process: owns the shard group(s), routes commands, and decides propose vs read.

Front ends (RESP, gRPC) call `dispatch(session, argv)`; it returns a reply at once (reads,
connection commands) or a Slot that resolves when the write has been applied.
"""
import bisect
import logging
import random
import time
from functools import partial

import spinelraft.node.commands  # noqa: F401  (registers connection and server commands)
import spinelraft.statemachine.commands  # noqa: F401  (registers data commands)
from spinelraft import errors
from spinelraft.command_table import BLOCKING, COMMANDS, NO_MULTI, NOAUTH, lookup
from spinelraft.node.changefeed import ChangeFeed
from spinelraft.node.blocking import BlockingManager
from spinelraft.node import fanout
from spinelraft.node.proxy import Proxy
from spinelraft.node.shards import Layout, RemoteShard, Shard, member_dict
from spinelraft.node.session import Slot
from spinelraft.node.slowlog import SlowLog
from spinelraft.config import SHARD_PORT_STRIDE
from spinelraft.raft.group import ShardGroup
from spinelraft.raft.proposer import FlushClock, Proposer
from spinelraft.slots import key_slot, shard_slot_range
from spinelraft.replies import OK, QUEUED, ErrorReply
from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.scan import KEYSPACE_HASH_BITS
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC

log = logging.getLogger(__name__)

# Commands that run at once even inside MULTI.
MULTI_CONTROL = frozenset((b"exec", b"discard", b"multi", b"watch", b"unwatch", b"quit", b"reset"))
LATENCY_BUCKETS_S = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                     0.25, 0.5, 1.0, 2.5)


class CommandStats:
    """Per-command counters, kept as plain lists: cheap on the hot path, exported on scrape."""

    __slots__ = ("calls", "usec", "failed", "buckets")

    def __init__(self):
        self.calls = 0
        self.usec = 0
        self.failed = 0
        self.buckets = [0] * (len(LATENCY_BUCKETS_S) + 1)

    def record(self, seconds: float, failed: bool):
        self.calls += 1
        self.usec += int(seconds * 1_000_000)
        if failed:
            self.failed += 1
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)] += 1


class Node:
    def __init__(self, settings, loop):
        self.settings = settings
        self.loop = loop
        self.started_at = time.time()
        self.layout = Layout(settings)
        self.flush_clock = FlushClock()
        self.pending_drains = []  # connections with replies resolved by the last entry
        self.slowlog = SlowLog(settings)
        self.blocking = BlockingManager(self)  # BLPOP & co: clients waiting for data
        self.shards = {}  # shard id -> Shard, for the shards this node replicates
        self.remote = {}  # shard id -> RemoteShard, for the others
        hosted = _saved_hosted(settings.data_dir)  # after membership changes: what the node had
        if hosted is None and settings.cluster_state == "existing":
            hosted = {}  # a newcomer: add-node / rebalance tells it what to replicate
        if hosted is None:
            hosted = {shard_id: self.layout.partners(shard_id) for shard_id in self.layout.hosted_here()}
        for shard_id in range(self.layout.count):
            if shard_id in hosted:
                self.host_shard(shard_id, hosted[shard_id])
            else:
                self.remote[shard_id] = RemoteShard(shard_id, self.layout.configured_members(shard_id))
        self.proxy = Proxy(self)
        # gRPC Watch, one feed per shard replicated here; a feed observes applied entries only
        # from the first Watch or Status call on (before that it costs nothing, and older
        # positions answer OUT_OF_RANGE)
        self.feeds = {}  # shard id -> ChangeFeed
        if settings.watch_from_start:
            for shard_id in self.shards:
                self.feed(shard_id)
        self.sessions = {}  # id -> Session
        self.stats = {}  # command name -> CommandStats
        self.total_connections = 0
        self.rejected_connections = 0
        self.total_commands = 0
        self.total_errors = 0
        self.error_counts = {}  # error prefix -> count
        self.last_save_time = int(self.started_at)
        self.request_shutdown = None  # set by the server: SHUTDOWN stops it as SIGTERM does

    def host_shard(self, shard_id: int, partners: list):
        """Create the Raft group and proposer of a shard this node replicates."""
        settings = self.settings
        group = ShardGroup(
            shard_id, settings.raft_address_of(shard_id), partners, settings.data_dir,
            appendfsync=settings.appendfsync,
            password=settings.cluster_secret or None,
            compaction_min_entries=settings.snapshot_min_entries,
            compaction_min_time_s=settings.snapshot_min_time,
        )
        proposer = Proposer(group, self.loop, after_complete=self.run_drains,
                            node_id=settings.node_id, flush_clock=self.flush_clock)
        group.slow_op_threshold_s = self.slowlog.threshold_s
        group.on_slow_op = lambda argv, seconds: self.loop.call_soon_threadsafe(
            self.slowlog.observe_write, seconds, argv)
        group.on_applied = self.blocking.entry_applied
        shard = Shard(shard_id, group, proposer, self.layout.count)
        self.shards[shard_id] = shard
        self.remote.pop(shard_id, None)
        return shard

    def unhost_shard(self, shard_id: int, members: list):
        """Stop replicating a shard (it was moved off this node); its data directory stays."""
        shard = self.shards.pop(shard_id)
        self.feeds.pop(shard_id, None)
        self.remote[shard_id] = RemoteShard(shard_id, members)
        shard.group.stop()

    def feed(self, shard_id: int):
        """The change feed of a shard replicated here, observing it from now on."""
        feed = self.feeds.get(shard_id)
        if feed is None:
            feed = self.feeds[shard_id] = ChangeFeed(self.settings.watch_history, self.loop)
        feed.attach(self.shards[shard_id].group)
        return feed

    @property
    def home(self):
        """The lowest-numbered shard this node replicates (None when it replicates none):
        node-wide figures that Redis has once (ROLE, INFO replication) describe it."""
        return self.shards[min(self.shards)] if self.shards else None

    @property
    def group(self):
        home = self.home
        return None if home is None else home.group

    @property
    def proposer(self):
        home = self.home
        return None if home is None else home.proposer

    def start(self):
        for shard in self.shards.values():
            shard.group.start(self.loop)

    def run_drains(self):
        drains, self.pending_drains = self.pending_drains, []
        for drain in drains:
            drain()

    def stop(self):
        for shard in self.shards.values():
            shard.group.stop()

    def close_session(self, session):
        """The connection is gone: forget the session, and any wait it was in."""
        self.sessions.pop(session.id, None)
        self.blocking.forget(session)
        for task in list(session.proxied_waits):  # closes the peer connection: the wait there ends
            task.cancel()

    def is_ready(self) -> bool:
        """Every group here knows its leader and has applied what that leader committed."""
        return all(shard.group.isReady() and shard.group.leader_address() is not None
                   for shard in self.shards.values())

    def now_ms(self) -> int:
        proposer = self.proposer
        return proposer.now_ms() if proposer is not None else int(time.time() * 1000)

    # -- routing ---------------------------------------------------------------------------------
    def shard_of_key(self, key: bytes) -> int:
        return self.layout.slot_to_shard[key_slot(key)]

    def route(self, spec, argv):
        """The shard id a command runs on; FAN_OUT for keyless commands that run on every
        shard; an ErrorReply (-CROSSSLOT) for keys in several shards."""
        if self.layout.count == 1:
            return 0
        keys = spec.routing_keys(argv)
        if not keys:
            return FAN_OUT if spec.fan_out is not None else 0
        shard_of = self.layout.slot_to_shard
        shard = shard_of[key_slot(keys[0])]
        for key in keys[1:]:
            if shard_of[key_slot(key)] != shard:
                return ErrorReply(errors.CROSSSLOT)
        return shard

    def shard_for_keys(self, keys):
        """The local Shard of keys (None: not replicated here, or several shards)."""
        if self.layout.count == 1:
            return self.shards.get(0)
        shards = {self.shard_of_key(key) for key in keys} or {0}
        return self.shards.get(shards.pop()) if len(shards) == 1 else None

    # -- the dispatcher --------------------------------------------------------------------------
    def dispatch(self, session, argv, arrival=None):
        """Run one command for a session: a reply, or a Slot resolved later.

        `arrival` is the flush count when the command was received; a read that waited
        behind other commands may use a barrier proposed after that.
        """
        started = time.perf_counter()
        spec = lookup(argv[0])
        self.total_commands += 1
        session.last_command = argv[0]
        if spec is None:
            return self._refuse(session, errors.unknown_command(argv[0], argv[1:]))
        if not session.authenticated and NOAUTH not in spec.flags:
            return self._refuse(session, errors.NOAUTH)
        if not spec.check_arity(len(argv)):
            return self._refuse(session, errors.wrong_arity(spec.name), spec)
        if session.multi is not None and spec.name.encode() not in MULTI_CONTROL:
            if NO_MULTI in spec.flags:
                return self._refuse(session, "ERR Command not allowed inside a transaction", spec)
            if spec.kind == "data" and self.layout.count > 1 and not self._same_shard_in_multi(session, spec, argv):
                return self._refuse(session, errors.CROSSSLOT, spec)
            session.multi.append(argv)
            return QUEUED
        if spec.kind == "server":
            reply = spec.handler(session, argv[1:])
            if type(reply) is not Slot:
                self.record(spec, started, reply, argv, session)
            return reply
        shard_id = self.route(spec, argv)
        if type(shard_id) is ErrorReply:
            return self._refuse(session, shard_id.message, spec)
        if shard_id is FAN_OUT:
            return self.fan_out(session, spec, argv, started, arrival)
        return self.run_on_shard(session, shard_id, spec, argv, started, arrival)

    def run_on_shard(self, session, shard_id, spec, argv, started, arrival=None, redirect=True):
        """`redirect`: in redis mode, answer -MOVED unless this node leads the shard (False for
        the keyless commands a Redis Cluster node runs on its own data)."""
        shard = self.shards.get(shard_id)
        if shard is None:
            if self.settings.cluster_mode == "redis" and not session.internal:
                return self._refuse(session, self.redirect(session, spec, argv, shard_id), spec)
            return self.proxied(session, shard_id, spec, argv, started)
        if BLOCKING in spec.flags:  # inside MULTI (and EXEC) they run as their non-blocking form
            blocked = self.blocking.dispatch(session, spec, argv, started, shard)
            if blocked is not None:
                return blocked
        if redirect and self.settings.cluster_mode == "redis" and not session.internal \
                and not shard.group.is_leader():
            redirect = self.redirect(session, spec, argv, shard_id)
            if redirect is not None:
                return self._refuse(session, redirect, spec)
        if spec.is_write:
            return self.propose(shard, session, (OP_COMMAND, session.db, argv), spec, started, argv)
        if self.needs_read_barrier(session, shard) and not (
                arrival is not None and shard.proposer.barrier_passed_since(arrival)):
            return self.read_after_barrier(shard, session.db, argv, spec, started)
        reply = self.read(session.db, argv, shard)
        self.record(spec, started, reply, argv, session)
        return reply

    def lookup_for_run(self, argv):
        """The spec of a command a peer proxies here, or the error it gets."""
        spec = lookup(argv[0]) if argv else None
        if spec is None or spec.kind != "data":
            return ErrorReply(errors.unknown_command(argv[0] if argv else b"", argv[1:]))
        if not spec.check_arity(len(argv)):
            return ErrorReply(errors.wrong_arity(spec.name))
        return spec

    def proxied(self, session, shard_id, spec, argv, started):
        """Run the command on a node that replicates the shard (this one does not)."""
        slot = Slot(spec=spec, started=started, argv=argv)
        blocking = BLOCKING in spec.flags and session.multi is None
        coroutine = self.proxy.run(shard_id, session.db, session.readonly, argv, spec.is_write, blocking)
        task = self.loop.create_task(_resolve_with(slot, coroutine))
        if blocking:  # its wait ends with the connection (close_session cancels it)
            session.proxied_waits.add(task)
            task.add_done_callback(session.proxied_waits.discard)
        return slot

    def fan_out_shards(self) -> list:
        """The shards a keyless command covers: all of them (proxy mode: any node is the whole
        database), or those replicated here (redis mode: as a Redis Cluster node, its own)."""
        if self.settings.cluster_mode == "redis":
            return sorted(self.shards)
        return list(range(self.layout.count))

    def fan_out(self, session, spec, argv, started, arrival):
        """A keyless command (DBSIZE, KEYS, SCAN, FLUSHALL...) on every shard, replies combined."""
        combine = fanout.COMBINERS[spec.fan_out]
        if spec.fan_out == "scan":
            return self._scan_step(session, spec, argv, started)
        shard_ids = self.fan_out_shards()
        if not shard_ids:
            return combine(argv, [])
        replies = [None] * len(shard_ids)
        slot = Slot(spec=spec, started=started, argv=argv)
        remaining = [len(shard_ids)]

        def collect(index, reply):
            replies[index] = reply
            remaining[0] -= 1
            if remaining[0] == 0:
                slot.resolve(combine(argv, replies))

        for index, shard_id in enumerate(shard_ids):
            reply = self.run_on_shard(session, shard_id, spec, argv, started, arrival, redirect=False)
            if type(reply) is Slot:
                _when_ready(reply, partial(collect, index))
            else:
                collect(index, reply)
        return slot.reply if slot.ready else slot

    def _scan_step(self, session, spec, argv, started):
        """SCAN over the shards one after the other. The cursor carries the shard in bits 59-62
        and the shard's own cursor (a 59-bit position, statemachine.scan) below them."""
        shard_ids = self.fan_out_shards()
        cursor = to_int(argv[1])
        if cursor is None or cursor < 0 or (cursor and cursor >> SCAN_SHARD_SHIFT not in shard_ids):
            return self._refuse(session, errors.INVALID_CURSOR, spec)
        if not shard_ids:
            return [b"0", []]
        shard_id = cursor >> SCAN_SHARD_SHIFT if cursor else shard_ids[0]
        later = [s for s in shard_ids if s > shard_id]
        inner = cursor & ((1 << SCAN_SHARD_SHIFT) - 1)
        step = (argv[0], b"%d" % inner) + tuple(argv[2:])
        slot = Slot(spec=spec, started=started, argv=argv)

        def rewrite(reply):
            if type(reply) is not list:
                slot.resolve(reply)
                return
            next_inner = int(reply[0])
            if next_inner:
                combined = (shard_id << SCAN_SHARD_SHIFT) | next_inner
            else:
                combined = later[0] << SCAN_SHARD_SHIFT if later else 0
            slot.resolve([b"%d" % combined, reply[1]])

        reply = self.run_on_shard(session, shard_id, spec, step, started, redirect=False)
        if type(reply) is Slot:
            _when_ready(reply, rewrite)
        else:
            rewrite(reply)
        return slot.reply if slot.ready else slot

    def _same_shard_in_multi(self, session, spec, argv) -> bool:
        """Inside MULTI every queued command must target one shard, the watched keys' too."""
        keys = spec.routing_keys(argv)
        if not keys:
            return True
        shards = {self.shard_of_key(key) for key in keys}
        shards |= {self.shard_of_key(k) for argv_ in session.multi
                   for k in _keys_of(argv_)}
        shards |= {self.shard_of_key(key) for (_, key) in session.watches}
        return len(shards) == 1

    def redirect(self, session, spec, argv, shard_id):
        """cluster-mode redis: -MOVED to the shard's leader, as a Redis Cluster replica answers
        (reads are served by a replica after READONLY); -CLUSTERDOWN without a leader."""
        if shard_id in self.shards and not spec.is_write and session.readonly:
            return None
        member = self.leader_member(shard_id)
        if member is None:
            return errors.CLUSTERDOWN
        if member["id"] == self.settings.node_id:
            return None
        keys = spec.routing_keys(argv)
        slot = key_slot(keys[0]) if keys else shard_slot_range(shard_id, self.layout.count)[0]
        return "MOVED %d %s:%d" % (slot, member["host"], member["port"])

    def members_of(self, shard_id: int) -> list:
        """Member dicts of a shard: its replicated table once membership changed, else where the
        config places it; for a shard replicated elsewhere, what its members last told us."""
        shard = self.shards.get(shard_id)
        if shard is None:
            return self.remote[shard_id].members
        replicated = shard.group.machine.members
        if replicated:
            config = self.layout.config_members
            return [member_dict(node_id, host, port, "%s:%d" % (host, raft_port),
                                config[node_id].grpc_port if node_id in config else 0)
                    for node_id, (host, port, raft_port) in replicated.items()]
        if not self.settings.members:
            return self.layout.configured_members(shard_id)
        # no membership change yet: the Raft group's own members, named from the config
        # (a node that joined may not have applied the table yet)
        configured = {m.raft_address_of(shard_id): m for m in self.settings.members}
        addresses = [self.settings.raft_address_of(shard_id)] + sorted(
            node.address for node in shard.group.otherNodes)
        return [member_dict(m.id, m.host, m.port, address, m.grpc_port)
                for address, m in ((a, configured.get(a)) for a in addresses) if m is not None]

    def leader_member(self, shard_id: int):
        """The member dict of the shard's leader, or None when no leader is known."""
        shard = self.shards.get(shard_id)
        members = self.members_of(shard_id)
        if shard is None:
            leader_id = self.remote[shard_id].leader_id
            return next((m for m in members if m["id"] == leader_id), None)
        address = shard.group.leader_address()
        return next((m for m in members if m["raft"] == address), None)

    def all_members(self) -> list:
        """Every node that replicates a shard (each once, config order first), with its base
        Raft address (shard 0's port)."""
        replicating = {}
        for shard_id in range(self.layout.count):
            for member in self.members_of(shard_id):
                if member["id"] not in replicating:
                    host, port = member["raft"].rsplit(":", 1)
                    base = int(port) - SHARD_PORT_STRIDE * shard_id
                    replicating[member["id"]] = dict(member, raft="%s:%d" % (host, base))
        order = [m["id"] for m in self.layout.configured_members_all()]
        return sorted(replicating.values(),
                      key=lambda m: (order.index(m["id"]) if m["id"] in order else len(order), m["id"]))

    def _refuse(self, session, message, spec=None):
        if session.multi is not None:
            session.multi_error = True
            if spec is not None and spec.name == "exec":  # Redis: a refused EXEC ends MULTI
                session.multi = None
                session.multi_error = False
                session.watches = {}
                message = "EXECABORT Transaction discarded because of: " + message.removeprefix("ERR ")
        self.count_error(message)
        return ErrorReply(message)

    def propose(self, shard, session, op, spec, started, argv):
        slot = Slot(spec=spec, started=started, argv=argv)
        size = sum(map(len, argv)) + 16 if argv else 64
        session.last_shard = shard.id
        if not shard.proposer.submit(op, slot.resolve, size):
            return ErrorReply(errors.OOM_BACKLOG)
        return slot

    def needs_read_barrier(self, session, shard) -> bool:
        """Alone in its group, the leader has applied every acknowledged write and no other
        leader can exist, so its local state is linearizable. With peers, a read waits for a
        no-op entry proposed after it arrived (shared by every read waiting at that moment),
        unless the connection asked for stale reads (READONLY)."""
        return shard.group.has_peers() and not session.readonly \
            and not self.settings.unsafe_stale_reads

    def read_after_barrier(self, shard, db_index: int, argv, spec, started):
        slot = Slot(spec=spec, started=started, argv=argv)

        def after_barrier(error):
            slot.resolve(error if error is not None else self.read(db_index, argv, shard))

        shard.proposer.barrier(after_barrier)
        return slot

    def read(self, db_index: int, argv, shard=None):
        """A read on local state (the shard of argv's keys unless given)."""
        if shard is None:
            shard = self.shard_for_keys(lookup(argv[0]).routing_keys(argv))
        group = shard.group
        with group.lock:
            return group.machine.read(db_index, argv, shard.proposer.now_ms(),
                                      random.getrandbits(64))

    def execute_multi(self, session):
        """EXEC: the queued data commands (and SELECTs) travel as one entry with the WATCHed
        versions. Queued node commands (PING, ECHO, CLIENT, INFO...) touch no keys: they run
        once the entry is applied, and their replies take their places in the EXEC reply."""
        queued, session.multi = session.multi, None
        watches = [(db, key, version) for (db, key), version in session.watches.items()]
        session.watches = {}
        in_entry = [argv for argv in queued if not _runs_in_node(argv)]
        slot = Slot(spec=COMMANDS[b"exec"], started=time.perf_counter())
        finish = partial(self._finish_exec, session, queued, slot.resolve)
        keys = [key for _, key, _ in watches] + [k for argv in in_entry for k in _keys_of(argv)]
        shard_id = self.shard_of_key(keys[0]) if keys and self.layout.count > 1 else 0
        shard = self.shards.get(shard_id)
        if shard is None:  # replicated elsewhere: the whole transaction runs there
            request = [b"RAFT", b"EXEC", b"%d" % shard_id, b"%d" % session.db, b"%d" % len(watches)]
            for db, key, version in watches:
                request += [b"%d" % db, key, b"%d" % version]
            for argv in in_entry:
                request += [b"%d" % len(argv), *argv]
            self.loop.create_task(_resolve_with_sink(finish, self.proxy.call(shard_id, request, True)))
            return slot
        op = (OP_EXEC, session.db, watches, in_entry)
        size = sum(len(part) for argv in in_entry for part in argv) + 64
        session.last_shard = shard_id
        if not shard.proposer.submit(op, finish, size):
            return ErrorReply(errors.OOM_BACKLOG)
        return slot

    @staticmethod
    def _finish_exec(session, queued, resolve, replies):
        if type(replies) is not list:  # nil (a WATCHed key changed) or an error for the entry
            resolve(replies)
            return
        from_entry = iter(replies)
        merged = []
        for argv in queued:
            if _runs_in_node(argv):
                merged.append(lookup(argv[0]).handler(session, argv[1:]))
                continue
            reply = next(from_entry)
            if argv[0].lower() == b"select" and reply is OK:
                session.db = int(argv[1])  # SELECT inside MULTI outlives the EXEC, as in Redis
            merged.append(reply)
        resolve(merged)

    def key_version(self, db_index: int, key: bytes):
        """The version of a key for WATCH: an int, or a Slot resolving to one when the key's
        shard is replicated elsewhere."""
        shard_id = self.shard_of_key(key) if self.layout.count > 1 else 0
        shard = self.shards.get(shard_id)
        if shard is not None:
            with shard.group.lock:
                return shard.group.machine.key_version(db_index, key)
        slot = Slot()

        async def fetch():
            reply = await self.proxy.run(shard_id, db_index, True, [b"SPINELRAFT.KEYINFO", key], False)
            slot.resolve(reply if type(reply) is ErrorReply else reply[0][2])

        self.loop.create_task(fetch())
        return slot

    # -- accounting ------------------------------------------------------------------------------
    def record(self, spec, started, reply, argv, session):
        elapsed = time.perf_counter() - started
        stats = self.stats.get(spec.name)
        if stats is None:
            stats = self.stats[spec.name] = CommandStats()
        failed = type(reply) is ErrorReply
        stats.record(elapsed, failed)
        if failed:
            self.count_error(reply.message)
        if argv is not None:
            self.slowlog.observe(elapsed, argv, session)

    def count_error(self, message: str):
        self.total_errors += 1
        prefix = message.split(" ", 1)[0]
        self.error_counts[prefix] = self.error_counts.get(prefix, 0) + 1


FAN_OUT = object()  # route(): the command runs on every shard
SCAN_SHARD_SHIFT = KEYSPACE_HASH_BITS  # SCAN cursors: shard (< 16) in bits 59-62


def _saved_hosted(data_dir: str):
    """{shard id: raft partners} saved by RAFT HOST/UNHOST, or None (then the config decides)."""
    import json
    import os

    path = os.path.join(data_dir, "shards.json")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return {int(shard_id): partners for shard_id, partners in json.load(handle).items()}


def _keys_of(argv) -> list:
    spec = lookup(argv[0])
    return spec.routing_keys(argv) if spec is not None and spec.kind == "data" else []


def _when_ready(slot, callback):
    """callback(reply) once the slot resolves (at once if it has)."""
    if slot.ready:
        callback(slot.reply)
    else:
        slot.on_ready = lambda: callback(slot.reply)


async def _resolve_with(slot, coroutine):
    slot.resolve(await coroutine)


async def _resolve_with_sink(sink, coroutine):
    sink(await coroutine)


def _runs_in_node(argv) -> bool:
    """A queued command that the node runs itself at EXEC (SELECT goes into the entry)."""
    spec = lookup(argv[0])
    return spec.kind == "server" and spec.name != "select"

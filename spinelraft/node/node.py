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
from spinelraft.node.commands.cluster import member_table
from spinelraft.node.session import Slot
from spinelraft.node.slowlog import SlowLog
from spinelraft.raft.group import ShardGroup
from spinelraft.raft.proposer import Proposer
from spinelraft.slots import key_slot
from spinelraft.replies import OK, QUEUED, ErrorReply
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
        self.group = ShardGroup(
            0, settings.raft_address, settings.raft_partners, settings.data_dir,
            appendfsync=settings.appendfsync,
            password=settings.cluster_secret or None,
            compaction_min_entries=settings.snapshot_min_entries,
            compaction_min_time_s=settings.snapshot_min_time,
        )
        # gRPC Watch; it observes applied entries only from the first Watch or Status call on
        # (before that it costs nothing, and older positions answer OUT_OF_RANGE)
        self.changes = ChangeFeed(settings.watch_history, loop)
        if settings.watch_from_start:
            self.changes.attach(self.group)
        self.pending_drains = []  # connections with replies resolved by the last entry
        self.proposer = Proposer(self.group, loop, after_complete=self.run_drains,
                                 node_id=settings.node_id)
        self.sessions = {}  # id -> Session
        self.stats = {}  # command name -> CommandStats
        self.slowlog = SlowLog(settings)
        self.group.slow_op_threshold_s = self.slowlog.threshold_s
        self.group.on_slow_op = lambda argv, seconds: loop.call_soon_threadsafe(
            self.slowlog.observe_write, seconds, argv)
        self.total_connections = 0
        self.rejected_connections = 0
        self.total_commands = 0
        self.total_errors = 0
        self.error_counts = {}  # error prefix -> count
        self.last_save_time = int(self.started_at)
        self.blocking = BlockingManager(self)  # BLPOP & co: clients waiting for data
        self.group.on_applied = self.blocking.entry_applied

    def start(self):
        self.group.start(self.loop)

    def run_drains(self):
        drains, self.pending_drains = self.pending_drains, []
        for drain in drains:
            drain()

    def stop(self):
        self.group.stop()

    def close_session(self, session):
        """The connection is gone: forget the session, and any wait it was in."""
        self.sessions.pop(session.id, None)
        self.blocking.forget(session)

    def is_ready(self) -> bool:
        """The group knows its leader and this node has applied what the leader committed."""
        return self.group.isReady() and self.group.leader_address() is not None

    # -- the dispatcher --------------------------------------------------------------------------
    def dispatch(self, session, argv, arrival=None):
        """Run one command for a session: a reply, or a Slot resolved later.

        `arrival` is the proposer's flush count when the command was received; a read that
        waited behind other commands may use a barrier proposed after that.
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
            session.multi.append(argv)
            return QUEUED
        if BLOCKING in spec.flags:  # inside MULTI (and EXEC) they run as their non-blocking form
            blocked = self.blocking.dispatch(session, spec, argv, started)
            if blocked is not None:
                return blocked
        if spec.kind == "server":
            reply = spec.handler(session, argv[1:])
            if type(reply) is not Slot:
                self.record(spec, started, reply, argv, session)
            return reply
        if self.settings.cluster_mode == "redis" and not self.group.is_leader():
            redirect = self.redirect(session, spec, argv)
            if redirect is not None:
                return self._refuse(session, redirect, spec)
        if spec.is_write:
            return self.propose(session, (OP_COMMAND, session.db, argv), spec, started, argv)
        if self.needs_read_barrier(session) and not (
                arrival is not None and self.proposer.barrier_passed_since(arrival)):
            return self.read_after_barrier(session.db, argv, spec, started)
        reply = self.read(session.db, argv)
        self.record(spec, started, reply, argv, session)
        return reply

    def redirect(self, session, spec, argv):
        """cluster-mode redis on a follower: -MOVED to the leader, as a Redis Cluster replica
        answers (reads are served here after READONLY); -CLUSTERDOWN without a leader."""
        if not spec.is_write and session.readonly:
            return None
        leader = self.group.leader_address()
        member = next((m for m in member_table(self) if m["raft"] == leader), None)
        if member is None:
            return errors.CLUSTERDOWN
        keys = spec.keys(argv)
        slot = key_slot(keys[0]) if keys else 0
        return "MOVED %d %s:%d" % (slot, member["host"], member["port"])

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

    def propose(self, session, op, spec, started, argv):
        slot = Slot(spec=spec, started=started, argv=argv)
        size = sum(map(len, argv)) + 16 if argv else 64
        if not self.proposer.submit(op, slot.resolve, size):
            return ErrorReply(errors.OOM_BACKLOG)
        return slot

    def needs_read_barrier(self, session) -> bool:
        """Alone in its group, the leader has applied every acknowledged write and no other
        leader can exist, so its local state is linearizable. With peers, a read waits for a
        no-op entry proposed after it arrived (shared by every read waiting at that moment),
        unless the connection asked for stale reads (READONLY)."""
        return self.group.has_peers() and not session.readonly \
            and not self.settings.unsafe_stale_reads

    def read_after_barrier(self, db_index: int, argv, spec, started):
        slot = Slot(spec=spec, started=started, argv=argv)

        def after_barrier(error):
            slot.resolve(error if error is not None else self.read(db_index, argv))

        self.proposer.barrier(after_barrier)
        return slot

    def read(self, db_index: int, argv):
        group = self.group
        with group.lock:
            return group.machine.read(db_index, argv, self.proposer.now_ms(),
                                      random.getrandbits(64))

    def execute_multi(self, session):
        """EXEC: the queued data commands (and SELECTs) travel as one entry with the WATCHed
        versions. Queued node commands (PING, ECHO, CLIENT, INFO...) touch no keys: they run
        once the entry is applied, and their replies take their places in the EXEC reply."""
        queued, session.multi = session.multi, None
        watches = [(db, key, version) for (db, key), version in session.watches.items()]
        session.watches = {}
        in_entry = [argv for argv in queued if not _runs_in_node(argv)]
        op = (OP_EXEC, session.db, watches, in_entry)
        slot = Slot(spec=COMMANDS[b"exec"], started=time.perf_counter())
        finish = partial(self._finish_exec, session, queued, slot.resolve)
        size = sum(len(part) for argv in in_entry for part in argv) + 64
        if not self.proposer.submit(op, finish, size):
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

    def key_version(self, db_index: int, key: bytes) -> int:
        with self.group.lock:
            return self.group.machine.key_version(db_index, key)

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


def _runs_in_node(argv) -> bool:
    """A queued command that the node runs itself at EXEC (SELECT goes into the entry)."""
    spec = lookup(argv[0])
    return spec.kind == "server" and spec.name != "select"

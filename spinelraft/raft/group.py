"""One Raft group (one shard) over pysyncobj, driven by our own tick thread.

pysyncobj is the shell (TCP, timers, log); our StateMachine is the pure core. The group exposes
exactly one replicated method, `apply_entry(blob)`, whose argument is an encoded log entry
(statemachine.machine.encode_entry) carrying many commands (group commit).

Why our own tick thread: pysyncobj's auto-tick computes the commit index at the start of a tick
and appends new commands at its end, then sleeps for autoTickPeriod; on one node a write would
wait a whole period. We tick again at once while there are uncommitted entries, and fsync the
journal between the append and the commit when appendfsync is `always`.
"""
import collections
import logging
import os
import threading
import time

from pysyncobj import SyncObj, SyncObjConf, replicated
from pysyncobj.config import FAIL_REASON

from spinelraft.raft.snapshots import SnapshotStore
from spinelraft.raft.source_address import bind_outgoing_connections
from spinelraft.statemachine.machine import OP_COMMAND, StateMachine, decode_entry

log = logging.getLogger(__name__)

FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO = "always", "everysec", "no"
IDLE_TICK_S = 0.005


class ShardGroup(SyncObj):
    def __init__(self, shard_id: int, self_address: str, partners: list, data_dir: str,
                 appendfsync: str = FSYNC_EVERYSEC, password: str = None,
                 compaction_min_entries: int = 100_000, compaction_min_time_s: float = 3600.0,
                 on_state_changed=None):
        assert appendfsync in (FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO)
        self.shard_id = shard_id
        self.machine = StateMachine()
        self.lock = threading.Lock()  # the state is touched by one thread at a time
        self.appendfsync = appendfsync
        self.entries_applied = 0
        self.commands_applied = 0
        self.fsync_count = 0
        self._synced_log_index = 0
        self._last_fsync = time.monotonic()
        shard_dir = os.path.join(data_dir, "shard-%d" % shard_id)
        os.makedirs(shard_dir, exist_ok=True)
        self.snapshots = SnapshotStore(
            os.path.join(shard_dir, "snapshots"), lambda: self.machine, self._replace_machine,
            os.path.join(shard_dir, "raft.snapshot-meta"),
        )
        conf = SyncObjConf(
            autoTick=False,
            appendEntriesUseBatch=False,  # send at once; batching is ours (group commit)
            appendEntriesPeriod=0.05,
            appendEntriesBatchSizeBytes=1 << 20,
            sendBufferSize=1 << 21,
            recvBufferSize=1 << 21,
            raftMinTimeout=0.4,
            raftMaxTimeout=1.4,
            connectionRetryTime=0.5,
            connectionTimeout=3.5,
            # check-quorum: a leader that has not heard from a majority for this long steps
            # down (pysyncobj's default of 30 s let an isolated leader serve for 30 s)
            leaderFallbackTimeout=1.0,
            commandsQueueSize=100_000,
            commandsWaitLeader=True,
            journalFile=os.path.join(shard_dir, "raft.journal"),
            fullDumpFile=os.path.join(shard_dir, "raft.snapshot-meta"),
            serializer=self.snapshots.serialize,
            deserializer=self.snapshots.deserialize,
            serializeChecker=self.snapshots.check,
            logCompactionMinEntries=compaction_min_entries,
            logCompactionMinTime=compaction_min_time_s,
            logCompactionSplit=False,
            dynamicMembershipChange=True,
            bindAddress=self_address,  # never 0.0.0.0 unless configured
            password=password,
            onStateChanged=on_state_changed,
            pollerType="auto",
            useFork=False,
            maxBindRetries=1,  # a busy Raft port is a start-up error, not a silent retry loop
            bindRetryTime=0.5,
        )
        bind_outgoing_connections(self_address.rsplit(":", 1)[0])
        super().__init__(self_address, partners, conf)
        # Runs inside each tick after new commands are appended and before the tick sleeps.
        self.addOnTickCallback(self._after_append)
        self._held_acks = []
        self._hold_follower_acks()
        self._tick_calls = collections.deque()  # functions to run in the tick thread
        self._stopping = False
        self.inline_loop = None  # set when ticking on the asyncio loop (one-node group)
        self.before_apply = None  # hook: before_apply(machine) under the lock (the change feed)
        # hook: on_applied(blob, replies) after each entry is applied on this node, outside the
        # lock (blocked clients wake up from it); the Raft thread calls it, or the loop for one node
        self.on_applied = None
        # SLOWLOG of writes: on_slow_op(argv, seconds) for operations slower than the threshold
        # (slow_op_threshold_s() returns seconds, or None when disabled); runs in the apply thread
        self.on_slow_op = None
        self.slow_op_threshold_s = lambda: None
        self._thread = threading.Thread(target=self._tick_loop, name="raft-shard-%d" % shard_id,
                                        daemon=True)

    def start(self, loop=None):
        """Tick in our own thread; or, for a group of one node given the asyncio loop, on the
        loop itself: every commit is local, so ticking right after a proposal avoids two
        thread hand-offs (and GIL contention) per entry."""
        if loop is not None and not self.otherNodes:
            self.inline_loop = loop
            loop.call_soon(self._inline_timer)
        else:
            self._thread.start()

    def _inline_timer(self):
        if self._stopping:
            return
        self.tick_inline()
        self.inline_loop.call_later(IDLE_TICK_S, self._inline_timer)

    def tick_inline(self):
        """Tick until what was proposed is committed and applied (at most a few ticks)."""
        try:
            self.doTick(0.0)
            for _ in range(3):
                if self.last_log_index() <= self.raftLastApplied:
                    break
                self.doTick(0.0)
        except Exception:  # keep serving; the next timer tick retries
            log.exception("raft tick failed on shard %d", self.shard_id)

    def stop(self):
        self._stopping = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._sync_journal()
        self.destroy()

    # -- the one replicated method -----------------------------------------------------------------
    @replicated
    def apply_entry(self, blob: bytes):
        with self.lock:
            if self.before_apply is not None:
                self.before_apply(self.machine)
            replies = self.machine.apply_entry(blob, clock=time.perf_counter)
            if self.on_slow_op is not None:
                self._report_slow_ops(blob, self.machine.op_seconds)
        self.entries_applied += 1
        self.commands_applied += len(replies)
        if self.on_applied is not None:
            self.on_applied(blob, replies)
        return replies

    def _report_slow_ops(self, blob: bytes, durations: list):
        threshold_s = self.slow_op_threshold_s()
        if threshold_s is None or max(durations, default=0.0) < threshold_s:
            return
        ops = decode_entry(blob)[3]  # decoded again only when something was slow
        for op, seconds in zip(ops, durations):
            if seconds >= threshold_s and op[0] == OP_COMMAND:
                self.on_slow_op(op[2], seconds)

    def _replace_machine(self, machine: StateMachine):
        with self.lock:
            self.machine = machine

    # -- ticking --------------------------------------------------------------------------------
    def _hold_follower_acks(self):
        """A follower acknowledges appended entries (pysyncobj's 'next_node_idx' success reply)
        from inside message handling, before anything reached the disk. With appendfsync always
        we hold those replies and send them after the journal is fsynced (_release_acks), so an
        entry never counts toward a majority on a node that could still lose it."""
        transport = self._SyncObj__transport
        send = transport.send

        def send_after_fsync(node, message):
            if (self.appendfsync == FSYNC_ALWAYS and message.get("type") == "next_node_idx"
                    and message.get("success")):
                self._held_acks.append((node, message))
                return True
            return send(node, message)

        transport.send = send_after_fsync
        self._send_now = send

    def _release_acks(self):
        if not self._held_acks:
            return
        self._sync_journal()
        acks, self._held_acks = self._held_acks, []
        for node, message in acks:
            self._send_now(node, message)

    def _tick_loop(self):
        while not self._stopping:
            try:
                self.doTick(IDLE_TICK_S)
                self._release_acks()
            except Exception:  # keep the group alive; pysyncobj's own thread does the same
                log.exception("raft tick failed on shard %d", self.shard_id)
                time.sleep(IDLE_TICK_S)

    def run_in_tick(self, function):
        """Run function() in the thread that owns pysyncobj's state (it is not thread-safe)."""
        self._tick_calls.append(function)
        if self.inline_loop is None:
            self._SyncObj__pipeNotifier.notify()

    def _after_append(self):
        """fsync what this tick appended before any later tick counts it; then, alone in the
        group, wake the poller so the next tick commits at once instead of after a sleep."""
        while self._tick_calls:
            function = self._tick_calls.popleft()
            try:
                function()
            except Exception:  # a failed admin action must not stop the group
                log.exception("tick call failed on shard %d", self.shard_id)
        self._maybe_sync_journal()
        if (self.inline_loop is None and not self._SyncObj__otherNodes
                and self.last_log_index() > self.raftCommitIndex):
            self._SyncObj__pipeNotifier.notify()

    def last_log_index(self) -> int:
        journal = self._SyncObj__raftLog  # pysyncobj keeps it private; read-only use
        return journal[-1][1] if len(journal) else 0

    def _maybe_sync_journal(self):
        if self.appendfsync == FSYNC_ALWAYS:
            if self.last_log_index() > self._synced_log_index:
                self._sync_journal()
        elif self.appendfsync == FSYNC_EVERYSEC:
            now = time.monotonic()
            if now - self._last_fsync >= 1.0 and self.last_log_index() > self._synced_log_index:
                self._sync_journal()

    def _sync_journal(self):
        index = self.last_log_index()
        descriptor = self._journal_descriptor()
        if descriptor is not None:
            # fdatasync on the journal's file flushes its mmap'd pages too (one page cache), and
            # unlike mmap.flush() it releases the GIL while the disk works.
            os.fdatasync(descriptor)
            self.fsync_count += 1
        self._synced_log_index = index
        self._last_fsync = time.monotonic()

    def _journal_descriptor(self):
        """The journal file's descriptor (pysyncobj reopens the file when it grows)."""
        resizable = getattr(self._SyncObj__raftLog, "_FileJournal__journalFile", None)
        handle = getattr(resizable, "_ResizableFile__f", None)
        return None if handle is None or handle.closed else handle.fileno()

    def has_peers(self) -> bool:
        """True when the group has other members (pysyncobj's otherNodes copies the set)."""
        return bool(self._SyncObj__otherNodes)

    def match_indexes(self) -> dict:
        """Leader only: raft address of each follower -> highest log index it has stored."""
        return {node.address: index for node, index in self._SyncObj__raftMatchIndex.items()}

    # -- status ---------------------------------------------------------------------------------
    def is_leader(self) -> bool:
        return self._isLeader()

    def leader_address(self):
        leader = self._getLeader()
        return None if leader is None else leader.address

    def status(self) -> dict:
        return {
            "shard": self.shard_id,
            "role": "leader" if self._isLeader() else "follower",
            "leader": self.leader_address(),
            "term": self.raftCurrentTerm,
            "commit_index": self.raftCommitIndex,
            "last_applied": self.raftLastApplied,
            "log_index": self.last_log_index(),
            "entries_applied": self.entries_applied,
            "commands_applied": self.commands_applied,
            "fsyncs": self.fsync_count,
            "snapshots": self.snapshots.count,
            "last_snapshot_s": self.snapshots.last_duration_s,
        }


def describe_failure(reason: int) -> str:
    names = {value: name for name, value in vars(FAIL_REASON).items() if not name.startswith("_")}
    return names.get(reason, str(reason))

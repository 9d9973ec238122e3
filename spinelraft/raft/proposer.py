"""Group commit: many commands share one Raft entry.

Runs on the asyncio loop. Commands accumulate in `pending` while up to `max_inflight` entries are
being replicated; when one commits, the next batch goes out at once. One client alone still gets
its write proposed immediately (an idle proposer flushes on the next loop iteration), and under
load every entry carries the commands of many clients, which is what makes Raft affordable here.

Read barriers: a read that must be linearizable on a multi-node group waits for a no-op entry
proposed after it arrived; all reads waiting at a flush share one no-op.
"""
import logging
import random
import time

from spinelraft import errors
from spinelraft.raft.group import describe_failure
from spinelraft.replies import ErrorReply
from spinelraft.statemachine.machine import OP_NOOP, encode_entry

log = logging.getLogger(__name__)

SUCCESS = 0
MISSING_LEADER = 2
QUEUE_FULL = 1
UNKNOWN = 7


class InFlight:
    __slots__ = ("sinks", "started")

    def __init__(self, sinks, started):
        self.sinks = sinks
        self.started = started


class FlushClock:
    """Counts flushes of every proposer of a node: the "arrival time" of a read queued behind
    other commands, comparable with the flush that proposed any shard's barrier."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Proposer:
    def __init__(self, group, loop, max_inflight: int = 4, max_ops: int = 1000,
                 max_bytes: int = 256 * 1024, max_pending: int = 100_000, after_complete=None,
                 node_id: str = "node", flush_clock: FlushClock = None):
        assert 1 <= max_inflight <= 16 and max_ops >= 1 and max_pending >= max_ops
        self.group = group
        self.loop = loop
        self.after_complete = after_complete  # runs once after each entry's sinks
        self.max_inflight = max_inflight
        self.max_ops = max_ops
        self.max_bytes = max_bytes
        self.max_pending = max_pending
        self.pending = []  # (op, sink, size_bytes)
        self.barrier_waiters = []
        self.inflight = 0
        self.clock = flush_clock or FlushClock()  # "arrival times" for reads waiting on a barrier
        self.barrier_applied_flush = 0  # the flush number of the newest applied barrier
        self.in_flight = {}  # id -> InFlight, entries proposed and not answered yet
        self._scheduled = False
        self.clock_skew_ms = 0  # test-only hook (jepsen clock nemesis)
        # entry ids: unique per proposal across nodes and restarts (at-most-once in the machine)
        self._entry_prefix = b"%s:%016x:" % (node_id.encode(), random.getrandbits(64))
        self._entry_counter = 0
        self.entries_proposed = 0
        self.ops_proposed = 0
        self.batch_sizes = []  # recent entry sizes in ops, for metrics (bounded below)

    # -- submission (loop thread) --------------------------------------------------------------
    def submit(self, op, sink, size_bytes: int = 64) -> bool:
        """Queue an op; sink(reply) runs on the loop once it is applied. False when full."""
        if len(self.pending) >= self.max_pending:
            return False
        self.pending.append((op, sink, size_bytes))
        self._schedule()
        return True

    def barrier(self, sink):
        """sink(None) once an entry proposed after this call is applied here, or sink(error)."""
        self.barrier_waiters.append(sink)
        self._schedule()

    @property
    def flushes(self) -> int:
        return self.clock.value

    def backlog(self) -> int:
        return len(self.pending)

    def is_saturated(self) -> bool:
        return len(self.pending) >= self.max_pending // 2

    def _schedule(self):
        if not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._flush)

    # -- batching -----------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.clock_skew_ms

    def _flush(self):
        self._scheduled = False
        self.clock.value += 1
        if self.barrier_waiters:
            waiters, self.barrier_waiters = self.barrier_waiters, []
            self.pending.append(((OP_NOOP, 0, None), self._fan_out(waiters, self.clock.value), 16))
        while self.pending and self.inflight < self.max_inflight:
            batch = self._take_batch()
            ops = [item[0] for item in batch]
            sinks = [item[1] for item in batch]
            self._entry_counter += 1
            entry_id = self._entry_prefix + b"%d" % self._entry_counter
            entry = encode_entry(self.now_ms(), random.getrandbits(64), ops, entry_id)
            self.inflight += 1
            self.entries_proposed += 1
            self.ops_proposed += len(ops)
            if len(self.batch_sizes) < 4096:
                self.batch_sizes.append(len(ops))
            flight = InFlight(sinks, time.monotonic())
            self.in_flight[id(flight)] = flight
            self.group.apply_entry(entry, callback=self._callback_for(flight))
        if self.group.inline_loop is not None and self.inflight:
            self.group.tick_inline()

    def _take_batch(self) -> list:
        size = 0
        count = 0
        limit = min(self.max_ops, len(self.pending))
        while count < limit:
            size += self.pending[count][2]
            count += 1
            if size >= self.max_bytes:
                break
        batch = self.pending[:count]
        del self.pending[:count]
        return batch

    def _callback_for(self, flight):
        loop = self.loop
        if self.group.inline_loop is not None:  # applied on this very loop: no thread crossing
            def on_applied_inline(result, error):
                loop.call_soon(self._complete, flight, result, error)

            return on_applied_inline

        def on_applied(result, error):  # pysyncobj's tick thread
            loop.call_soon_threadsafe(self._complete, flight, result, error)

        return on_applied

    def _fan_out(self, waiters, flush: int):
        def resolve(reply):  # None once applied, an ErrorReply if the no-op failed
            if reply is None and flush > self.barrier_applied_flush:
                self.barrier_applied_flush = flush
            for waiter in waiters:
                waiter(reply)

        return resolve

    def barrier_passed_since(self, arrival: int) -> bool:
        """True when a barrier proposed after flush number `arrival` has been applied here: a
        read that arrived before that flush may then be served from local state."""
        return self.barrier_applied_flush > arrival

    def expire_stuck(self, timeout_s: float):
        """Answer entries in flight for longer than timeout_s (a leader cut off from its
        majority never commits them): their outcome is unknown, and the client is told so."""
        limit = time.monotonic() - timeout_s
        for flight in [f for f in self.in_flight.values() if f.started < limit]:
            log.warning("entry of %d ops not committed after %.1f s: outcome unknown",
                        len(flight.sinks), timeout_s)
            self._complete(flight, None, UNKNOWN)

    def _complete(self, flight, result, error):
        if self.in_flight.pop(id(flight), None) is None:
            return  # already answered (timed out); a late commit changes nothing for the client
        sinks = flight.sinks
        self.inflight -= 1
        if error == SUCCESS:
            for sink, reply in zip(sinks, result):
                sink(reply)
        else:
            reply = ErrorReply(_failure_text(error))
            log.warning("entry of %d ops failed: %s", len(sinks), describe_failure(error))
            for sink in sinks:
                sink(reply)
        if self.after_complete is not None:
            self.after_complete()
        if self.pending or self.barrier_waiters:
            self._flush()




def _failure_text(error: int) -> str:
    if error == MISSING_LEADER:
        return errors.NO_LEADER
    if error == QUEUE_FULL:
        return errors.OOM_BACKLOG
    return errors.UNKNOWN_OUTCOME

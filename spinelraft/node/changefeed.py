"""The change feed behind the gRPC Watch service: a bounded ring of applied key changes.

Positions are the state machine's change counter ("revision"): every change of a key takes the
next value, which is also the key's WATCH version. The counter is replicated state, so a position
means the same on every replica and survives restarts (it is in snapshots), and a client can
resume on any node from the last position it saw.

How changes are observed without touching the state machine's code: before each entry is applied
the group calls `before_apply(machine)` (under the group lock). The first time a machine is seen
(start-up, or a snapshot installed from the leader) its `touch` (called for every changed key)
and `_apply_op` (called once per operation) are wrapped by instance attributes. After each
operation the keys it touched become events, looked at in the state right after that operation.

Changes with a revision <= `floor` may be missing: before the machine was first seen, or evicted
from the ring. A reader positioned before the floor gets `lost` (the gRPC layer answers
OUT_OF_RANGE).
"""
import asyncio
import bisect
import threading
from collections import deque
from itertools import islice

from spinelraft.command_table import lookup
from spinelraft.statemachine.commands.txn import txn_keys
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC, OP_EXPIRE
from spinelraft.statemachine.values import type_name

SET, DEL, EXPIRED, RESET = 0, 1, 2, 3  # Event.Kind values of the proto
ALL_DBS = -1  # a RESET of FLUSHALL applies to every database
FLUSHES = (b"flushdb", b"flushall")


class Change:
    __slots__ = ("revision", "db", "kind", "key", "value", "type")

    def __init__(self, revision: int, db: int, kind: int, key: bytes, value=None, type_=b""):
        self.revision = revision
        self.db = db
        self.kind = kind
        self.key = key
        self.value = value  # the new value of a string key (SET), else None
        self.type = type_

    def __repr__(self):
        return "Change(%d, db=%d, kind=%d, key=%r)" % (self.revision, self.db, self.kind, self.key)


def _revision(change) -> int:
    return change.revision


class ChangeFeed:
    def __init__(self, capacity: int, loop=None):
        assert capacity >= 1
        self.capacity = capacity
        self.loop = loop
        self.ring = deque()
        self.floor = 0
        self.head = 0  # the newest revision applied
        self.lock = threading.Lock()
        self.machine = None
        self.readers = 0  # active watch streams; nobody is woken when there are none
        self._changed = None
        self._wake_scheduled = False

    # -- the apply side (the group's applying thread, group lock held) -----------------------------
    def before_apply(self, machine):
        if machine is not self.machine:
            self._instrument(machine)

    def attach(self, group):
        """Start observing the group (on the first reader: until then the feed costs nothing
        on the apply path) and make sure its current machine is instrumented."""
        with group.lock:
            group.before_apply = self.before_apply
            self.before_apply(group.machine)

    def _instrument(self, machine):
        original_touch = machine.touch
        original_apply_op = machine._apply_op
        touched = []

        def touch(db, key):
            original_touch(db, key)
            touched.append((db, key, machine.counter))

        def apply_op(op, now_ms, seed):
            before = _state_before(machine, op)
            start = machine.counter
            touched.clear()
            reply = original_apply_op(op, now_ms, seed)
            if machine.counter != start:
                self._publish(_changes(machine, op, before, touched, start, now_ms), machine.counter)
            return reply

        machine.touch = touch
        machine._apply_op = apply_op
        with self.lock:
            self.machine = machine
            self.floor = machine.counter  # whatever happened before is unknown here
            self.head = machine.counter
        self._wake()

    def _publish(self, changes, head: int):
        with self.lock:
            ring = self.ring
            ring.extend(changes)
            while len(ring) > self.capacity:
                self.floor = ring.popleft().revision
            self.head = head
        self._wake()

    def _wake(self):
        if not self.readers or self.loop is None or self._wake_scheduled:
            return
        self._wake_scheduled = True
        self.loop.call_soon_threadsafe(self._notify)

    def _notify(self):
        self._wake_scheduled = False
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    # -- the reading side (the asyncio loop) ------------------------------------------------------
    def read(self, after: int, limit: int = 1000):
        """(changes after `after`, position reached, lost). `lost` when changes after `after`
        may be gone (it is older than the floor)."""
        with self.lock:
            if after < self.floor:
                return [], after, True
            ring = self.ring
            start = bisect.bisect_right(ring, after, key=_revision)
            batch = list(islice(ring, start, start + limit))
            if batch and len(batch) == limit:
                return batch, batch[-1].revision, False
            return batch, max(after, self.head), False

    def current(self) -> int:
        with self.lock:
            return self.head

    async def wait(self, after: int, timeout: float = None):
        """Return once a change after `after` may be readable (or after `timeout` seconds)."""
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed
        with self.lock:
            if self.head > after or after < self.floor:
                return
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except asyncio.TimeoutError:
            pass


def _op_keys(op) -> list:
    """(db, key) pairs an operation names, for the state before it."""
    if op[0] == OP_COMMAND:
        commands = (op[2],)
    elif op[0] == OP_EXEC:
        commands = op[3]
    else:
        return []
    pairs = []
    for argv in commands:
        spec = lookup(argv[0])
        if spec is None:
            continue
        if spec.first_key == 1 and spec.last_key == 1 and spec.keys_fn is None:
            if len(argv) > 1:  # most commands: one key at argv[1]
                pairs.append((op[1], argv[1]))
            continue
        try:
            keys = txn_keys(argv) if spec.name == "spinelraft.txn" else spec.keys(argv)
        except Exception:  # a malformed command: it will fail and change nothing
            continue
        pairs += [(op[1], key) for key in keys]
    return pairs


def _state_before(machine, op) -> dict:
    """(db, key) -> (value object, expiry) before the op: tells a no-op write (SET NX on an
    existing key) from a change, and an expired key from a deleted one."""
    dbs = machine.dbs
    state = {}
    for db_index, key in _op_keys(op):
        if 0 <= db_index < len(dbs):
            db = dbs[db_index]
            state[(db_index, key)] = (db.data.get(key), db.expires.get(key))
    return state


def _db_index(dbs, db, hint: int) -> int:
    if 0 <= hint < len(dbs) and dbs[hint] is db:
        return hint
    return dbs.index(db)


def _changes(machine, op, before, touched, start: int, now_ms: int) -> list:
    dbs = machine.dbs
    hint = op[1] if type(op[1]) is int else 0
    if len(touched) == 1:  # the common case: one key changed once
        db, key, revision = touched[0]
        index = _db_index(dbs, db, hint)
        changes = _key_changes(db, index, key, revision, revision, op[0], before.get((index, key)), now_ms)
    else:
        revisions = {}  # (db, key) -> [first revision, last revision], first touch order
        for db, key, revision in touched:
            pair = (_db_index(dbs, db, hint), key)
            seen = revisions.get(pair)
            if seen is None:
                revisions[pair] = [revision, revision]
            else:
                seen[1] = revision
        changes = []
        for (db_index, key), (first, last) in revisions.items():
            changes += _key_changes(dbs[db_index], db_index, key, first, last, op[0],
                                    before.get((db_index, key)), now_ms)
    if machine.counter - start > len(touched):  # a revision taken without a touch: a flush
        changes += _resets(op, start, machine.counter, {r for _, _, r in touched})
    if len(changes) > 1:
        changes.sort(key=_revision)
    return changes


def _key_changes(db, db_index, key, first, last, op_kind, prior, now_ms) -> list:
    value = db.data.get(key)
    was_expired = (prior is not None and prior[0] is not None and prior[1] is not None
                   and prior[1] <= now_ms)
    if op_kind == OP_EXPIRE:
        return [Change(last, db_index, EXPIRED, key)]
    if value is None:
        if prior is not None and prior[0] is None:
            return []  # it did not exist before either (DEL of a missing key)
        return [Change(last, db_index, EXPIRED if was_expired else DEL, key)]
    if (prior is not None and prior[0] is value and type(value) is bytes
            and prior[1] == db.expires.get(key)):
        return []  # touched but unchanged (SET NX on an existing key, ...)
    changes = []
    if was_expired and first != last:
        changes.append(Change(first, db_index, EXPIRED, key))
    changes.append(Change(last, db_index, SET, key, value if type(value) is bytes else None,
                          type_name(value)))
    return changes


def _resets(op, start: int, end: int, touch_revisions) -> list:
    """FLUSHDB / FLUSHALL take a revision of their own and touch no key."""
    if op[0] == OP_COMMAND:
        commands = (op[2],)
    elif op[0] == OP_EXEC:
        commands = op[3]
    else:
        return []
    flushes = [argv[0].lower() for argv in commands if argv[0].lower() in FLUSHES]
    if not flushes:
        return []
    free = [r for r in range(start + 1, end + 1) if r not in touch_revisions]
    return [Change(revision, op[1] if name == b"flushdb" else ALL_DBS, RESET, b"")
            for revision, name in zip(free, flushes)]

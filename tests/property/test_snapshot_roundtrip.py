"""Snapshots restore the whole replicated state: a restored replica behaves like the original.

The digest covers what a snapshot stores; `replicated_state` also covers what decides future
replies without being visible in the data (WATCH versions of deleted keys, the version floor,
the expiry index, remembered entry ids). A replica restored from a snapshot must then apply any
further entries exactly like one that never restarted.
"""
import os
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

from spinelraft.raft.snapshots import COMPLETE_MARKER, WRITE_BATCH_RECORDS, SnapshotStore
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC, StateMachine, encode_entry
from spinelraft.statemachine.snapshot import digest, iter_records, load_records
from tests.property.logs import (
    ALL_KEYS,
    LOG_SETTINGS,
    SEED_MAX,
    T0_MS,
    check_log,
    commands,
    describe_item,
    logs,
    replay,
)

LATER_MS = T0_MS + 120_000  # further entries come after every generated log's times


def replicated_state(machine: StateMachine):
    """Everything besides the data that later entries depend on, in comparable form."""
    databases = [
        (dict(db.expires), list(db.expiry_index), dict(db.versions), db.version_floor)
        for db in machine.dbs
    ]
    return machine.counter, machine.time_ms, list(machine.recent_entry_ids), databases


def restore(machine: StateMachine) -> StateMachine:
    """A snapshot as RocksDB hands it back: records sorted by key."""
    return load_records(sorted(iter_records(machine)))


def difference(original: StateMachine, restored: StateMachine):
    """None when the restored machine equals the original, else what differs."""
    if digest(restored) != digest(original):
        return "the restored machine has another digest"
    left, right = replicated_state(original), replicated_state(restored)
    if left[:3] != right[:3]:
        return "counter, time or entry ids differ: %r versus %r" % (left[:3], right[:3])
    for index, (kept, lost) in enumerate(zip(left[3], right[3])):
        if kept != lost:
            names = ("expires", "expiry index", "versions", "version floor")
            fields = [name for name, a, b in zip(names, kept, lost) if a != b]
            return "db %d: %s differ: %r versus %r" % (index, ", ".join(fields), kept, lost)
    return None


def replayed(log) -> StateMachine:
    machine = StateMachine()
    replay(machine, log)
    return machine


# -- entries applied after the snapshot --------------------------------------------------------
@st.composite
def later_operations(draw):
    """Templates of entries applied after the snapshot. An ("exec", ...) template watches keys
    at the versions the original machine reports when it is applied, as a client's WATCH just
    before EXEC would: it runs on a replica that kept the versions and is refused on one that
    lost them."""
    templates = []
    for position in range(draw(st.integers(1, 15))):
        now_ms = LATER_MS + 500 * position
        seed = draw(st.integers(0, SEED_MAX))
        if draw(st.booleans()):
            watched = draw(st.lists(st.tuples(st.sampled_from([0, 1]), st.sampled_from(ALL_KEYS)),
                                    min_size=1, max_size=3))
            queued = draw(st.lists(commands(now_ms), min_size=1, max_size=3))
            templates.append((now_ms, seed, "exec", watched, queued))
        else:
            db_index = draw(st.sampled_from([0, 1]))
            templates.append((now_ms, seed, "command", db_index, draw(commands(now_ms))))
    return templates


def resolve(template, original: StateMachine):
    """The log item for a template, watching the original machine's current versions."""
    now_ms, seed, kind, first, second = template
    if kind == "command":
        op = (OP_COMMAND, first, second)
    else:
        watches = [[db, key, original.key_version(db, key)] for db, key in first]
        op = (OP_EXEC, 0, watches, second)
    return ("e", encode_entry(now_ms, seed, [op]))


def restore_difference(log):
    machine = replayed(log)
    return difference(machine, restore(machine))


def divergence_after_restore(log, templates):
    original = replayed(log)
    restored = restore(original)
    for template in templates:
        item = resolve(template, original)
        expected = replay(original, [item])
        got = replay(restored, [item])
        if got != expected:
            return "after restore, %s replies %r instead of %r" % (
                describe_item(item), got, expected)
        if digest(restored) != digest(original):
            return "after restore, %s leads to another digest" % describe_item(item)
    return difference(original, restored)


# -- tests -----------------------------------------------------------------------------------------
@LOG_SETTINGS
@given(log=logs())
def test_records_round_trip_keeps_digest_and_replicated_state(log):
    check_log(log, restore_difference)


@LOG_SETTINGS
@given(log=logs(), templates=later_operations())
def test_restored_machine_applies_further_entries_like_the_original(log, templates):
    check_log(log, lambda candidate: divergence_after_restore(candidate, templates))


@LOG_SETTINGS
@given(log=logs())
def test_snapshot_of_restored_machine_is_byte_identical(log):
    machine = replayed(log)
    assert list(iter_records(restore(machine))) == list(iter_records(machine))


def rocksdb_round_trip(machine: StateMachine) -> StateMachine:
    """Write the machine with SnapshotStore's writer into a fresh RocksDB and read it back."""
    with tempfile.TemporaryDirectory(prefix="spinelraft-snapshot-") as directory:
        store = SnapshotStore(directory, lambda: machine, lambda _: None)
        path = os.path.join(directory, "snap-test")
        store._write_rocksdb(path)
        assert os.path.exists(os.path.join(path, COMPLETE_MARKER))
        return SnapshotStore._read_rocksdb(path)


def rocksdb_difference(log):
    machine = replayed(log)
    return difference(machine, rocksdb_round_trip(machine))


@settings(LOG_SETTINGS, max_examples=10)
@given(log=logs())
def test_rocksdb_round_trip_keeps_digest_and_replicated_state(log):
    check_log(log, rocksdb_difference)


def test_rocksdb_round_trip_across_write_batches():
    """More records than one write batch, in several databases, with TTLs and containers."""
    machine = StateMachine()
    key_count = WRITE_BATCH_RECORDS + WRITE_BATCH_RECORDS // 2
    mset = [b"MSET"] + [part for n in range(key_count) for part in (b"key:%d" % n, b"%d" % n)]
    ops = [
        (OP_COMMAND, 0, mset),
        (OP_COMMAND, 0, [b"PEXPIRE", b"key:7", b"60000"]),
        (OP_COMMAND, 3, [b"RPUSH", b"list", b"a", b"b", b"c"]),
        (OP_COMMAND, 3, [b"SADD", b"set"] + [b"m%d" % n for n in range(600)]),
        (OP_COMMAND, 15, [b"ZADD", b"zset", b"1", b"a", b"-2.5", b"b"]),
        (OP_COMMAND, 15, [b"HSET", b"hash", b"f", b"v"]),
        (OP_COMMAND, 0, [b"DEL", b"key:3"]),
    ]
    machine.apply_entry(encode_entry(T0_MS, 7, ops, b"n0:1"))
    restored = rocksdb_round_trip(machine)
    assert difference(machine, restored) is None
    assert sum(len(db) for db in restored.dbs) == key_count - 1 + 4


def test_watch_on_a_deleted_key_gives_the_same_exec_reply_after_restore():
    """A write on a missing key (or a DEL) gives it a WATCH version although it has no data;
    a snapshot must keep that version, or EXEC runs on one replica and aborts on another."""
    original = StateMachine()
    original.apply_entry(encode_entry(T0_MS, 1, [(OP_COMMAND, 0, [b"SET", b"k", b"v"])]))
    original.apply_entry(encode_entry(T0_MS, 2, [(OP_COMMAND, 0, [b"DEL", b"k"])]))
    restored = restore(original)
    watches = [[0, b"k", original.key_version(0, b"k")]]
    exec_entry = encode_entry(T0_MS + 1, 3, [(OP_EXEC, 0, watches, [[b"SET", b"k", b"x"]])])
    assert replay(restored, [("e", exec_entry)]) == replay(original, [("e", exec_entry)])
    assert digest(restored) == digest(original)

"""StateMachine mechanics: entry format, at-most-once entry ids, monotonic time, EXEC, expiry."""
import spinelraft.statemachine.commands  # noqa: F401
from spinelraft.replies import NULL_ARRAY, OK, ErrorReply
from spinelraft.statemachine.machine import (
    OP_COMMAND,
    OP_EXEC,
    OP_EXPIRE,
    StateMachine,
    encode_entry,
)
from spinelraft.statemachine.snapshot import digest, iter_records, load_records


def set_op(key, value):
    return (OP_COMMAND, 0, (b"SET", key, value))


def test_an_entry_id_is_applied_once():
    machine = StateMachine()
    entry = encode_entry(1000, 7, [(OP_COMMAND, 0, (b"INCR", b"n"))], b"node-1:boot:1")
    assert machine.apply_entry(entry) == [1]
    replies = machine.apply_entry(entry)
    assert isinstance(replies[0], ErrorReply) and "duplicate" in replies[0].message
    assert machine.read(0, (b"GET", b"n"), 1000, 0) == b"1"


def test_entry_ids_survive_a_snapshot():
    machine = StateMachine()
    entry = encode_entry(1000, 7, [(OP_COMMAND, 0, (b"INCR", b"n"))], b"id-1")
    machine.apply_entry(entry)
    restored = load_records(iter_records(machine))
    assert digest(restored) == digest(machine)
    assert isinstance(restored.apply_entry(entry)[0], ErrorReply)


def test_time_never_runs_backwards():
    machine = StateMachine()
    machine.apply_entry(encode_entry(10_000, 1, [(OP_COMMAND, 0, (b"SET", b"k", b"v", b"PX", b"100"))]))
    # a later entry stamped earlier (a new leader with a slower clock) still sees time 10000+
    machine.apply_entry(encode_entry(5_000, 2, [set_op(b"other", b"x")]))
    assert machine.time_ms == 10_000
    machine.apply_entry(encode_entry(10_100, 3, [(OP_EXPIRE, 0, 200)]))
    assert b"k" not in machine.dbs[0].data


def test_exec_with_watch_is_decided_inside_apply():
    machine = StateMachine()
    machine.apply_entry(encode_entry(1, 1, [set_op(b"k", b"1")]))
    version = machine.key_version(0, b"k")
    watches = [(0, b"k", version)]
    ok = machine.apply_entry(encode_entry(2, 2, [(OP_EXEC, 0, watches, [(b"SET", b"k", b"2")])]))
    assert ok == [[OK]]
    # the EXEC itself changed k: the same watch now fails
    failed = machine.apply_entry(encode_entry(3, 3, [(OP_EXEC, 0, watches, [(b"SET", b"k", b"3")])]))
    assert failed == [NULL_ARRAY]
    assert machine.read(0, (b"GET", b"k"), 3, 0) == b"2"


def test_a_write_that_changes_nothing_does_not_break_a_watch():
    machine = StateMachine()
    version = machine.key_version(0, b"w")
    machine.apply_entry(encode_entry(1, 1, [(OP_COMMAND, 0, (b"LPOP", b"w"))]))
    machine.apply_entry(encode_entry(2, 2, [(OP_COMMAND, 0, (b"DEL", b"w"))]))
    assert machine.key_version(0, b"w") == version
    watches = [(0, b"w", version)]
    assert machine.apply_entry(encode_entry(3, 3, [(OP_EXEC, 0, watches, [(b"GET", b"w")])])) == [[None]]
    machine.apply_entry(encode_entry(4, 4, [(OP_COMMAND, 0, (b"RPUSH", b"w", b"x"))]))
    assert machine.key_version(0, b"w") != version

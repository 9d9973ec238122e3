"""Blocking commands, data side (statemachine/commands/blocking.py) and the node's helpers that
need no server (node/blocking.py: which keys an entry wrote, the per-key retry forms).

Applied from the log a blocking command is its non-blocking form; the expectations are Redis
7.0.15's (timeouts and error order checked with redis-cli, the empty replies with MULTI).
"""
import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.errors import CommandError
from spinelraft.node.blocking import COMMANDS as WAITS
from spinelraft.node.blocking import written_keys
from spinelraft.replies import NULL_ARRAY, Double, ErrorReply
from spinelraft.statemachine.commands.blocking import parse_timeout_ms
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC, encode_entry

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_FLOAT = "ERR timeout is not a float or out of range"
NEGATIVE = "ERR timeout is negative"
NUMKEYS = "ERR numkeys should be greater than 0"
COUNT = "ERR count should be greater than 0"


# -- registration ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, arity, flags, keys, categories",
    [
        ("blpop", -3, {"write", "noscript", "blocking"}, (1, -2, 1),
         {"@write", "@list", "@slow", "@blocking"}),
        ("brpop", -3, {"write", "noscript", "blocking"}, (1, -2, 1),
         {"@write", "@list", "@slow", "@blocking"}),
        ("blmove", 6, {"write", "denyoom", "noscript", "blocking"}, (1, 2, 1),
         {"@write", "@list", "@slow", "@blocking"}),
        ("brpoplpush", 4, {"write", "denyoom", "noscript", "blocking"}, (1, 2, 1),
         {"@write", "@list", "@slow", "@blocking"}),
        ("blmpop", -5, {"write", "blocking", "movablekeys"}, (0, 0, 0),
         {"@write", "@list", "@slow", "@blocking"}),
        ("bzpopmin", -3, {"write", "noscript", "blocking", "fast"}, (1, -2, 1),
         {"@write", "@sortedset", "@fast", "@blocking"}),
        ("bzpopmax", -3, {"write", "noscript", "blocking", "fast"}, (1, -2, 1),
         {"@write", "@sortedset", "@fast", "@blocking"}),
        ("bzmpop", -5, {"write", "blocking", "movablekeys"}, (0, 0, 0),
         {"@write", "@sortedset", "@slow", "@blocking"}),
    ],
)
def test_command_table_entries(name, arity, flags, keys, categories):
    spec = COMMANDS[name.encode()]
    assert spec.kind == "data" and spec.is_write
    assert spec.arity == arity
    assert spec.flags == frozenset(flags)
    assert (spec.first_key, spec.last_key, spec.key_step) == keys
    assert set(spec.acl_categories) == categories


def test_key_extraction():
    assert COMMANDS[b"blpop"].keys((b"BLPOP", b"a", b"b", b"0")) == [b"a", b"b"]
    assert COMMANDS[b"blmove"].keys((b"BLMOVE", b"s", b"d", b"LEFT", b"LEFT", b"0")) == [b"s", b"d"]
    assert COMMANDS[b"blmpop"].keys((b"BLMPOP", b"0", b"2", b"a", b"b", b"LEFT")) == [b"a", b"b"]
    assert COMMANDS[b"bzmpop"].keys((b"BZMPOP", b"0", b"x", b"a", b"MIN")) == []


# -- the timeout ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, milliseconds",
    [
        (b"0", 0), (b"1", 1000), (b"+1", 1000), (b".5", 500), (b"5.", 5000), (b"0.1", 100),
        (b"1e-4", 1),  # ceil: a positive timeout never becomes "forever"
        (b"-0.0001", 0),  # ceil(-0.1) is 0: forever, as Redis
        (b"-1e-400", 0),
        (b"-0.001", 0),  # the long double nearest 0.001 is below it: ceil(-0.99...) is 0
        (b"1e-400", 1), (b"1e-4950", 1),  # long double range, not double
        (b"0x10", 16000), (b"0x1p-3", 125),  # strtold reads hexadecimal
        (b"0e99999999999", 0),
        (b"1e15", 10**18),
        (b"9223372036854775.807", 2**63 - 1),
    ],
)
def test_timeout_values(raw, milliseconds):
    assert parse_timeout_ms(raw) == milliseconds


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"abc", NOT_FLOAT), (b"", NOT_FLOAT), (b" 1", NOT_FLOAT), (b"1 ", NOT_FLOAT),
        (b"nan", NOT_FLOAT), (b"1e5000", NOT_FLOAT), (b"1e-5000", NOT_FLOAT),
        (b"1e-4952", NOT_FLOAT), (b"1" * 5000, NOT_FLOAT), (b"1" * 5120, NOT_FLOAT),
        (b"1e" + b"9" * 5000, NOT_FLOAT), (b"0x", NOT_FLOAT), (b"infinit", NOT_FLOAT),
        (b"-1", NEGATIVE), (b"-0.0011", NEGATIVE), (b"inf", NEGATIVE), (b"-inf", NEGATIVE),
        (b"Infinity", NEGATIVE), (b"1e30", NEGATIVE), (b"1e4000", NEGATIVE), (b"1e16", NEGATIVE),
        (b"9223372036854775807", NEGATIVE), (b"9223372036854775.808", NEGATIVE),
        (b"9223372036854775.8075", NEGATIVE),
    ],
)
def test_timeout_errors(raw, message):
    with pytest.raises(CommandError) as raised:
        parse_timeout_ms(raw)
    assert raised.value.message == message


# -- BLPOP BRPOP ----------------------------------------------------------------------------------
def test_blpop_pops_from_the_first_non_empty_list(sm):
    sm.run("RPUSH", "b", "1", "2")
    assert sm.run("BLPOP", "a", "b", "0") == [b"b", b"1"]
    assert sm.run("BRPOP", "a", "b", "0") == [b"b", b"2"]
    assert sm.run("EXISTS", "b") == 0  # the emptied list is deleted


def test_blpop_on_empty_keys_is_the_null_array(sm):
    assert sm.run("BLPOP", "a", "b", "1") is NULL_ARRAY
    assert sm.run("BRPOP", "a", "0") is NULL_ARRAY


def test_blpop_checks_the_timeout_before_anything(sm):
    sm.run("RPUSH", "a", "1")
    assert sm.error("BLPOP", "a", "x") == NOT_FLOAT
    assert sm.error("BLPOP", "a", "-1") == NEGATIVE
    assert sm.run("LLEN", "a") == 1


def test_blpop_wrong_type_where_redis_meets_it(sm):
    sm.run("SET", "s", "x")
    sm.run("RPUSH", "l", "v")
    assert sm.error("BLPOP", "missing", "s", "0") == WRONGTYPE
    assert sm.run("BLPOP", "l", "s", "0") == [b"l", b"v"]  # the list comes first


# -- BLMPOP ---------------------------------------------------------------------------------------
def test_blmpop_replies(sm):
    sm.run("RPUSH", "l", "x", "y", "z")
    assert sm.run("BLMPOP", "0", "2", "q", "l", "RIGHT", "COUNT", "2") == [b"l", [b"z", b"y"]]
    assert sm.run("BLMPOP", "0", "1", "l", "LEFT", "COUNT", "9") == [b"l", [b"x"]]
    assert sm.run("BLMPOP", "0.5", "1", "l", "left") is NULL_ARRAY


@pytest.mark.parametrize(
    "args, message",
    [
        (("abc", "0", "k", "LEFT"), NUMKEYS),  # numkeys, side and COUNT before the timeout
        (("abc", "1", "k", "MIDDLE"), SYNTAX),
        (("abc", "1", "k", "LEFT"), NOT_FLOAT),
        (("0", "5", "k", "LEFT"), SYNTAX),
        (("abc", "1", "k", "LEFT", "COUNT", "0"), COUNT),
        (("-1", "1", "k", "LEFT", "COUNT", "x"), COUNT),
        (("abc", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"), SYNTAX),
        (("-1", "1", "k", "LEFT"), NEGATIVE),
    ],
)
def test_blmpop_error_order(sm, args, message):
    assert sm.error("BLMPOP", *args) == message


# -- BLMOVE BRPOPLPUSH ----------------------------------------------------------------------------
def test_blmove_moves_or_answers_nil(sm):
    assert sm.run("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0") is None
    sm.run("RPUSH", "src", "a", "b")
    assert sm.run("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0") == b"a"
    assert sm.run("BRPOPLPUSH", "src", "dst", "0") == b"b"
    assert sm.run("LRANGE", "dst", "0", "-1") == [b"b", b"a"]
    assert sm.run("EXISTS", "src") == 0


def test_blmove_errors(sm):
    assert sm.error("BLMOVE", "a", "b", "UP", "LEFT", "x") == SYNTAX
    assert sm.error("BLMOVE", "a", "b", "LEFT", "UP", "x") == SYNTAX
    assert sm.error("BLMOVE", "a", "b", "LEFT", "LEFT", "x") == NOT_FLOAT
    sm.run("SET", "s", "x")
    sm.run("RPUSH", "l", "v")
    assert sm.error("BLMOVE", "s", "b", "LEFT", "LEFT", "0") == WRONGTYPE
    assert sm.error("BLMOVE", "l", "s", "LEFT", "LEFT", "0") == WRONGTYPE
    assert sm.run("BRPOPLPUSH", "missing", "s", "0") is None  # the destination is not looked at
    assert sm.run("LLEN", "l") == 1


# -- BZPOPMIN BZPOPMAX BZMPOP ---------------------------------------------------------------------
def test_bzpop_replies(sm):
    sm.run("ZADD", "z", "1.5", "a", "2", "b", "3", "c")
    assert sm.run("BZPOPMIN", "q", "z", "0") == [b"z", b"a", Double(1.5)]
    assert sm.run("BZPOPMAX", "z", "0") == [b"z", b"c", Double(3.0)]
    popped = sm.run("BZMPOP", "0", "2", "q", "z", "MAX", "COUNT", "5")
    assert popped == [b"z", [[b"b", Double(2.0)]]]
    assert sm.run("EXISTS", "z") == 0
    assert sm.run("BZPOPMIN", "z", "0.1") is NULL_ARRAY
    assert sm.run("BZMPOP", "1", "1", "z", "min") is NULL_ARRAY


def test_bzpop_errors(sm):
    sm.run("SET", "s", "x")
    assert sm.error("BZPOPMIN", "s", "0") == WRONGTYPE
    assert sm.error("BZMPOP", "0", "1", "s", "MIN") == WRONGTYPE
    assert sm.error("BZPOPMAX", "s", "nan") == NOT_FLOAT
    assert sm.error("BZMPOP", "abc", "0", "k", "MIN") == NUMKEYS
    assert sm.error("BZMPOP", "abc", "1", "k", "MID") == SYNTAX
    assert sm.error("BZMPOP", "abc", "1", "k", "MIN") == NOT_FLOAT
    assert sm.error("BZMPOP", "x", "1", "k", "MIN", "COUNT", "0") == COUNT


# -- inside MULTI: the non-blocking form ----------------------------------------------------------
def test_in_exec_they_answer_at_once(sm):
    replies = sm.exec([
        ("BLPOP", "l", "0"), ("BLMOVE", "l", "d", "LEFT", "LEFT", "0"),
        ("BRPOPLPUSH", "l", "d", "0"),
        ("BZPOPMIN", "z", "0"), ("BLMPOP", "0", "1", "l", "LEFT"), ("BZMPOP", "0", "1", "z", "MIN"),
        ("RPUSH", "l", "v"), ("BRPOP", "l", "0"),
    ])
    assert replies == [NULL_ARRAY, None, None, NULL_ARRAY, NULL_ARRAY, NULL_ARRAY, 1, [b"l", b"v"]]


# -- node side: what wakes waiters, and how they retry ---------------------------------------------
def _entry(*ops):
    return encode_entry(1, 1, list(ops))


def test_written_keys_of_commands():
    ops = [(OP_COMMAND, 0, (b"RPUSH", b"a", b"1")),
           (OP_COMMAND, 3, (b"LMOVE", b"s", b"d", b"LEFT", b"LEFT")),
           (OP_COMMAND, 0, (b"GET", b"a")), (OP_COMMAND, 0, (b"SET", b"e", b"x"))]
    replies = [1, b"1", b"1", ErrorReply("ERR x")]
    assert written_keys(_entry(*ops), replies) == [(0, b"a"), (3, b"s"), (3, b"d")]


def test_blocking_commands_that_found_nothing_wake_nobody():
    ops = [(OP_COMMAND, 0, (b"BLPOP", b"a", b"0")),
           (OP_COMMAND, 0, (b"BLMOVE", b"a", b"b", b"LEFT", b"LEFT", b"0")),
           (OP_COMMAND, 0, (b"BLPOP", b"c", b"0"))]
    assert written_keys(_entry(*ops), [NULL_ARRAY, None, [b"c", b"v"]]) == [(0, b"c")]


def test_written_keys_of_exec_follow_select():
    commands = [(b"LPUSH", b"a", b"1"), (b"SELECT", b"2"), (b"ZADD", b"z", b"1", b"m")]
    op = (OP_EXEC, 0, [], commands)
    assert written_keys(_entry(op), [[1, b"OK", 1]]) == [(0, b"a"), (2, b"z")]
    assert written_keys(_entry(op), [NULL_ARRAY]) == []  # a WATCHed key changed


def test_written_keys_of_move_and_copy_reach_the_other_db():
    ops = [(OP_COMMAND, 0, (b"MOVE", b"k", b"5")),
           (OP_COMMAND, 0, (b"COPY", b"a", b"b", b"DB", b"7")),
           (OP_COMMAND, 0, (b"MOVE", b"x", b"5"))]
    assert written_keys(_entry(*ops), [1, 1, 0]) == [
        (0, b"k"), (5, b"k"), (0, b"a"), (0, b"b"), (7, b"b"), (0, b"x")]


@pytest.mark.parametrize(
    "argv, keys, timeout, retry_key, retry",
    [
        ((b"BLPOP", b"a", b"b", b"a", b"1.5"), [b"a", b"b", b"a"], 1500, b"b",
         (b"BLPOP", b"b", b"1.5")),
        ((b"BZPOPMAX", b"z", b"0"), [b"z"], 0, b"z", (b"BZPOPMAX", b"z", b"0")),
        ((b"BLMOVE", b"s", b"d", b"LEFT", b"RIGHT", b"2"), [b"s"], 2000, b"s",
         (b"BLMOVE", b"s", b"d", b"LEFT", b"RIGHT", b"2")),
        ((b"BRPOPLPUSH", b"s", b"d", b"0.01"), [b"s"], 10, b"s",
         (b"BRPOPLPUSH", b"s", b"d", b"0.01")),
        ((b"BLMPOP", b"3", b"2", b"a", b"b", b"LEFT", b"COUNT", b"2"), [b"a", b"b"], 3000, b"b",
         (b"BLMPOP", b"3", b"1", b"b", b"LEFT", b"COUNT", b"2")),
        ((b"XREAD", b"COUNT", b"2", b"BLOCK", b"100", b"STREAMS", b"s", b"t", b"0-1", b"5-5"),
         [b"s", b"t"], 100, b"t",
         (b"XREAD", b"COUNT", b"2", b"BLOCK", b"100", b"STREAMS", b"t", b"5-5")),
        ((b"XREADGROUP", b"GROUP", b"g", b"c", b"NOACK", b"BLOCK", b"0", b"STREAMS", b"s", b">"),
         [b"s"], 0, b"s",
         (b"XREADGROUP", b"GROUP", b"g", b"c", b"NOACK", b"BLOCK", b"0", b"STREAMS", b"s", b">")),
    ],
)
def test_how_each_command_waits(argv, keys, timeout, retry_key, retry):
    wait = WAITS[argv[0].lower().decode()]
    assert wait.keys(argv) == keys
    assert wait.timeout(argv) == timeout
    assert wait.retry(argv, retry_key) == retry


def test_consumer_groups_do_not_compete():
    argv = (b"XREADGROUP", b"GROUP", b"g1", b"c", b"BLOCK", b"0", b"STREAMS", b"group", b">")
    assert WAITS["xreadgroup"].channel(argv) == b"g1"
    assert WAITS["blpop"].channel((b"BLPOP", b"k", b"0")) is None


def test_commands_that_do_not_block():
    assert WAITS["xread"].timeout((b"XREAD", b"STREAMS", b"s", b"0")) is None
    assert WAITS["xread"].timeout((b"XREAD", b"BLOCK", b"-1", b"STREAMS", b"s", b"0")) is None
    assert WAITS["blpop"].timeout((b"BLPOP", b"a", b"x")) is None  # the machine answers the error

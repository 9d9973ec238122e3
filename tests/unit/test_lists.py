"""List family: expectations checked against Redis 7.0.15 (RESP2 reply shapes)."""
from collections import deque

import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.replies import NULL_ARRAY, OK

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_POSITIVE = "ERR value is out of range, must be positive"
RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
INT64_MIN = "-9223372036854775808"
INT64_MAX = "9223372036854775807"


def items(sm, key):
    return sm.run("LRANGE", key, 0, -1)


def exists(sm, key):
    return sm.run("EXISTS", key) == 1


@pytest.fixture
def string_key(sm):
    sm.run("SET", "s", "x")
    return "s"


# -- registration ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, arity, flags, keys",
    [
        ("lpush", -3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("rpush", -3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("lpushx", -3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("rpushx", -3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("lpop", -2, {"write", "fast"}, (1, 1, 1)),
        ("rpop", -2, {"write", "fast"}, (1, 1, 1)),
        ("llen", 2, {"readonly", "fast"}, (1, 1, 1)),
        ("lindex", 3, {"readonly"}, (1, 1, 1)),
        ("linsert", 5, {"write", "denyoom"}, (1, 1, 1)),
        ("lrange", 4, {"readonly"}, (1, 1, 1)),
        ("lrem", 4, {"write"}, (1, 1, 1)),
        ("lset", 4, {"write", "denyoom"}, (1, 1, 1)),
        ("ltrim", 4, {"write"}, (1, 1, 1)),
        ("lpos", -3, {"readonly"}, (1, 1, 1)),
        ("lmove", 5, {"write", "denyoom"}, (1, 2, 1)),
        ("rpoplpush", 3, {"write", "denyoom"}, (1, 2, 1)),
        ("lmpop", -4, {"write"}, (0, 0, 0)),
    ],
)
def test_command_table_entries(name, arity, flags, keys):
    spec = COMMANDS[name.encode()]
    assert spec.arity == arity
    assert spec.flags == frozenset(flags)
    assert (spec.first_key, spec.last_key, spec.key_step) == keys
    assert spec.group == "list"
    assert "@list" in spec.acl_categories


def test_lmpop_key_extraction_uses_numkeys():
    spec = COMMANDS[b"lmpop"]
    assert spec.keys((b"LMPOP", b"2", b"a", b"b", b"LEFT")) == [b"a", b"b"]
    assert spec.keys((b"LMPOP", b"0", b"a", b"LEFT")) == []
    assert spec.keys((b"LMPOP", b"x", b"a", b"LEFT")) == []


@pytest.mark.parametrize(
    "argv",
    [
        ("LPUSH", "k"),
        ("RPUSHX", "k"),
        ("LPOP",),
        ("RPOP", "k", "1", "2"),
        ("LPOP", "k", "1", "2"),
        ("LLEN",),
        ("LINDEX", "k"),
        ("LRANGE", "k", "0"),
        ("LINSERT", "k", "BEFORE", "p"),
        ("LSET", "k", "0"),
        ("LTRIM", "k", "0"),
        ("LREM", "k", "0"),
        ("LPOS", "k"),
        ("LMOVE", "a", "b", "LEFT"),
        ("RPOPLPUSH", "a"),
        ("LMPOP", "1", "k"),
    ],
)
def test_wrong_arity(sm, argv):
    assert sm.error(*argv) == "ERR wrong number of arguments for '%s' command" % argv[0].lower()


def test_wrong_type_everywhere(sm, string_key):
    for argv in [
        ("LPUSH", "s", "a"),
        ("RPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"),
        ("LPOP", "s"),
        ("RPOP", "s", "0"),
        ("LLEN", "s"),
        ("LINDEX", "s", "x"),  # the key is checked before the index
        ("LRANGE", "s", "0", "1"),
        ("LINSERT", "s", "BEFORE", "x", "y"),
        ("LSET", "s", "x", "v"),
        ("LTRIM", "s", "0", "1"),
        ("LREM", "s", "0", "a"),
        ("LPOS", "s", "x", "COUNT", "1"),
        ("LMOVE", "s", "d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "s", "d"),
        ("LMPOP", "1", "s", "LEFT"),
    ]:
        assert sm.error(*argv) == WRONGTYPE, argv
    assert sm.run("GET", "s") == b"x"
    assert not exists(sm, "d")


# -- pushes ---------------------------------------------------------------------------------------
def test_push_order_and_lengths(sm):
    assert sm.run("LPUSH", "k", "a", "b") == 2
    assert sm.run("RPUSH", "k", "c", "d") == 4
    assert items(sm, "k") == [b"b", b"a", b"c", b"d"]
    assert sm.run("TYPE", "k").text == "list"


def test_pushx_only_on_existing_lists(sm):
    assert sm.run("LPUSHX", "k", "a") == 0
    assert sm.run("RPUSHX", "k", "a", "b") == 0
    assert not exists(sm, "k")
    sm.run("RPUSH", "k", "m")
    assert sm.run("RPUSHX", "k", "e", "f") == 3
    assert sm.run("LPUSHX", "k", "g", "h") == 5
    assert items(sm, "k") == [b"h", b"g", b"m", b"e", b"f"]


def test_push_keeps_ttl_and_replaces_expired_key(sm):
    sm.run("RPUSH", "k", "a")
    sm.machine.dbs[0].set_expire(b"k", sm.now_ms + 100)
    sm.run("RPUSH", "k", "b")
    assert sm.machine.dbs[0].expires[b"k"] == sm.now_ms + 100
    sm.now_ms += 100
    assert sm.run("LLEN", "k") == 0
    assert sm.run("RPUSH", "k", "c") == 1
    assert b"k" not in sm.machine.dbs[0].expires
    assert items(sm, "k") == [b"c"]


def test_binary_elements(sm):
    sm.run("RPUSH", "k", b"\x00\xff", b"")
    assert items(sm, "k") == [b"\x00\xff", b""]
    assert sm.run("LPOS", "k", b"") == 1


# -- pops -----------------------------------------------------------------------------------------
def test_pop_without_count(sm):
    assert sm.run("LPOP", "missing") is None
    sm.run("RPUSH", "k", "a", "b", "c")
    assert sm.run("LPOP", "k") == b"a"
    assert sm.run("RPOP", "k") == b"c"
    assert sm.run("RPOP", "k") == b"b"
    assert not exists(sm, "k")


def test_pop_with_count_reply_shapes(sm):
    assert sm.run("LPOP", "missing", "2") is NULL_ARRAY
    assert sm.run("RPOP", "missing", "0") is NULL_ARRAY
    sm.run("RPUSH", "k", "a", "b", "c", "d")
    assert sm.run("LPOP", "k", "0") == []
    assert sm.run("LPOP", "k", "1") == [b"a"]
    assert sm.run("RPOP", "k", "2") == [b"d", b"c"]
    assert sm.run("RPOP", "k", INT64_MAX) == [b"b"]
    assert not exists(sm, "k")


def test_pop_count_errors_come_before_type_check(sm, string_key):
    for count in ("-1", "x", "9223372036854775808", "1.5"):
        assert sm.error("LPOP", "missing", count) == NOT_POSITIVE
        assert sm.error("RPOP", "s", count) == NOT_POSITIVE
    assert sm.error("LPOP", "s", "0") == WRONGTYPE


# -- LLEN LINDEX LRANGE ---------------------------------------------------------------------------
def test_llen(sm):
    assert sm.run("LLEN", "missing") == 0
    sm.run("RPUSH", "k", "a", "b")
    assert sm.run("LLEN", "k") == 2


def test_lindex(sm):
    sm.run("RPUSH", "k", "a", "b", "c")
    assert sm.run("LINDEX", "k", "0") == b"a"
    assert sm.run("LINDEX", "k", "-1") == b"c"
    assert sm.run("LINDEX", "k", "-3") == b"a"
    assert sm.run("LINDEX", "k", "3") is None
    assert sm.run("LINDEX", "k", "-4") is None
    assert sm.run("LINDEX", "k", INT64_MIN) is None
    assert sm.error("LINDEX", "k", "x") == NOT_INTEGER
    assert sm.error("LINDEX", "k", "9223372036854775808") == NOT_INTEGER
    # A missing key answers nil before the index is even parsed.
    assert sm.run("LINDEX", "missing", "x") is None


def test_lrange(sm):
    sm.run("RPUSH", "k", "a", "b", "c", "d", "e")
    assert sm.run("LRANGE", "k", "-100", "100") == [b"a", b"b", b"c", b"d", b"e"]
    assert sm.run("LRANGE", "k", "1", "2") == [b"b", b"c"]
    assert sm.run("LRANGE", "k", "-2", "-1") == [b"d", b"e"]
    assert sm.run("LRANGE", "k", "3", "1") == []
    assert sm.run("LRANGE", "k", "5", "10") == []
    assert sm.run("LRANGE", "k", "0", "0") == [b"a"]
    assert sm.run("LRANGE", "k", INT64_MIN, INT64_MAX) == [b"a", b"b", b"c", b"d", b"e"]
    assert sm.run("LRANGE", "k", "1", INT64_MIN) == []
    assert sm.run("LRANGE", "missing", "0", "1") == []


def test_lrange_parses_indexes_before_the_key(sm, string_key):
    assert sm.error("LRANGE", "missing", "x", "1") == NOT_INTEGER
    assert sm.error("LRANGE", "s", "0", "x") == NOT_INTEGER
    assert sm.error("LRANGE", "s", "0", "1") == WRONGTYPE


def test_lrange_from_either_end_of_a_large_list(sm):
    sm.run("RPUSH", "k", *range(1000))
    assert sm.run("LRANGE", "k", "2", "4") == [b"2", b"3", b"4"]
    assert sm.run("LRANGE", "k", "995", "2000") == [b"995", b"996", b"997", b"998", b"999"]
    assert sm.run("LRANGE", "k", "-3", "-2") == [b"997", b"998"]
    assert sm.run("LRANGE", "k", "400", "599") == [str(n).encode() for n in range(400, 600)]


# -- LINSERT LSET ---------------------------------------------------------------------------------
def test_linsert(sm):
    assert sm.run("LINSERT", "missing", "BEFORE", "x", "y") == 0
    assert not exists(sm, "missing")
    sm.run("RPUSH", "k", "x", "p", "x")
    assert sm.run("LINSERT", "k", "before", "x", "y") == 4
    assert sm.run("LINSERT", "k", "AFTER", "x", "z") == 5
    assert sm.run("LINSERT", "k", "AFTER", "nope", "z") == -1
    assert items(sm, "k") == [b"y", b"x", b"z", b"p", b"x"]
    assert sm.run("LINSERT", "k", "After", "p", "q") == 6
    assert items(sm, "k") == [b"y", b"x", b"z", b"p", b"q", b"x"]


def test_linsert_syntax_error_comes_first(sm, string_key):
    sm.run("RPUSH", "k", "x")
    assert sm.error("LINSERT", "k", "middle", "x", "z") == SYNTAX
    assert sm.error("LINSERT", "missing", "middle", "x", "z") == SYNTAX
    assert sm.error("LINSERT", "s", "middle", "x", "z") == SYNTAX
    assert items(sm, "k") == [b"x"]


def test_lset(sm, string_key):
    sm.run("RPUSH", "k", "a", "b", "c")
    assert sm.run("LSET", "k", "-3", "q") == OK
    assert sm.run("LSET", "k", "1", "r") == OK
    assert items(sm, "k") == [b"q", b"r", b"c"]
    assert sm.error("LSET", "k", "3", "v") == "ERR index out of range"
    assert sm.error("LSET", "k", "-4", "v") == "ERR index out of range"
    assert sm.error("LSET", "k", "x", "v") == NOT_INTEGER
    # The key is checked before the index.
    assert sm.error("LSET", "missing", "x", "v") == "ERR no such key"
    assert sm.error("LSET", "missing", "0", "v") == "ERR no such key"
    assert sm.error("LSET", "s", "x", "v") == WRONGTYPE
    assert items(sm, "k") == [b"q", b"r", b"c"]


# -- LTRIM ----------------------------------------------------------------------------------------
def test_ltrim(sm, string_key):
    sm.run("RPUSH", "k", "a", "b", "c", "d", "e")
    assert sm.run("LTRIM", "k", "1", "-2") == OK
    assert items(sm, "k") == [b"b", b"c", b"d"]
    assert sm.run("LTRIM", "k", INT64_MIN, INT64_MAX) == OK
    assert items(sm, "k") == [b"b", b"c", b"d"]
    assert sm.run("LTRIM", "k", "2", "1") == OK
    assert not exists(sm, "k")
    assert sm.run("LTRIM", "missing", "0", "1") == OK
    assert sm.error("LTRIM", "missing", "x", "1") == NOT_INTEGER
    assert sm.error("LTRIM", "s", "x", "1") == NOT_INTEGER
    assert sm.error("LTRIM", "s", "0", "1") == WRONGTYPE


@pytest.mark.parametrize(
    "start, end",
    [
        (0, 0), (0, -1), (10, 20), (-5, -1), (1, 998),
        (500, 500), (990, 5000), (999, 999), (-1000, 3),
    ],
)
def test_ltrim_matches_a_slice_on_a_large_list(sm, start, end):
    sm.run("RPUSH", "k", *range(1000))
    sm.run("LTRIM", "k", start, end)
    expected = [str(n).encode() for n in range(1000)]
    normalized_end = end if end >= 0 else 1000 + end
    normalized_start = max(start if start >= 0 else 1000 + start, 0)
    assert items(sm, "k") == expected[normalized_start:normalized_end + 1]


def test_ltrim_out_of_range_deletes_the_key(sm):
    sm.run("RPUSH", "k", "a", "b")
    assert sm.run("LTRIM", "k", "5", "10") == OK
    assert not exists(sm, "k")


# -- LREM -----------------------------------------------------------------------------------------
def test_lrem_directions(sm):
    sm.run("RPUSH", "k", "a", "b", "a", "c", "a")
    assert sm.run("LREM", "k", "-2", "a") == 2
    assert items(sm, "k") == [b"a", b"b", b"c"]
    assert sm.run("LREM", "k", "1", "b") == 1
    assert sm.run("LREM", "k", "1", "zzz") == 0
    assert items(sm, "k") == [b"a", b"c"]
    assert sm.run("LREM", "k", "0", "a") == 1
    assert items(sm, "k") == [b"c"]
    assert sm.run("LREM", "k", INT64_MIN, "c") == 1
    assert not exists(sm, "k")


def test_lrem_errors_and_missing(sm, string_key):
    assert sm.run("LREM", "missing", "0", "a") == 0
    assert sm.error("LREM", "missing", "x", "a") == NOT_INTEGER
    assert sm.error("LREM", "s", "x", "a") == NOT_INTEGER
    assert sm.error("LREM", "s", "0", "a") == WRONGTYPE


@pytest.mark.parametrize("count", [0, 1, 3, 17, 100, -1, -3, -17, -100, 1000, -1000])
def test_lrem_matches_a_reference_on_many_matches(sm, count):
    elements = [b"x" if n % 3 == 0 else str(n).encode() for n in range(400)]
    sm.run("RPUSH", "k", *elements)
    expected = list(elements)
    limit = abs(count) or len(expected)
    order = range(len(expected) - 1, -1, -1) if count < 0 else range(len(expected))
    doomed = [index for index in order if expected[index] == b"x"][:limit]
    for index in sorted(doomed, reverse=True):
        del expected[index]
    assert sm.run("LREM", "k", count, "x") == len(doomed)
    assert items(sm, "k") == expected


# -- LPOS -----------------------------------------------------------------------------------------
def test_lpos_basic_and_rank(sm):
    sm.run("RPUSH", "k", "a", "b", "a", "c", "a")
    assert sm.run("LPOS", "k", "a") == 0
    assert sm.run("LPOS", "k", "c") == 3
    assert sm.run("LPOS", "k", "z") is None
    assert sm.run("LPOS", "k", "a", "RANK", "2") == 2
    assert sm.run("LPOS", "k", "a", "RANK", "-1") == 4
    assert sm.run("LPOS", "k", "a", "rank", "-3") == 0
    assert sm.run("LPOS", "k", "a", "RANK", "4") is None
    assert sm.run("LPOS", "k", "a", "RANK", INT64_MAX) is None


def test_lpos_count_and_maxlen(sm):
    sm.run("RPUSH", "k", "a", "b", "a", "c", "a")
    assert sm.run("LPOS", "k", "a", "COUNT", "0") == [0, 2, 4]
    assert sm.run("LPOS", "k", "a", "RANK", "-1", "COUNT", "0") == [4, 2, 0]
    assert sm.run("LPOS", "k", "a", "RANK", "-2", "COUNT", "2") == [2, 0]
    assert sm.run("LPOS", "k", "a", "COUNT", "2", "RANK", "2") == [2, 4]
    assert sm.run("LPOS", "k", "a", "RANK", "3", "COUNT", "1") == [4]
    assert sm.run("LPOS", "k", "a", "RANK", "4", "COUNT", "1") == []
    assert sm.run("LPOS", "k", "a", "RANK", "2", "COUNT", "0", "MAXLEN", "3") == [2]
    assert sm.run("LPOS", "k", "a", "RANK", "2", "COUNT", "0", "MAXLEN", "0") == [2, 4]
    assert sm.run("LPOS", "k", "a", "RANK", "1", "COUNT", "0", "MAXLEN", "1") == [0]
    assert sm.run("LPOS", "k", "a", "RANK", "-2", "COUNT", "0", "MAXLEN", "3") == [2]
    assert sm.run("LPOS", "k", "a", "RANK", "-1", "MAXLEN", "1") == 4
    assert sm.run("LPOS", "k", "b", "MAXLEN", "1") is None
    assert sm.run("LPOS", "k", "z", "COUNT", "0") == []
    # Repeated options: the last one wins.
    assert sm.run("LPOS", "k", "a", "COUNT", "0", "RANK", "1", "COUNT", "1") == [0]


def test_lpos_missing_key(sm):
    assert sm.run("LPOS", "missing", "x") is None
    assert sm.run("LPOS", "missing", "x", "COUNT", "0") == []
    assert sm.run("LPOS", "missing", "x", "COUNT", "1") == []


def test_lpos_rank_int64_min_behaves_like_redis_7_0(sm):
    # -LONG_MIN overflows in Redis 7.0: every match from the tail, COUNT never reached.
    sm.run("RPUSH", "k", "a", "b", "a", "c", "a")
    assert sm.run("LPOS", "k", "a", "RANK", INT64_MIN) == 4
    assert sm.run("LPOS", "k", "a", "RANK", INT64_MIN, "COUNT", "1") == [4, 2, 0]
    assert sm.run("LPOS", "k", "a", "RANK", INT64_MIN, "MAXLEN", "3") == 4
    assert sm.run("LPOS", "k", "a", "RANK", "-9223372036854775807", "COUNT", "1") == []


def test_lpos_option_errors(sm, string_key):
    assert sm.error("LPOS", "missing", "x", "RANK", "0") == RANK_ZERO
    assert sm.error("LPOS", "s", "x", "RANK", "0") == RANK_ZERO  # options before the type
    assert sm.error("LPOS", "missing", "x", "RANK", "x") == NOT_INTEGER
    assert sm.error("LPOS", "missing", "x", "COUNT", "-1") == "ERR COUNT can't be negative"
    assert sm.error("LPOS", "missing", "x", "COUNT", "x") == "ERR COUNT can't be negative"
    assert sm.error("LPOS", "missing", "x", "COUNT", "9223372036854775808") == (
        "ERR COUNT can't be negative"
    )
    assert sm.error("LPOS", "missing", "x", "MAXLEN", "-1") == "ERR MAXLEN can't be negative"
    assert sm.error("LPOS", "missing", "x", "MAXLEN", "x") == "ERR MAXLEN can't be negative"
    assert sm.error("LPOS", "missing", "x", "foo") == SYNTAX
    assert sm.error("LPOS", "missing", "x", "RANK") == SYNTAX
    assert sm.error("LPOS", "missing", "x", "foo", "1") == SYNTAX
    # Errors are reported in argument order.
    assert sm.error("LPOS", "missing", "x", "COUNT", "-1", "RANK", "0") == (
        "ERR COUNT can't be negative"
    )


def test_lpos_on_a_large_list(sm):
    sm.run("RPUSH", "k", *[n % 10 for n in range(1000)])
    assert sm.run("LPOS", "k", "7", "RANK", "50") == 497
    assert sm.run("LPOS", "k", "7", "RANK", "-50") == 507
    assert sm.run("LPOS", "k", "7", "COUNT", "3", "MAXLEN", "20") == [7, 17]
    assert len(sm.run("LPOS", "k", "7", "COUNT", "0")) == 100


def reference_lpos(elements, element, rank, count, maxlen):
    order = list(range(len(elements)))
    if rank < 0:
        order.reverse()
    order = order[: maxlen or len(order)]
    found = [index for index in order if elements[index] == element][abs(rank) - 1:]
    return found[: count or len(found)]


@pytest.mark.parametrize("rank", [1, 2, 70, 150, -1, -2, -70, -150])
@pytest.mark.parametrize("count, maxlen", [(0, 0), (1, 0), (5, 0), (100, 0), (0, 250), (3, 400)])
def test_lpos_matches_a_reference_with_dense_matches(sm, rank, count, maxlen):
    # More matches than the deque.index() fast path handles, so the linear pass runs too.
    elements = [b"x" if n % 4 else b"y" for n in range(600)]
    sm.run("RPUSH", "k", *elements)
    expected = reference_lpos(elements, b"x", rank, count, maxlen)
    options = ("RANK", rank, "COUNT", count, "MAXLEN", maxlen)
    assert sm.run("LPOS", "k", "x", *options) == expected
    single = sm.run("LPOS", "k", "x", "RANK", rank, "MAXLEN", maxlen)
    assert single == (expected[0] if expected else None)


# -- LMOVE RPOPLPUSH ------------------------------------------------------------------------------
def test_lmove_between_lists(sm):
    sm.run("RPUSH", "src", "a", "b", "c")
    assert sm.run("LMOVE", "src", "dst", "LEFT", "RIGHT") == b"a"
    assert sm.run("LMOVE", "src", "dst", "right", "left") == b"c"
    assert items(sm, "src") == [b"b"]
    assert items(sm, "dst") == [b"c", b"a"]
    assert sm.run("LMOVE", "src", "dst", "Left", "Left") == b"b"
    assert not exists(sm, "src")
    assert items(sm, "dst") == [b"b", b"c", b"a"]
    assert sm.run("LMOVE", "src", "dst", "LEFT", "LEFT") is None


def test_lmove_same_list_rotates(sm):
    sm.run("RPUSH", "k", "a", "b", "c")
    assert sm.run("LMOVE", "k", "k", "LEFT", "RIGHT") == b"a"
    assert items(sm, "k") == [b"b", b"c", b"a"]
    assert sm.run("LMOVE", "k", "k", "RIGHT", "LEFT") == b"a"
    assert items(sm, "k") == [b"a", b"b", b"c"]
    sm.run("DEL", "k")
    sm.run("RPUSH", "k", "x")
    assert sm.run("LMOVE", "k", "k", "LEFT", "LEFT") == b"x"
    assert items(sm, "k") == [b"x"]


def test_lmove_errors(sm, string_key):
    sm.run("RPUSH", "src", "a")
    assert sm.error("LMOVE", "src", "dst", "LEFT", "middle") == SYNTAX
    assert sm.error("LMOVE", "src", "dst", "up", "RIGHT") == SYNTAX
    assert sm.error("LMOVE", "missing", "s", "middle", "LEFT") == SYNTAX
    # A missing source answers nil before the destination's type is looked at.
    assert sm.run("LMOVE", "missing", "s", "LEFT", "RIGHT") is None
    assert sm.error("LMOVE", "src", "s", "LEFT", "RIGHT") == WRONGTYPE
    assert sm.error("LMOVE", "s", "dst", "LEFT", "RIGHT") == WRONGTYPE
    assert items(sm, "src") == [b"a"]
    assert not exists(sm, "dst")


def test_rpoplpush(sm, string_key):
    sm.run("RPUSH", "src", "a", "b")
    assert sm.run("RPOPLPUSH", "src", "src") == b"b"
    assert items(sm, "src") == [b"b", b"a"]
    assert sm.run("RPOPLPUSH", "src", "dst") == b"a"
    assert sm.run("RPOPLPUSH", "src", "dst") == b"b"
    assert items(sm, "dst") == [b"b", b"a"]
    assert not exists(sm, "src")
    assert sm.run("RPOPLPUSH", "missing", "s") is None
    assert sm.error("RPOPLPUSH", "dst", "s") == WRONGTYPE
    assert items(sm, "dst") == [b"b", b"a"]


def test_lmove_onto_an_expired_destination_creates_a_fresh_list(sm):
    sm.run("RPUSH", "src", "a")
    sm.run("RPUSH", "dst", "old")
    sm.machine.dbs[0].set_expire(b"dst", sm.now_ms + 10)
    sm.now_ms += 10
    assert sm.run("LMOVE", "src", "dst", "LEFT", "LEFT") == b"a"
    assert items(sm, "dst") == [b"a"]
    assert b"dst" not in sm.machine.dbs[0].expires


# -- LMPOP ----------------------------------------------------------------------------------------
def test_lmpop_pops_from_first_non_empty_key(sm):
    sm.run("RPUSH", "b", "1", "2", "3")
    assert sm.run("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2") == [b"b", [b"3", b"2"]]
    assert sm.run("LMPOP", "2", "a", "b", "left") == [b"b", [b"1"]]
    assert not exists(sm, "b")
    assert sm.run("LMPOP", "2", "a", "b", "LEFT") is NULL_ARRAY
    sm.run("RPUSH", "a", "x", "y")
    sm.run("RPUSH", "b", "z")
    assert sm.run("LMPOP", "2", "a", "b", "LEFT", "COUNT", "100") == [b"a", [b"x", b"y"]]
    assert items(sm, "b") == [b"z"]


def test_lmpop_wrong_type_stops_the_scan(sm, string_key):
    sm.run("RPUSH", "a", "x")
    assert sm.error("LMPOP", "2", "s", "a", "RIGHT") == WRONGTYPE
    assert sm.error("LMPOP", "2", "missing", "s", "RIGHT") == WRONGTYPE
    assert items(sm, "a") == [b"x"]
    # A non-empty list before the wrong-typed key is popped without looking further.
    assert sm.run("LMPOP", "2", "a", "s", "RIGHT") == [b"a", [b"x"]]


def test_lmpop_argument_errors(sm):
    sm.run("RPUSH", "a", "x")
    numkeys_error = "ERR numkeys should be greater than 0"
    count_error = "ERR count should be greater than 0"
    assert sm.error("LMPOP", "0", "a", "LEFT") == numkeys_error
    assert sm.error("LMPOP", "-1", "a", "LEFT") == numkeys_error
    assert sm.error("LMPOP", "x", "a", "LEFT") == numkeys_error
    assert sm.error("LMPOP", "2", "a", "LEFT") == SYNTAX
    assert sm.error("LMPOP", INT64_MAX, "a", "LEFT") == SYNTAX
    assert sm.error("LMPOP", "1", "a", "middle") == SYNTAX
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT", "0") == count_error
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT", "-1") == count_error
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT", "x") == count_error
    assert sm.error("LMPOP", "1", "missing", "LEFT", "COUNT", "0") == count_error
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT") == SYNTAX
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1") == SYNTAX
    assert sm.error("LMPOP", "1", "a", "LEFT", "COUNT", "0", "COUNT", "1") == count_error
    assert sm.error("LMPOP", "1", "a", "LEFT", "foo") == SYNTAX
    assert items(sm, "a") == [b"x"]


# -- reads never write ----------------------------------------------------------------------------
def test_reads_leave_expired_lists_alone(sm):
    sm.run("RPUSH", "k", "a")
    sm.machine.dbs[0].set_expire(b"k", sm.now_ms + 10)
    sm.now_ms += 10
    assert sm.run("LLEN", "k") == 0
    assert sm.run("LRANGE", "k", "0", "-1") == []
    assert sm.run("LINDEX", "k", "0") is None
    assert sm.run("LPOS", "k", "a") is None
    assert b"k" in sm.machine.dbs[0].data  # only writes reap expired keys
    assert sm.run("LPOP", "k") is None
    assert b"k" not in sm.machine.dbs[0].data


def test_values_are_deques(sm):
    sm.run("RPUSH", "k", "a")
    assert type(sm.machine.dbs[0].data[b"k"]) is deque


def test_lists_inside_multi_exec(sm):
    replies = sm.exec(
        [("RPUSH", "k", "a", "b"), ("LMOVE", "k", "k", "LEFT", "RIGHT"), ("LRANGE", "k", 0, -1)]
    )
    assert replies == [2, b"a", [b"b", b"a"]]

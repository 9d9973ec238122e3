"""Hash commands. Expected replies and error texts were checked against redis-server 7.0.15."""
import pytest

from spinelraft.replies import OK, Map, Pairs
from spinelraft.statemachine.values import HashValue

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
SYNTAX = "ERR syntax error"
OUT_OF_RANGE = "ERR value is out of range"
ARITY = "ERR wrong number of arguments for '%s' command"


def stored(sm, key):
    return sm.machine.dbs[0].data.get(key.encode())


def fill(sm, key, count):
    """A hash too big for the listpack encoding, so HSCAN uses real cursors."""
    for start in range(0, count, 50):
        pairs = []
        for index in range(start, min(start + 50, count)):
            pairs += ["f%d" % index, "v%d" % index]
        sm.run("HSET", key, *pairs)
    return {b"f%d" % index: b"v%d" % index for index in range(count)}


# -- HSET HMSET HSETNX HGET HMGET ------------------------------------------------------------------
def test_hset_counts_new_fields_and_overwrites(sm):
    assert sm.run("HSET", "h", "a", "1", "b", "2", "a", "3") == 2
    assert sm.run("HSET", "h", "a", "4", "c", "5") == 1
    assert sm.run("HGET", "h", "a") == b"4"
    assert type(stored(sm, "h")) is HashValue


def test_hset_and_hmset_reject_an_odd_field_list(sm):
    assert sm.error("HSET", "h", "a", "1", "b") == ARITY % "hset"
    assert sm.error("HMSET", "h", "a", "1", "b") == ARITY % "hmset"
    assert sm.run("EXISTS", "h") == 0


def test_hmset_replies_ok(sm):
    assert sm.run("HMSET", "h", "a", "1", "b", "2") == OK
    assert sm.run("HMGET", "h", "a", "zz", "b") == [b"1", None, b"2"]


def test_hmget_on_missing_key_gives_nils(sm):
    assert sm.run("HMGET", "nokey", "a", "b") == [None, None]


def test_hget_missing_field_and_key(sm):
    sm.run("HSET", "h", "a", "1")
    assert sm.run("HGET", "h", "zz") is None
    assert sm.run("HGET", "nokey", "a") is None


def test_hsetnx(sm):
    assert sm.run("HSETNX", "h", "a", "1") == 1
    assert sm.run("HSETNX", "h", "a", "2") == 0
    assert sm.run("HSETNX", "h", "b", "3") == 1
    assert sm.run("HGETALL", "h") == Map([(b"a", b"1"), (b"b", b"3")])


def test_hset_and_hincrby_keep_the_ttl(sm):
    sm.run("HSET", "h", "a", "1")
    sm.machine.dbs[0].set_expire(b"h", sm.now_ms + 1000)
    sm.run("HSET", "h", "b", "2")
    sm.run("HINCRBY", "h", "n", "1")
    sm.run("HDEL", "h", "a")
    assert sm.machine.dbs[0].expires[b"h"] == sm.now_ms + 1000


def test_expired_hash_is_missing(sm):
    sm.run("HSET", "h", "a", "1")
    sm.machine.dbs[0].set_expire(b"h", sm.now_ms + 10)
    sm.now_ms += 10
    assert sm.run("HGET", "h", "a") is None
    assert sm.run("HSET", "h", "b", "2") == 1
    assert sm.run("HGETALL", "h") == Map([(b"b", b"2")])
    assert b"h" not in sm.machine.dbs[0].expires


# -- HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL -------------------------------------------------
def test_hdel_counts_and_deletes_the_empty_key(sm):
    sm.run("HSET", "h", "a", "1", "b", "2")
    assert sm.run("HDEL", "h", "a", "a", "zz") == 1
    assert sm.run("HDEL", "nokey", "a") == 0
    assert sm.run("HDEL", "h", "b") == 1
    assert sm.run("EXISTS", "h") == 0
    assert stored(sm, "h") is None


def test_hexists_hlen_hstrlen(sm):
    sm.run("HSET", "h", "a", "hello", "b", "")
    assert sm.run("HEXISTS", "h", "a") == 1
    assert sm.run("HEXISTS", "h", "zz") == 0
    assert sm.run("HEXISTS", "nokey", "a") == 0
    assert sm.run("HLEN", "h") == 2
    assert sm.run("HLEN", "nokey") == 0
    assert sm.run("HSTRLEN", "h", "a") == 5
    assert sm.run("HSTRLEN", "h", "b") == 0
    assert sm.run("HSTRLEN", "h", "zz") == 0
    assert sm.run("HSTRLEN", "nokey", "a") == 0


def test_hkeys_hvals_hgetall_keep_insertion_order(sm):
    sm.run("HSET", "h", "z", "1", "a", "2", "m", "3")
    sm.run("HSET", "h", "z", "9")
    assert sm.run("HKEYS", "h") == [b"z", b"a", b"m"]
    assert sm.run("HVALS", "h") == [b"9", b"2", b"3"]
    assert sm.run("HGETALL", "h") == Map([(b"z", b"9"), (b"a", b"2"), (b"m", b"3")])


def test_whole_hash_reads_of_a_missing_key(sm):
    assert sm.run("HKEYS", "nokey") == []
    assert sm.run("HVALS", "nokey") == []
    assert sm.run("HGETALL", "nokey") == Map([])


# -- HINCRBY HINCRBYFLOAT -------------------------------------------------------------------------
def test_hincrby(sm):
    assert sm.run("HINCRBY", "h", "n", "5") == 5
    assert sm.run("HINCRBY", "h", "n", "-7") == -2
    assert sm.run("HGET", "h", "n") == b"-2"


def test_hincrby_errors(sm):
    sm.run("HSET", "h", "w", "abc", "s", " 1", "max", "9223372036854775807")
    assert sm.error("HINCRBY", "h", "w", "1") == "ERR hash value is not an integer"
    assert sm.error("HINCRBY", "h", "s", "1") == "ERR hash value is not an integer"
    assert sm.error("HINCRBY", "h", "max", "1") == "ERR increment or decrement would overflow"
    assert sm.error("HINCRBY", "h", "n", "x") == NOT_INTEGER
    assert sm.error("HINCRBY", "h", "n", "9223372036854775808") == NOT_INTEGER
    assert sm.error("HINCRBY", "h", "n", "") == NOT_INTEGER
    assert sm.run("HGET", "h", "max") == b"9223372036854775807"
    assert sm.run("HEXISTS", "h", "n") == 0


def test_hincrby_down_to_int64_min(sm):
    assert sm.run("HINCRBY", "h", "m", "-9223372036854775808") == -9223372036854775808
    assert sm.error("HINCRBY", "h", "m", "-1") == "ERR increment or decrement would overflow"


def test_hincrby_parses_the_increment_before_the_type_check(sm):
    sm.run("SET", "s", "v")
    assert sm.error("HINCRBY", "s", "f", "x") == NOT_INTEGER
    assert sm.error("HINCRBY", "s", "f", "1") == WRONGTYPE


def test_hincrby_error_does_not_create_the_key(sm):
    assert sm.error("HINCRBY", "h", "n", "x") == NOT_INTEGER
    assert sm.run("EXISTS", "h") == 0


def test_hincrbyfloat_formats_like_redis(sm):
    assert sm.run("HINCRBYFLOAT", "h", "f", "1.5") == b"1.5"
    assert sm.run("HINCRBYFLOAT", "h", "f", "1e2") == b"101.5"
    assert sm.run("HINCRBYFLOAT", "h", "g", "0x10") == b"16"
    assert sm.run("HINCRBYFLOAT", "h", "g", "-16") == b"0"
    assert sm.run("HINCRBYFLOAT", "h", "g", "-0.0") == b"0"
    sm.run("HSET", "h", "big", "9223372036854775807")
    assert sm.run("HINCRBYFLOAT", "h", "big", "0.5") == b"9223372036854775807.5"
    assert sm.run("HINCRBYFLOAT", "h", "big", "0.5") == b"9223372036854775808"
    assert sm.run("HGET", "h", "f") == b"101.5"


def test_hincrbyfloat_errors(sm):
    sm.run("HSET", "h", "w", "abc", "s", " 1", "i", "inf")
    sm.run("SET", "str", "v")
    assert sm.error("HINCRBYFLOAT", "h", "w", "1") == "ERR hash value is not a float"
    assert sm.error("HINCRBYFLOAT", "h", "s", "1") == "ERR hash value is not a float"
    assert sm.error("HINCRBYFLOAT", "h", "i", "1") == "ERR increment would produce NaN or Infinity"
    assert sm.error("HINCRBYFLOAT", "h", "n", "abc") == "ERR value is not a valid float"
    assert sm.error("HINCRBYFLOAT", "h", "n", "nan") == "ERR value is not a valid float"
    assert sm.error("HINCRBYFLOAT", "h", "n", "") == "ERR value is not a valid float"
    assert sm.error("HINCRBYFLOAT", "h", "n", "inf") == "ERR value is NaN or Infinity"
    assert sm.error("HINCRBYFLOAT", "str", "n", "-inf") == "ERR value is NaN or Infinity"
    assert sm.error("HINCRBYFLOAT", "str", "n", "1") == WRONGTYPE
    assert sm.run("HEXISTS", "h", "n") == 0
    assert sm.run("HGET", "h", "w") == b"abc"


def test_hincrbyfloat_on_an_integer_field(sm):
    sm.run("HSET", "h", "n", "10")
    assert sm.run("HINCRBYFLOAT", "h", "n", "0.1") == b"10.1"
    assert sm.error("HINCRBY", "h", "n", "1") == "ERR hash value is not an integer"


# -- HRANDFIELD ---------------------------------------------------------------------------------
def test_hrandfield_single(sm):
    assert sm.run("HRANDFIELD", "nokey") is None
    sm.run("HSET", "h", "a", "1", "b", "2", "c", "3")
    for _ in range(20):
        assert sm.run("HRANDFIELD", "h") in (b"a", b"b", b"c")


def test_hrandfield_positive_count_gives_distinct_fields(sm):
    sm.run("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
    for _ in range(20):
        fields = sm.run("HRANDFIELD", "h", "3")
        assert len(fields) == 3 and len(set(fields)) == 3
        assert set(fields) <= {b"a", b"b", b"c", b"d"}
    assert sm.run("HRANDFIELD", "h", "10") == [b"a", b"b", b"c", b"d"]
    # field/value pairs: flat in RESP2, nested pairs in RESP3
    assert sm.run("HRANDFIELD", "h", "4", "WITHVALUES") == Pairs(
        [(b"a", b"1"), (b"b", b"2"), (b"c", b"3"), (b"d", b"4")])


def test_hrandfield_negative_count_may_repeat(sm):
    sm.run("HSET", "h", "a", "1", "b", "2")
    fields = sm.run("HRANDFIELD", "h", "-50")
    assert len(fields) == 50 and set(fields) == {b"a", b"b"}
    pairs = sm.run("HRANDFIELD", "h", "-7", "withvalues")
    assert isinstance(pairs, Pairs) and len(pairs.items) == 7
    for field, value in pairs.items:
        assert {b"a": b"1", b"b": b"2"}[field] == value


def test_hrandfield_count_zero_and_missing_key(sm):
    sm.run("HSET", "h", "a", "1")
    assert sm.run("HRANDFIELD", "h", "0") == []
    assert sm.run("HRANDFIELD", "nokey", "3") == []
    assert sm.run("HRANDFIELD", "nokey", "-3", "WITHVALUES") == []


def test_hrandfield_errors_in_redis_order(sm):
    sm.run("HSET", "h", "a", "1")
    sm.run("SET", "str", "v")
    assert sm.error("HRANDFIELD", "h", "x") == NOT_INTEGER
    assert sm.error("HRANDFIELD", "h", "-0") == NOT_INTEGER
    assert sm.error("HRANDFIELD", "h", "9223372036854775808") == NOT_INTEGER
    assert sm.error("HRANDFIELD", "h", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert sm.error("HRANDFIELD", "str", "x", "WITHVALUES") == NOT_INTEGER
    assert sm.error("HRANDFIELD", "nokey", "1", "WITHVALUE") == SYNTAX
    assert sm.error("HRANDFIELD", "h", "1", "WITHVALUES", "x") == SYNTAX
    assert sm.error("HRANDFIELD", "h", "9223372036854775807", "WITHVALUES") == OUT_OF_RANGE
    assert sm.error("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == OUT_OF_RANGE
    assert sm.run("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES") == Pairs([(b"a", b"1")])
    assert sm.error("HRANDFIELD", "str") == WRONGTYPE
    assert sm.error("HRANDFIELD", "str", "0") == WRONGTYPE


# -- HSCAN -------------------------------------------------------------------------------------
def test_hscan_small_hash_returns_everything_at_once(sm):
    sm.run("HSET", "h", "a", "1", "b", "2", "ab", "3")
    assert sm.run("HSCAN", "h", "0") == [b"0", [b"a", b"1", b"b", b"2", b"ab", b"3"]]
    assert sm.run("HSCAN", "h", "0", "COUNT", "1") == [b"0", [b"a", b"1", b"b", b"2", b"ab", b"3"]]
    assert sm.run("HSCAN", "h", "0", "MATCH", "a*") == [b"0", [b"a", b"1", b"ab", b"3"]]
    assert sm.run("HSCAN", "h", "0", "MATCH", "a*", "NOVALUES") == [b"0", [b"a", b"ab"]]


def test_hscan_iterates_a_large_hash_with_cursors(sm):
    expected = fill(sm, "h", 300)
    seen = {}
    cursor = b"0"
    steps = 0
    while True:
        cursor, items = sm.run("HSCAN", "h", cursor, "COUNT", "20")
        assert len(items) <= 2 * 40
        for index in range(0, len(items), 2):
            seen[items[index]] = items[index + 1]
        steps += 1
        if cursor == b"0":
            break
    assert seen == expected
    assert steps >= 300 // 20


def test_hscan_match_and_novalues_on_a_large_hash(sm):
    fill(sm, "h", 200)
    found = []
    cursor = b"0"
    while True:
        cursor, fields = sm.run("HSCAN", "h", cursor, "MATCH", "f1?", "NOVALUES")
        found += fields
        if cursor == b"0":
            break
    assert sorted(found) == sorted(b"f1%d" % digit for digit in range(10))


def test_hscan_errors_and_check_order(sm):
    sm.run("HSET", "h", "a", "1")
    sm.run("SET", "str", "v")
    assert sm.run("HSCAN", "nokey", "0", "bogus") == [b"0", []]
    assert sm.error("HSCAN", "str", "0", "bogus") == WRONGTYPE
    assert sm.error("HSCAN", "str", "x") == "ERR invalid cursor"
    assert sm.error("HSCAN", "h", "18446744073709551616") == "ERR invalid cursor"
    assert sm.run("HSCAN", "h", "18446744073709551615") == [b"0", [b"a", b"1"]]
    assert sm.error("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert sm.error("HSCAN", "h", "0", "COUNT", "x") == NOT_INTEGER
    assert sm.error("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert sm.error("HSCAN", "h", "0", "foo", "bar") == SYNTAX


# -- type and arity checks ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ("HSET", "str", "a", "1"),
        ("HMSET", "str", "a", "1"),
        ("HSETNX", "str", "a", "1"),
        ("HGET", "str", "a"),
        ("HMGET", "str", "a"),
        ("HDEL", "str", "a"),
        ("HEXISTS", "str", "a"),
        ("HLEN", "str"),
        ("HKEYS", "str"),
        ("HVALS", "str"),
        ("HGETALL", "str"),
        ("HINCRBY", "str", "a", "1"),
        ("HINCRBYFLOAT", "str", "a", "1"),
        ("HSTRLEN", "str", "a"),
        ("HRANDFIELD", "str", "2"),
        ("HSCAN", "str", "0"),
    ],
)
def test_wrong_type(sm, command):
    sm.run("SET", "str", "v")
    assert sm.error(*command) == WRONGTYPE
    assert sm.run("GET", "str") == b"v"


@pytest.mark.parametrize(
    "command",
    [
        ("HSET", "h", "a"),
        ("HMSET", "h", "a"),
        ("HSETNX", "h", "a"),
        ("HGET", "h"),
        ("HMGET", "h"),
        ("HDEL", "h"),
        ("HEXISTS", "h"),
        ("HLEN",),
        ("HKEYS", "h", "x"),
        ("HVALS",),
        ("HGETALL", "h", "h"),
        ("HINCRBY", "h", "a"),
        ("HINCRBYFLOAT", "h", "a", "1", "2"),
        ("HSTRLEN", "h"),
        ("HRANDFIELD",),
        ("HSCAN", "h"),
    ],
)
def test_wrong_arity(sm, command):
    assert sm.error(*command) == ARITY % command[0].lower()


def test_hincrbyfloat_uses_the_long_double_range(sm):
    """Checked against Redis 7.0.15: long double arithmetic, refusals in its order."""
    sm.run("HSET", "h", "a", "1e400", "inf", "inf", "bad", "1 ")
    assert sm.run("HINCRBYFLOAT", "h", "a", "1e300").startswith(b"1000000000000000000028188068")
    assert len(sm.run("HGET", "h", "a")) == 401
    assert sm.run("HINCRBYFLOAT", "h", "new", "1e400") == sm.run("HGET", "h", "a")
    assert sm.error("HINCRBYFLOAT", "h", "b", "1e5000") == "ERR value is not a valid float"
    assert sm.error("HINCRBYFLOAT", "h", "b", "-inf") == "ERR value is NaN or Infinity"
    assert sm.error("HINCRBYFLOAT", "h", "inf", "1") == (
        "ERR increment would produce NaN or Infinity")
    assert sm.error("HINCRBYFLOAT", "h", "bad", "1") == "ERR hash value is not a float"
    assert sm.run("HINCRBYFLOAT", "h", "tiny", "1e-4950") == b"0"

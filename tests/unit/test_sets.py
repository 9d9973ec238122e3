"""Set commands. Expected replies and error texts were checked against redis-server 7.0.15."""
import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.replies import SetReply
from spinelraft.statemachine.values import SetValue
from tests.unit.conftest import Harness

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_POSITIVE = "ERR value is out of range, must be positive"
SYNTAX = "ERR syntax error"
ARITY = "ERR wrong number of arguments for '%s' command"


def stored(sm, key):
    return sm.machine.dbs[0].data.get(key.encode())


def members(reply):
    assert type(reply) is SetReply
    return sorted(reply.items)


def fill(sm, key, count, prefix="m"):
    """A set of non-integer members: hashtable encoded, so SSCAN uses real cursors."""
    for start in range(0, count, 100):
        sm.run("SADD", key, *("%s%d" % (prefix, i) for i in range(start, min(start + 100, count))))
    return {b"%s%d" % (prefix.encode(), i) for i in range(count)}


# -- SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD -------------------------------------------------
def test_sadd_counts_new_members(sm):
    assert sm.run("SADD", "s", "a", "b", "a") == 2
    assert sm.run("SADD", "s", "b", "c") == 1
    assert type(stored(sm, "s")) is SetValue
    assert sm.run("SCARD", "s") == 3


def test_smembers_order_intset_numeric_otherwise_insertion(sm):
    sm.run("SADD", "ints", "10", "3", "-5", "1")
    assert sm.run("SMEMBERS", "ints") == SetReply([b"-5", b"1", b"3", b"10"])
    sm.run("SADD", "mixed", "b", "10", "a")
    assert sm.run("SMEMBERS", "mixed") == SetReply([b"b", b"10", b"a"])
    assert sm.run("SMEMBERS", "nokey") == SetReply([])


def test_srem_counts_and_deletes_the_empty_key(sm):
    sm.run("SADD", "s", "a", "b")
    assert sm.run("SREM", "s", "a", "a", "zz") == 1
    assert sm.run("SREM", "nokey", "a") == 0
    assert sm.run("SREM", "s", "b") == 1
    assert sm.run("EXISTS", "s") == 0
    assert stored(sm, "s") is None


def test_sismember_smismember_scard(sm):
    sm.run("SADD", "s", "a", "1")
    assert sm.run("SISMEMBER", "s", "a") == 1
    assert sm.run("SISMEMBER", "s", "zz") == 0
    assert sm.run("SISMEMBER", "nokey", "a") == 0
    assert sm.run("SMISMEMBER", "s", "1", "zz", "a") == [1, 0, 1]
    assert sm.run("SMISMEMBER", "nokey", "1", "2") == [0, 0]
    assert sm.run("SCARD", "nokey") == 0


def test_sadd_keeps_the_ttl(sm):
    sm.run("SADD", "s", "a")
    sm.machine.dbs[0].set_expire(b"s", sm.now_ms + 500)
    sm.run("SADD", "s", "b")
    sm.run("SREM", "s", "a")
    assert sm.machine.dbs[0].expires[b"s"] == sm.now_ms + 500
    sm.now_ms += 500
    assert sm.run("SCARD", "s") == 0
    assert sm.run("SADD", "s", "c") == 1
    assert b"s" not in sm.machine.dbs[0].expires


# -- SPOP SRANDMEMBER ---------------------------------------------------------------------------
def test_spop_single(sm):
    assert sm.run("SPOP", "nokey") is None
    sm.run("SADD", "s", "a", "b", "c")
    popped = {sm.run("SPOP", "s") for _ in range(3)}
    assert popped == {b"a", b"b", b"c"}
    assert sm.run("EXISTS", "s") == 0


def test_spop_count_smaller_than_the_set(sm):
    everything = fill(sm, "s", 20)
    reply = sm.run("SPOP", "s", "5")
    assert type(reply) is SetReply
    assert len(reply.items) == 5 and len(set(reply.items)) == 5
    remaining = set(sm.run("SMEMBERS", "s").items)
    assert len(remaining) == 15
    assert remaining | set(reply.items) == everything


def test_spop_count_covering_the_set_deletes_it(sm):
    sm.run("SADD", "s", "3", "1", "2")
    assert sm.run("SPOP", "s", "5") == SetReply([b"1", b"2", b"3"])
    assert sm.run("EXISTS", "s") == 0


def test_spop_count_zero_and_missing_key(sm):
    sm.run("SADD", "s", "a")
    assert sm.run("SPOP", "s", "0") == SetReply([])
    assert sm.run("SPOP", "nokey", "2") == SetReply([])
    assert sm.run("SCARD", "s") == 1


def test_spop_errors(sm):
    sm.run("SADD", "s", "a")
    sm.run("SET", "str", "v")
    assert sm.error("SPOP", "s", "-1") == NOT_POSITIVE
    assert sm.error("SPOP", "s", "x") == NOT_POSITIVE
    assert sm.error("SPOP", "s", "99999999999999999999") == NOT_POSITIVE
    assert sm.error("SPOP", "str", "-1") == NOT_POSITIVE
    assert sm.error("SPOP", "str", "0") == WRONGTYPE
    assert sm.error("SPOP", "str") == WRONGTYPE
    assert sm.error("SPOP", "s", "1", "2") == SYNTAX
    assert sm.run("SCARD", "s") == 1


def test_spop_is_deterministic_across_replicas():
    replies = []
    for _ in range(2):
        machine = Harness()
        fill(machine, "s", 50)
        replies.append([machine.run("SPOP", "s"), machine.run("SPOP", "s", "7")])
        replies[-1].append(machine.run("SMEMBERS", "s"))
    assert replies[0] == replies[1]


def test_srandmember_single(sm):
    assert sm.run("SRANDMEMBER", "nokey") is None
    sm.run("SADD", "s", "a", "b")
    for _ in range(10):
        assert sm.run("SRANDMEMBER", "s") in (b"a", b"b")
    assert sm.run("SCARD", "s") == 2


def test_srandmember_count_semantics(sm):
    sm.run("SADD", "s", "3", "1", "2", "4")
    assert sm.run("SRANDMEMBER", "s", "0") == []
    assert sm.run("SRANDMEMBER", "s", "10") == [b"1", b"2", b"3", b"4"]
    for _ in range(10):
        picked = sm.run("SRANDMEMBER", "s", "3")
        assert len(picked) == 3 and len(set(picked)) == 3
    repeated = sm.run("SRANDMEMBER", "s", "-40")
    assert len(repeated) == 40 and set(repeated) == {b"1", b"2", b"3", b"4"}
    assert sm.run("SRANDMEMBER", "nokey", "3") == []
    assert sm.run("SCARD", "s") == 4


def test_srandmember_errors(sm):
    sm.run("SADD", "s", "a")
    sm.run("SET", "str", "v")
    assert sm.error("SRANDMEMBER", "s", "x") == NOT_INTEGER
    assert sm.error("SRANDMEMBER", "s", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert sm.error("SRANDMEMBER", "s", "1", "2") == SYNTAX
    assert sm.error("SRANDMEMBER", "str") == WRONGTYPE
    assert sm.error("SRANDMEMBER", "str", "0") == WRONGTYPE


# -- SMOVE ------------------------------------------------------------------------------------
def test_smove_moves_and_deletes_the_emptied_source(sm):
    sm.run("SADD", "src", "a")
    sm.run("SADD", "dst", "b")
    assert sm.run("SMOVE", "src", "dst", "a") == 1
    assert sm.run("EXISTS", "src") == 0
    assert members(sm.run("SMEMBERS", "dst")) == [b"a", b"b"]


def test_smove_creates_the_destination_and_accepts_a_present_member(sm):
    sm.run("SADD", "src", "a", "b")
    assert sm.run("SMOVE", "src", "new", "a") == 1
    assert sm.run("SMEMBERS", "new") == SetReply([b"a"])
    sm.run("SADD", "new", "b")
    assert sm.run("SMOVE", "src", "new", "b") == 1
    assert sm.run("EXISTS", "src") == 0


def test_smove_no_ops(sm):
    sm.run("SADD", "s", "a")
    assert sm.run("SMOVE", "s", "d", "zz") == 0
    assert sm.run("SMOVE", "s", "s", "a") == 1
    assert sm.run("SMOVE", "s", "s", "zz") == 0
    assert sm.run("SMOVE", "nokey", "d", "a") == 0
    assert sm.run("SMEMBERS", "s") == SetReply([b"a"])
    assert sm.run("EXISTS", "d") == 0


def test_smove_type_checks(sm):
    sm.run("SADD", "s", "a")
    sm.run("SET", "str", "v")
    assert sm.run("SMOVE", "nokey", "str", "a") == 0  # a missing source answers first
    assert sm.error("SMOVE", "s", "str", "a") == WRONGTYPE
    assert sm.error("SMOVE", "s", "str", "zz") == WRONGTYPE
    assert sm.error("SMOVE", "str", "s", "a") == WRONGTYPE
    assert sm.error("SMOVE", "str", "str", "a") == WRONGTYPE
    assert sm.run("SMEMBERS", "s") == SetReply([b"a"])


# -- SINTER SUNION SDIFF and the STORE variants ----------------------------------------------------
@pytest.fixture
def algebra(sm):
    sm.run("SADD", "a", "1", "2", "3", "x")
    sm.run("SADD", "b", "3", "1", "2")
    sm.run("SADD", "c", "5", "4", "3")
    return sm


def test_sinter(algebra):
    sm = algebra
    assert sm.run("SINTER", "a", "b") == SetReply([b"1", b"2", b"3"])
    assert sm.run("SINTER", "a", "b", "c") == SetReply([b"3"])
    assert sm.run("SINTER", "b") == SetReply([b"1", b"2", b"3"])
    assert sm.run("SINTER", "a", "nokey") == SetReply([])


def test_sunion(algebra):
    sm = algebra
    assert sm.run("SUNION", "b", "c") == SetReply([b"1", b"2", b"3", b"4", b"5"])
    assert members(sm.run("SUNION", "a", "c", "nokey")) == [b"1", b"2", b"3", b"4", b"5", b"x"]
    assert sm.run("SUNION", "nokey") == SetReply([])


def test_sdiff(algebra):
    sm = algebra
    assert sm.run("SDIFF", "a", "b") == SetReply([b"x"])
    assert sm.run("SDIFF", "b", "c", "nokey") == SetReply([b"1", b"2"])
    assert sm.run("SDIFF", "b", "b") == SetReply([])
    assert sm.run("SDIFF", "nokey", "a") == SetReply([])


def test_store_variants_replace_the_destination_and_drop_its_ttl(algebra):
    sm = algebra
    sm.run("SET", "dst", "a string")
    sm.machine.dbs[0].set_expire(b"dst", sm.now_ms + 100_000)
    assert sm.run("SINTERSTORE", "dst", "a", "b") == 3
    assert sm.run("SMEMBERS", "dst") == SetReply([b"1", b"2", b"3"])
    assert b"dst" not in sm.machine.dbs[0].expires
    assert sm.run("SUNIONSTORE", "dst", "b", "c") == 5
    assert sm.run("SMEMBERS", "dst") == SetReply([b"1", b"2", b"3", b"4", b"5"])
    assert sm.run("SDIFFSTORE", "dst", "a", "b") == 1
    assert sm.run("SMEMBERS", "dst") == SetReply([b"x"])


def test_store_of_an_empty_result_deletes_the_destination(algebra):
    sm = algebra
    for command in (("SINTERSTORE", "dst", "a", "nokey"), ("SUNIONSTORE", "dst", "nokey"),
                    ("SDIFFSTORE", "dst", "a", "a")):
        sm.run("SADD", "dst", "old")
        assert sm.run(*command) == 0
        assert sm.run("EXISTS", "dst") == 0


def test_store_into_one_of_the_sources(algebra):
    sm = algebra
    assert sm.run("SUNIONSTORE", "b", "b", "c") == 5
    assert sm.run("SMEMBERS", "b") == SetReply([b"1", b"2", b"3", b"4", b"5"])
    assert sm.run("SMEMBERS", "c") == SetReply([b"3", b"4", b"5"])
    assert sm.run("SINTERSTORE", "c", "c") == 3
    assert stored(sm, "c") is not stored(sm, "b")


@pytest.mark.parametrize("name", ["SINTER", "SUNION", "SDIFF"])
def test_any_non_set_key_is_wrongtype(algebra, name):
    sm = algebra
    sm.run("SET", "str", "v")
    for keys in (("str", "nokey"), ("nokey", "str"), ("a", "nokey", "str"), ("str", "a")):
        assert sm.error(name, *keys) == WRONGTYPE
        assert sm.error(name + "STORE", "dst", *keys) == WRONGTYPE
    assert sm.run("EXISTS", "dst") == 0


def test_large_set_algebra(sm):
    evens = {b"m%d" % i for i in range(0, 600, 2)}
    thirds = {b"m%d" % i for i in range(0, 600, 3)}
    fill(sm, "all", 600)
    sm.run("SADD", "evens", *evens)
    sm.run("SADD", "thirds", *thirds)
    assert set(sm.run("SINTER", "evens", "thirds", "all").items) == evens & thirds
    assert set(sm.run("SUNION", "evens", "thirds").items) == evens | thirds
    assert set(sm.run("SDIFF", "all", "evens", "thirds").items) == (
        {b"m%d" % i for i in range(600)} - evens - thirds
    )


# -- SINTERCARD ---------------------------------------------------------------------------------
def test_sintercard(algebra):
    sm = algebra
    assert sm.run("SINTERCARD", "2", "a", "b") == 3
    assert sm.run("SINTERCARD", "2", "a", "b", "LIMIT", "2") == 2
    assert sm.run("SINTERCARD", "2", "a", "b", "limit", "0") == 3
    assert sm.run("SINTERCARD", "2", "a", "b", "LIMIT", "100") == 3
    assert sm.run("SINTERCARD", "2", "a", "b", "LIMIT", "1", "LIMIT", "2") == 2
    assert sm.run("SINTERCARD", "2", "a", "nokey") == 0
    assert sm.run("SINTERCARD", "3", "a", "b", "c") == 1


def test_sintercard_errors_in_redis_order(algebra):
    sm = algebra
    sm.run("SET", "str", "v")
    for numkeys in ("0", "-1", "x", "99999999999999999999"):
        assert sm.error("SINTERCARD", numkeys, "a") == "ERR numkeys should be greater than 0"
    assert sm.error("SINTERCARD", "3", "a", "b") == (
        "ERR Number of keys can't be greater than number of args"
    )
    for limit in ("-1", "x", "99999999999999999999"):
        reply = sm.error("SINTERCARD", "2", "a", "b", "LIMIT", limit)
        assert reply == "ERR LIMIT can't be negative"
    assert sm.error("SINTERCARD", "2", "a", "str", "LIMIT", "x") == "ERR LIMIT can't be negative"
    assert sm.error("SINTERCARD", "2", "a", "b", "LIMIT") == SYNTAX
    assert sm.error("SINTERCARD", "2", "a", "b", "foo", "1") == SYNTAX
    assert sm.error("SINTERCARD", "1", "a", "b") == SYNTAX
    assert sm.error("SINTERCARD", "2", "nokey", "str") == WRONGTYPE


def test_sintercard_key_extraction():
    spec = COMMANDS[b"sintercard"]
    argv = (b"SINTERCARD", b"2", b"a", b"b", b"LIMIT", b"1")
    assert spec.keys(argv) == [b"a", b"b"]
    assert spec.keys((b"SINTERCARD", b"x", b"a")) == []


# -- SSCAN ------------------------------------------------------------------------------------
def test_sscan_intset_returns_everything_sorted(sm):
    sm.run("SADD", "s", "3", "1", "2", "12")
    assert sm.run("SSCAN", "s", "0") == [b"0", [b"1", b"2", b"3", b"12"]]
    assert sm.run("SSCAN", "s", "0", "COUNT", "1") == [b"0", [b"1", b"2", b"3", b"12"]]
    assert sm.run("SSCAN", "s", "0", "MATCH", "1*") == [b"0", [b"1", b"12"]]


def test_sscan_iterates_a_large_set_with_cursors(sm):
    expected = fill(sm, "s", 250)
    seen = []
    cursor = b"0"
    while True:
        cursor, found = sm.run("SSCAN", "s", cursor, "COUNT", "25")
        seen += found
        if cursor == b"0":
            break
    assert len(seen) == len(expected) and set(seen) == expected
    matched = sm.run("SSCAN", "s", "0", "MATCH", "m1?", "COUNT", "1000")
    assert matched[0] == b"0" and sorted(matched[1]) == sorted(b"m1%d" % i for i in range(10))


def test_sscan_errors_and_check_order(sm):
    sm.run("SADD", "s", "a")
    sm.run("SET", "str", "v")
    assert sm.run("SSCAN", "nokey", "0", "NOVALUES") == [b"0", []]
    assert sm.error("SSCAN", "s", "0", "NOVALUES") == SYNTAX
    assert sm.error("SSCAN", "str", "0", "bogus") == WRONGTYPE
    assert sm.error("SSCAN", "str", "x") == "ERR invalid cursor"
    assert sm.error("SSCAN", "s", "0", "COUNT", "0") == SYNTAX
    assert sm.error("SSCAN", "s", "0", "COUNT", "x") == NOT_INTEGER


# -- type and arity checks ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ("SADD", "str", "a"),
        ("SREM", "str", "a"),
        ("SMEMBERS", "str"),
        ("SISMEMBER", "str", "a"),
        ("SMISMEMBER", "str", "a"),
        ("SCARD", "str"),
        ("SPOP", "str"),
        ("SRANDMEMBER", "str"),
        ("SINTERCARD", "1", "str"),
        ("SSCAN", "str", "0"),
    ],
)
def test_wrong_type(sm, command):
    sm.run("SET", "str", "v")
    assert sm.error(*command) == WRONGTYPE
    assert sm.run("GET", "str") == b"v"


@pytest.mark.parametrize(
    "command",
    [
        ("SADD", "s"),
        ("SREM", "s"),
        ("SMEMBERS",),
        ("SISMEMBER", "s"),
        ("SMISMEMBER", "s"),
        ("SCARD",),
        ("SPOP",),
        ("SRANDMEMBER",),
        ("SMOVE", "a", "b"),
        ("SINTER",),
        ("SINTERCARD", "1"),
        ("SINTERSTORE", "d"),
        ("SUNION",),
        ("SUNIONSTORE", "d"),
        ("SDIFF",),
        ("SDIFFSTORE", "d"),
        ("SSCAN", "s"),
    ],
)
def test_wrong_arity(sm, command):
    assert sm.error(*command) == ARITY % command[0].lower()

"""Sorted-set commands. Expected replies were checked against Redis 7.0.15 (redis-cli)."""
import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.replies import NULL_ARRAY, Double, Pairs, Simple
from spinelraft.statemachine.values import ZSetValue

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
NOT_STRING_RANGE = "ERR min or max not valid string range item"


def scored(*pairs):
    """scored("a", 1, "b", 2) -> Pairs([(b"a", Double(1.0)), (b"b", Double(2.0))]): a WITHSCORES
    reply (flat in RESP2, nested pairs in RESP3)."""
    return Pairs((pairs[index].encode(), Double(float(pairs[index + 1])))
                 for index in range(0, len(pairs), 2))


def members(*names):
    return [name.encode() for name in names]


@pytest.fixture
def abc(sm):
    sm.run("ZADD", "z", "1", "a", "2", "b", "3", "c")
    sm.run("SET", "str", "x")
    return sm


# -- ZADD -----------------------------------------------------------------------------------------
def test_zadd_adds_and_updates(sm):
    assert sm.run("ZADD", "z", "1", "a", "2", "b") == 2
    assert sm.run("ZADD", "z", "5", "a", "3", "c") == 1
    assert sm.run("ZADD", "z", "CH", "6", "a", "6", "b", "3", "c") == 2
    assert sm.run("ZADD", "z", "1", "dup", "2", "dup") == 1
    assert sm.run("ZADD", "z", "ch", "3", "dup", "4", "dup") == 2
    assert sm.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == scored(
        "c", 3, "dup", 4, "a", 6, "b", 6)


def test_zadd_nx_xx_gt_lt(sm):
    sm.run("ZADD", "z", "5", "a")
    assert sm.run("ZADD", "z", "NX", "1", "a", "1", "b") == 1
    assert sm.run("ZADD", "z", "XX", "9", "a", "1", "new") == 0
    assert sm.run("ZSCORE", "z", "a") == Double(9.0)
    assert sm.run("ZSCORE", "z", "new") is None
    assert sm.run("ZADD", "z", "GT", "CH", "5", "a", "2", "b") == 1
    assert sm.run("ZADD", "z", "LT", "CH", "10", "a", "0", "b", "7", "c") == 2
    assert sm.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == scored("b", 0, "c", 7, "a", 9)
    assert sm.run("ZADD", "z", "XX", "CH", "1", "a", "2", "zz") == 1
    assert sm.run("ZADD", "missing", "XX", "1", "a") == 0
    assert sm.run("EXISTS", "missing") == 0


def test_zadd_incr(sm):
    assert sm.run("ZADD", "z", "INCR", "1.5", "a") == Double(1.5)
    assert sm.run("ZADD", "z", "INCR", "1", "a") == Double(2.5)
    assert sm.run("ZADD", "z", "XX", "INCR", "1", "nope") is None
    assert sm.run("ZADD", "z", "NX", "INCR", "1", "a") is None
    assert sm.run("ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert sm.run("ZADD", "z", "LT", "INCR", "-1", "a") == Double(1.5)
    assert sm.run("ZADD", "z", "INCR", "0", "a") == Double(1.5)
    assert sm.run("ZADD", "missing", "XX", "INCR", "1", "a") is None
    assert sm.run("EXISTS", "missing") == 0


def test_zadd_option_errors_in_redis_order(abc):
    sm = abc
    assert sm.error("ZADD", "z", "NX", "XX", "1", "a") == (
        "ERR XX and NX options at the same time are not compatible")
    message = "ERR GT, LT, and/or NX options at the same time are not compatible"
    assert sm.error("ZADD", "z", "NX", "GT", "1", "a") == message
    assert sm.error("ZADD", "z", "GT", "LT", "1", "a") == message
    assert sm.error("ZADD", "z", "LT", "NX", "INCR", "1", "a", "2", "b") == message
    assert sm.error("ZADD", "z", "INCR", "1", "a", "2", "b") == (
        "ERR INCR option supports a single increment-element pair")
    assert sm.error("ZADD", "z", "XX", "NX") == SYNTAX  # pairs are checked first
    assert sm.error("ZADD", "z", "NX", "XX", "1", "a", "2") == SYNTAX
    assert sm.error("ZADD", "z", "1", "a", "2") == SYNTAX
    assert sm.error("ZADD", "z", "1") == "ERR wrong number of arguments for 'zadd' command"
    assert sm.error("ZADD", "str", "abc", "a") == NOT_FLOAT  # before the type check
    assert sm.error("ZADD", "str", "1", "a") == WRONGTYPE
    assert sm.run("ZRANGE", "z", "0", "-1") == members("a", "b", "c")


@pytest.mark.parametrize("score", ["abc", "1e400", "-1e400", "1e-400", " 1", "1 ", "nan", "",
                                   "0x1p99999", "1_0", "++1"])
def test_zadd_refuses_what_redis_refuses(sm, score):
    assert sm.error("ZADD", "z", "1", "a", score, "b") == NOT_FLOAT
    assert sm.run("EXISTS", "z") == 0


def test_zadd_score_forms_and_formatting(sm):
    sm.run("ZADD", "z", "inf", "i", "-inf", "ni", "0x10", "h", "1e-310", "tiny", "0.1", "p",
           "123456789012345678", "w", "-0", "zero")
    assert sm.run("ZRANGE", "z", "0", "-1", "WITHSCORES") == scored(
        "ni", "-inf", "zero", 0, "tiny", 1e-310, "p", 0.1, "h", 16, "w", 123456789012345678,
        "i", "inf")
    # Redis's small encoding stores -0 as 0
    assert repr(sm.run("ZSCORE", "z", "zero")) == "Double(0.0)"


# -- ZINCRBY --------------------------------------------------------------------------------------
def test_zincrby(abc):
    sm = abc
    assert sm.run("ZINCRBY", "z", "2.5", "a") == Double(3.5)
    assert sm.run("ZINCRBY", "z", "-1", "new") == Double(-1.0)
    assert sm.run("ZRANGE", "z", "0", "0") == [b"new"]
    assert sm.error("ZINCRBY", "z", "abc", "a") == NOT_FLOAT
    assert sm.error("ZINCRBY", "z", "NX", "a") == SYNTAX
    assert sm.error("ZINCRBY", "z", "1") == "ERR wrong number of arguments for 'zincrby' command"
    assert sm.error("ZINCRBY", "str", "1", "a") == WRONGTYPE
    assert sm.run("ZINCRBY", "fresh", "-0", "m") == Double(-0.0)


def test_nan_results_are_refused_and_change_nothing(sm):
    assert sm.run("ZINCRBY", "z", "inf", "a") == Double(float("inf"))
    nan = "ERR resulting score is not a number (NaN)"
    assert sm.error("ZINCRBY", "z", "-inf", "a") == nan
    assert sm.error("ZADD", "z", "INCR", "-inf", "a") == nan
    assert sm.run("ZSCORE", "z", "a") == Double(float("inf"))


# -- single-member reads --------------------------------------------------------------------------
def test_zcard_zscore_zmscore(abc):
    sm = abc
    assert sm.run("ZCARD", "z") == 3
    assert sm.run("ZCARD", "missing") == 0
    assert sm.run("ZSCORE", "z", "b") == Double(2.0)
    assert sm.run("ZSCORE", "z", "zz") is None
    assert sm.run("ZSCORE", "missing", "a") is None
    assert sm.run("ZMSCORE", "z", "a", "zz", "c") == [Double(1.0), None, Double(3.0)]
    assert sm.run("ZMSCORE", "missing", "a", "b") == [None, None]
    assert sm.error("ZMSCORE", "z") == "ERR wrong number of arguments for 'zmscore' command"
    for name in ("ZCARD", "ZSCORE", "ZMSCORE"):
        assert sm.error(name, "str", *(["a"] if name != "ZCARD" else [])) == WRONGTYPE


def test_zrank_zrevrank(abc):
    sm = abc
    assert sm.run("ZRANK", "z", "a") == 0
    assert sm.run("ZREVRANK", "z", "a") == 2
    assert sm.run("ZRANK", "z", "zz") is None
    assert sm.run("ZRANK", "missing", "a") is None
    assert sm.error("ZRANK", "str", "a") == WRONGTYPE


def test_zrank_takes_no_withscore_as_in_redis_7_0(abc):
    sm = abc
    assert sm.error("ZRANK", "z", "c", "WITHSCORE") == (
        "ERR wrong number of arguments for 'zrank' command")
    assert sm.error("ZREVRANK", "missing", "a", "withscore") == (
        "ERR wrong number of arguments for 'zrevrank' command")
    assert sm.error("ZRANK", "z", "a", "b", "c") == (
        "ERR wrong number of arguments for 'zrank' command")
    assert sm.error("ZREVRANK", "z") == "ERR wrong number of arguments for 'zrevrank' command"
    assert COMMANDS[b"zrank"].arity == 3 and COMMANDS[b"zrevrank"].arity == 3


# -- counting ------------------------------------------------------------------------------------
def test_zcount(abc):
    sm = abc
    assert sm.run("ZCOUNT", "z", "-inf", "+inf") == 3
    assert sm.run("ZCOUNT", "z", "(1", "3") == 2
    assert sm.run("ZCOUNT", "z", "(1", "(3") == 1
    assert sm.run("ZCOUNT", "z", "3", "1") == 0
    assert sm.run("ZCOUNT", "z", "(2", "2") == 0
    assert sm.run("ZCOUNT", "missing", "1", "2") == 0
    assert sm.error("ZCOUNT", "str", "a", "2") == MIN_MAX_NOT_FLOAT  # before the type check
    assert sm.error("ZCOUNT", "str", "1", "2") == WRONGTYPE


@pytest.mark.parametrize("low, high, expected", [
    ("", "", 0), ("(", "100", 3), (" 1", "2", 2), ("( 1", "2", 1), ("1e400", "inf", 0),
    ("(-inf", "(inf", 3), ("0x1", "+infinity", 3), ("-inf", "0x1p99999", 3),
])
def test_score_bounds_read_like_strtod(abc, low, high, expected):
    assert abc.run("ZCOUNT", "z", low, high) == expected


@pytest.mark.parametrize("low, high", [("1 ", "2"), ("((1", "2"), ("nan", "2"), ("   ", "3"),
                                       ("abc", "1"), ("1", "(")])
def test_bad_score_bounds(abc, low, high):
    if high == "(":  # "(" alone is an exclusive 0, so only the low bound can be wrong here
        assert abc.run("ZCOUNT", "z", low, high) == 0
        return
    assert abc.error("ZCOUNT", "z", low, high) == MIN_MAX_NOT_FLOAT
    assert abc.error("ZRANGEBYSCORE", "z", low, high) == MIN_MAX_NOT_FLOAT
    assert abc.error("ZREMRANGEBYSCORE", "z", low, high) == MIN_MAX_NOT_FLOAT


def test_zlexcount(sm):
    sm.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
    assert sm.run("ZLEXCOUNT", "l", "-", "+") == 5
    assert sm.run("ZLEXCOUNT", "l", "[b", "+") == 4
    assert sm.run("ZLEXCOUNT", "l", "(a", "(e") == 3
    assert sm.run("ZLEXCOUNT", "l", "+", "-") == 0
    assert sm.run("ZLEXCOUNT", "l", "[c", "(c") == 0
    assert sm.run("ZLEXCOUNT", "missing", "-", "+") == 0
    assert sm.error("ZLEXCOUNT", "l", "a", "+") == NOT_STRING_RANGE
    assert sm.error("ZLEXCOUNT", "missing", "a", "+") == NOT_STRING_RANGE
    sm.run("SET", "str", "x")
    assert sm.error("ZLEXCOUNT", "str", "-", "+") == WRONGTYPE


@pytest.mark.parametrize("bound", ["", "a", "-x", "+x", "{a"])
def test_bad_lex_bounds(sm, bound):
    assert sm.error("ZRANGEBYLEX", "l", bound, "+") == NOT_STRING_RANGE
    assert sm.error("ZREMRANGEBYLEX", "l", "-", bound) == NOT_STRING_RANGE


# -- ZRANGE by rank --------------------------------------------------------------------------------
def test_zrange_by_rank(abc):
    sm = abc
    assert sm.run("ZRANGE", "z", "0", "-1") == members("a", "b", "c")
    assert sm.run("ZRANGE", "z", "-2", "-1") == members("b", "c")
    assert sm.run("ZRANGE", "z", "-100", "100") == members("a", "b", "c")
    assert sm.run("ZRANGE", "z", "2", "1") == []
    assert sm.run("ZRANGE", "z", "5", "10") == []
    assert sm.run("ZRANGE", "z", "0", "1", "REV", "WITHSCORES") == scored("c", 3, "b", 2)
    assert sm.run("ZREVRANGE", "z", "-2", "-1") == members("b", "a")
    assert sm.run("ZREVRANGE", "z", "0", "0", "withscores") == scored("c", 3)
    assert sm.run("ZRANGE", "missing", "0", "-1") == []
    assert sm.run("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1") == members("a", "b")


def test_zrange_errors(abc):
    sm = abc
    assert sm.error("ZRANGE", "z", "a", "1") == NOT_INTEGER
    assert sm.error("ZRANGE", "z", "0", "1", "LIMIT", "0", "1") == (
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert sm.error("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == (
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert sm.error("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == (
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert sm.error("ZRANGE", "z", "0", "-1", "REV", "REV") == SYNTAX
    assert sm.error("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX") == SYNTAX
    assert sm.error("ZRANGE", "z", "0", "-1", "LIMIT", "1") == SYNTAX
    assert sm.error("ZRANGE", "z", "0", "-1", "LIMIT", "a", "b", "FOO") == NOT_INTEGER
    assert sm.error("ZRANGE", "z", "0", "-1", "FOO", "LIMIT", "a", "b") == SYNTAX
    assert sm.error("ZREVRANGE", "z", "0", "1", "REV") == SYNTAX
    assert sm.error("ZRANGEBYSCORE", "z", "1", "3", "BYSCORE") == SYNTAX
    assert sm.error("ZRANGE", "z", "0") == "ERR wrong number of arguments for 'zrange' command"
    assert sm.error("ZRANGE", "str", "0", "-1") == WRONGTYPE
    assert sm.error("ZRANGE", "str", "x", "-1") == NOT_INTEGER


# -- ZRANGE by score -------------------------------------------------------------------------------
def test_zrange_by_score(abc):
    sm = abc
    assert sm.run("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES") == scored(
        "a", 1, "b", 2, "c", 3)
    assert sm.run("ZRANGEBYSCORE", "z", "(1", "3") == members("b", "c")
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "WITHSCORES", "WITHSCORES") == scored(
        "a", 1, "b", 2, "c", 3)
    assert sm.run("ZREVRANGEBYSCORE", "z", "(3", "-inf") == members("b", "a")
    assert sm.run("ZRANGE", "z", "(1", "+inf", "BYSCORE") == members("b", "c")
    assert sm.run("ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "WITHSCORES") == scored(
        "c", 3, "b", 2)
    assert sm.run("ZRANGE", "z", "0", "-1", "BYSCORE") == []


def test_score_limit(abc):
    sm = abc
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "1", "-1") == members("b", "c")
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "1", "1") == members("b")
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "1", "0") == []
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "-1", "2") == []
    assert sm.run("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "9223372036854775807", "1") == []
    assert sm.run("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "5",
                  "WITHSCORES") == scored("b", 2, "a", 1)
    too_big = "9223372036854775808"
    assert sm.error("ZRANGEBYSCORE", "z", "1", "3", "LIMIT", "0", too_big) == NOT_INTEGER


def test_score_ranges_with_equal_and_infinite_scores(sm):
    sm.run("ZADD", "z", "-inf", "n", "0", "a", "0", "b", "0", "c", "1", "d", "inf", "p")
    assert sm.run("ZRANGEBYSCORE", "z", "(0", "(inf") == members("d")
    assert sm.run("ZRANGEBYSCORE", "z", "0", "0") == members("a", "b", "c")
    assert sm.run("ZRANGEBYSCORE", "z", "(-inf", "0") == members("a", "b", "c")
    assert sm.run("ZRANGEBYSCORE", "z", "inf", "inf") == members("p")
    assert sm.run("ZRANGEBYSCORE", "z", "(inf", "inf") == []
    assert sm.run("ZRANGEBYSCORE", "z", "-inf", "(-inf") == []
    assert sm.run("ZREVRANGEBYSCORE", "z", "0", "0", "LIMIT", "1", "1") == members("b")


# -- ZRANGE by lex ---------------------------------------------------------------------------------
@pytest.fixture
def lex(sm):
    sm.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
    return sm


@pytest.mark.parametrize("low, high, expected", [
    ("[b", "(d", "bc"), ("(b", "+", "cde"), ("(", "+", "abcde"), ("[", "+", "abcde"),
    ("-", "+", "abcde"), ("+", "-", ""), ("-", "-", ""), ("+", "+", ""), ("[c", "[c", "c"),
    ("(c", "[c", ""), ("[d", "[b", ""), ("[bb", "[dd", "cd"), ("(e", "+", ""), ("-", "(a", ""),
])
def test_zrangebylex(lex, low, high, expected):
    assert lex.run("ZRANGEBYLEX", "l", low, high) == members(*expected)
    assert lex.run("ZREVRANGEBYLEX", "l", high, low) == members(*reversed(expected))
    assert lex.run("ZLEXCOUNT", "l", low, high) == len(expected)


def test_lex_limit(lex):
    sm = lex
    assert sm.run("ZRANGEBYLEX", "l", "-", "[c", "LIMIT", "1", "1") == members("b")
    assert sm.run("ZRANGEBYLEX", "l", "[a", "[e", "LIMIT", "3", "5") == members("d", "e")
    assert sm.run("ZRANGEBYLEX", "l", "[a", "[e", "LIMIT", "5", "5") == []
    assert sm.run("ZREVRANGEBYLEX", "l", "[d", "(a", "LIMIT", "1", "2") == members("c", "b")
    assert sm.run("ZREVRANGEBYLEX", "l", "[d", "(a", "LIMIT", "-1", "2") == []
    assert sm.run("ZREVRANGEBYLEX", "l", "[d", "(a", "LIMIT", "0", "-5") == members("d", "c", "b")
    assert sm.run("ZRANGE", "l", "[d", "[b", "BYLEX", "REV", "LIMIT", "1", "1") == members("c")
    assert sm.run("ZRANGE", "l", "-", "+", "BYLEX", "LIMIT", "0", "1", "REV") == []


def test_lex_with_mixed_scores_walks_like_redis_listpack(sm):
    # Scores order the set as d a c b e; Redis starts at the first member >= min and stops at
    # the first member > max.
    sm.run("ZADD", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e")
    assert sm.run("ZRANGEBYLEX", "m", "[b", "[d") == members("d", "a", "c", "b")
    assert sm.run("ZRANGEBYLEX", "m", "-", "[c") == []
    assert sm.run("ZRANGEBYLEX", "m", "[b", "[d", "LIMIT", "1", "2") == members("a", "c")
    assert sm.run("ZREVRANGEBYLEX", "m", "[d", "[b") == members("b", "c")
    assert sm.run("ZREVRANGEBYLEX", "m", "+", "[c") == members("e")
    assert sm.run("ZLEXCOUNT", "m", "[b", "[d") == 4
    assert sm.run("ZREMRANGEBYLEX", "m", "[b", "[d") == 4
    assert sm.run("ZRANGE", "m", "0", "-1") == members("e")


# -- ZRANGESTORE -----------------------------------------------------------------------------------
def test_zrangestore(abc):
    sm = abc
    assert sm.run("ZRANGESTORE", "d", "z", "0", "-1") == 3
    assert sm.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == scored("a", 1, "b", 2, "c", 3)
    assert sm.run("ZRANGESTORE", "d", "z", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2") == 1
    assert sm.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == scored("b", 2)
    assert sm.run("ZRANGESTORE", "d", "z", "[b", "+", "BYLEX") == 2
    assert sm.run("ZRANGE", "d", "0", "-1", "WITHSCORES") == scored("b", 2, "c", 3)
    assert sm.run("ZRANGESTORE", "z", "z", "1", "1") == 1  # source and destination alike
    assert sm.run("ZRANGE", "z", "0", "-1") == members("b")


def test_zrangestore_overwrites_or_deletes_destination(abc):
    sm = abc
    sm.run("SET", "dst", "x", "PX", "100000")
    assert sm.run("ZRANGESTORE", "dst", "z", "0", "0") == 1
    assert sm.run("TYPE", "dst") == Simple("zset")
    assert sm.run("PTTL", "dst") == -1
    assert sm.run("ZRANGESTORE", "dst", "missing", "0", "-1") == 0
    assert sm.run("EXISTS", "dst") == 0
    sm.run("SET", "dst", "x")
    assert sm.run("ZRANGESTORE", "dst", "z", "10", "20") == 0
    assert sm.run("EXISTS", "dst") == 0


def test_zrangestore_errors(abc):
    sm = abc
    assert sm.error("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES") == SYNTAX
    assert sm.error("ZRANGESTORE", "d", "str", "0", "-1") == WRONGTYPE
    assert sm.error("ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1") == (
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert sm.error("ZRANGESTORE", "d", "z", "0") == (
        "ERR wrong number of arguments for 'zrangestore' command")


# -- removal ---------------------------------------------------------------------------------------
def test_zrem(abc):
    sm = abc
    assert sm.run("ZREM", "z", "a", "zz", "a", "b") == 2
    assert sm.run("ZREM", "missing", "a") == 0
    assert sm.error("ZREM", "str", "a") == WRONGTYPE
    assert sm.error("ZREM", "z") == "ERR wrong number of arguments for 'zrem' command"
    assert sm.run("ZREM", "z", "c") == 1
    assert sm.run("EXISTS", "z") == 0


def test_zremrangebyrank(sm):
    sm.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    assert sm.run("ZREMRANGEBYRANK", "z", "1", "-2") == 3
    assert sm.run("ZRANGE", "z", "0", "-1") == members("a", "e")
    assert sm.run("ZREMRANGEBYRANK", "z", "5", "10") == 0
    assert sm.run("ZREMRANGEBYRANK", "z", "-10", "-5") == 0
    assert sm.run("ZREMRANGEBYRANK", "z", "1", "0") == 0
    assert sm.run("ZREMRANGEBYRANK", "z", "-1", "-1") == 1
    assert sm.run("ZREMRANGEBYRANK", "z", "-100", "100") == 1
    assert sm.run("EXISTS", "z") == 0
    assert sm.run("ZREMRANGEBYRANK", "missing", "0", "1") == 0
    assert sm.error("ZREMRANGEBYRANK", "missing", "a", "1") == NOT_INTEGER


def test_zremrangebyscore_and_bylex(sm):
    sm.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert sm.run("ZREMRANGEBYSCORE", "z", "(3", "+inf") == 1
    assert sm.run("ZREMRANGEBYSCORE", "z", "5", "1") == 0
    assert sm.run("ZREMRANGEBYSCORE", "z", "-inf", "+inf") == 3
    assert sm.run("EXISTS", "z") == 0
    sm.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
    assert sm.run("ZREMRANGEBYLEX", "l", "(b", "[d") == 2
    assert sm.run("ZRANGE", "l", "0", "-1") == members("a", "b", "e")
    assert sm.run("ZREMRANGEBYLEX", "l", "-", "+") == 3
    assert sm.run("EXISTS", "l") == 0
    sm.run("SET", "str", "x")
    assert sm.error("ZREMRANGEBYSCORE", "str", "1", "2") == WRONGTYPE
    assert sm.error("ZREMRANGEBYLEX", "str", "-", "+") == WRONGTYPE
    assert sm.error("ZREMRANGEBYLEX", "missing", "a", "b") == NOT_STRING_RANGE


# -- pops ------------------------------------------------------------------------------------------
def test_zpopmin_zpopmax(sm):
    sm.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    # without a count the reply is one flat [member, score] even in RESP3; with one, pairs
    assert sm.run("ZPOPMIN", "z") == [b"a", Double(1.0)]
    assert sm.run("ZPOPMAX", "z", "1") == scored("e", 5)
    assert sm.run("ZPOPMAX", "z", "2") == scored("d", 4, "c", 3)
    assert sm.run("ZPOPMIN", "z", "0") == []
    assert sm.run("ZPOPMIN", "z", "10") == scored("b", 2)
    assert sm.run("EXISTS", "z") == 0
    assert sm.run("ZPOPMIN", "missing") == []
    assert sm.run("ZPOPMIN", "missing", "0") == []


def test_zpop_errors(abc):
    sm = abc
    positive = "ERR value is out of range, must be positive"
    assert sm.error("ZPOPMIN", "z", "-1") == positive
    assert sm.error("ZPOPMIN", "z", "abc") == positive
    assert sm.error("ZPOPMIN", "missing", "-1") == positive
    assert sm.error("ZPOPMAX", "z", "1", "2") == SYNTAX
    assert sm.error("ZPOPMIN", "str", "0") == WRONGTYPE
    assert sm.error("ZPOPMIN") == "ERR wrong number of arguments for 'zpopmin' command"


def test_zmpop(sm):
    sm.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    sm.run("SET", "str", "x")
    assert sm.run("ZMPOP", "2", "missing", "z", "MAX") == [b"z", [[b"e", Double(5.0)]]]
    assert sm.run("ZMPOP", "2", "missing", "z", "min", "count", "2") == [
        b"z", [[b"a", Double(1.0)], [b"b", Double(2.0)]]]
    assert sm.run("ZMPOP", "3", "missing", "z", "str", "MIN", "COUNT", "10") == [
        b"z", [[b"c", Double(3.0)], [b"d", Double(4.0)]]]
    assert sm.run("EXISTS", "z") == 0
    assert sm.run("ZMPOP", "1", "missing", "MIN") is NULL_ARRAY
    assert sm.error("ZMPOP", "2", "missing", "str", "MAX") == WRONGTYPE


@pytest.mark.parametrize("arguments, message", [
    (("0", "z", "MIN"), "ERR numkeys should be greater than 0"),
    (("abc", "z", "MIN"), "ERR numkeys should be greater than 0"),
    (("-1", "z", "MIN"), "ERR numkeys should be greater than 0"),
    (("9223372036854775808", "z", "MIN"), "ERR numkeys should be greater than 0"),
    (("2", "z", "MIN"), SYNTAX),
    (("9223372036854775807", "z", "MIN"), SYNTAX),
    (("1", "z", "MID"), SYNTAX),
    (("1", "z", "MIN", "COUNT", "0"), "ERR count should be greater than 0"),
    (("1", "z", "MIN", "COUNT", "abc"), "ERR count should be greater than 0"),
    (("1", "z", "MIN", "COUNT", "1", "COUNT", "1"), SYNTAX),
    (("1", "z", "MIN", "COUNT"), SYNTAX),
    (("1", "z"), "ERR wrong number of arguments for 'zmpop' command"),
])
def test_zmpop_errors(abc, arguments, message):
    assert abc.error("ZMPOP", *arguments) == message
    assert abc.run("ZCARD", "z") == 3


# -- set algebra -----------------------------------------------------------------------------------
@pytest.fixture
def sets(sm):
    sm.run("ZADD", "z1", "1", "a", "2", "b", "3", "c")
    sm.run("ZADD", "z2", "10", "b", "20", "c", "30", "d")
    sm.run("SADD", "s1", "a", "b", "q")
    sm.run("SET", "str", "x")
    return sm


def test_zunion(sets):
    sm = sets
    assert sm.run("ZUNION", "2", "z1", "z2") == members("a", "b", "c", "d")
    assert sm.run("ZUNION", "2", "z1", "z2", "WITHSCORES") == scored(
        "a", 1, "b", 12, "c", 23, "d", 30)
    assert sm.run("ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES") == scored(
        "a", 1, "b", 2, "c", 3, "d", 30)
    assert sm.run("ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WEIGHTS", "4", "0.25",
                  "WITHSCORES") == scored("a", 4, "d", 7.5, "b", 8, "c", 12)
    assert sm.run("ZUNION", "2", "z1", "s1", "WITHSCORES") == scored("q", 1, "a", 2, "b", 3, "c", 3)
    assert sm.run("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "2", "WEIGHTS", "3", "4",
                  "WITHSCORES") == scored("a", 3, "b", 46, "c", 89, "d", 120)
    assert sm.run("ZUNION", "1", "missing") == []


def test_zinter_and_zdiff(sets):
    sm = sets
    assert sm.run("ZINTER", "2", "z1", "z2", "WITHSCORES") == scored("b", 12, "c", 23)
    assert sm.run("ZINTER", "2", "z1", "s1", "WITHSCORES") == scored("a", 2, "b", 3)
    assert sm.run("ZINTER", "2", "z1", "missing") == []
    assert sm.run("ZINTER", "2", "z1", "z1", "WEIGHTS", "1", "0", "AGGREGATE", "MIN",
                  "WITHSCORES") == scored("a", 0, "b", 0, "c", 0)
    assert sm.run("ZDIFF", "2", "z1", "s1", "WITHSCORES") == scored("c", 3)
    assert sm.run("ZDIFF", "2", "s1", "z1", "WITHSCORES") == scored("q", 1)
    assert sm.run("ZDIFF", "2", "z1", "z1") == []
    assert sm.run("ZDIFF", "2", "z1", "missing") == members("a", "b", "c")


def test_infinite_weights_follow_redis_nan_rules(sets):
    sm = sets
    sm.run("ZADD", "z0", "0", "a", "1", "b")
    inf = float("inf")
    # inf * 0 counts as 0; inf + -inf sums to 0
    assert sm.run("ZUNION", "2", "z1", "z2", "WEIGHTS", "inf", "0", "WITHSCORES") == scored(
        "d", 0, "a", inf, "b", inf, "c", inf)
    assert sm.run("ZUNION", "2", "z0", "z0", "WEIGHTS", "-inf", "inf", "WITHSCORES") == scored(
        "a", 0, "b", 0)
    assert sm.run("ZINTER", "2", "z0", "z0", "WEIGHTS", "1", "inf", "WITHSCORES") == scored(
        "a", 0, "b", inf)
    assert sm.run("ZINTER", "2", "z1", "z2", "WEIGHTS", "2", "-inf", "AGGREGATE", "MAX",
                  "WITHSCORES") == scored("b", 4, "c", 6)
    # a negative weight on a zero score replies -0, as Redis does
    negated = sm.run("ZUNION", "1", "z0", "WEIGHTS", "-1", "WITHSCORES")
    assert repr(negated.items[1][1]) == "Double(-0.0)"


def test_store_forms(sets):
    sm = sets
    sm.run("SET", "dst", "x", "PX", "100000")
    assert sm.run("ZUNIONSTORE", "dst", "2", "z1", "z2", "WEIGHTS", "1", "-1") == 4
    assert sm.run("ZRANGE", "dst", "0", "-1", "WITHSCORES") == scored(
        "d", -30, "c", -17, "b", -8, "a", 1)
    assert sm.run("PTTL", "dst") == -1
    assert sm.run("ZINTERSTORE", "dst", "2", "z1", "z2", "AGGREGATE", "MAX") == 2
    assert sm.run("ZRANGE", "dst", "0", "-1", "WITHSCORES") == scored("b", 10, "c", 20)
    assert sm.run("ZINTERSTORE", "dst", "2", "z1", "missing") == 0
    assert sm.run("EXISTS", "dst") == 0
    assert sm.run("ZDIFFSTORE", "dst", "2", "z1", "z2") == 1
    assert sm.run("ZRANGE", "dst", "0", "-1", "WITHSCORES") == scored("a", 1)
    assert sm.run("ZDIFFSTORE", "z1", "2", "z1", "s1") == 1  # a source may be the destination
    assert sm.run("ZRANGE", "z1", "0", "-1", "WITHSCORES") == scored("c", 3)
    assert sm.run("ZUNIONSTORE", "dst", "1", "missing") == 0
    assert sm.run("EXISTS", "dst") == 0


def test_stored_negative_zero_becomes_zero(sm):
    sm.run("ZADD", "z0", "0", "a")
    sm.run("ZUNIONSTORE", "d", "1", "z0", "WEIGHTS", "-1")
    assert repr(sm.run("ZSCORE", "d", "a")) == "Double(0.0)"


@pytest.mark.parametrize("arguments, message", [
    (("ZUNION", "0", "z1"), "ERR at least 1 input key is needed for 'zunion' command"),
    (("ZINTERSTORE", "d", "-1", "z1"),
     "ERR at least 1 input key is needed for 'zinterstore' command"),
    (("ZDIFFSTORE", "d", "0", "z1"), "ERR at least 1 input key is needed for 'zdiffstore' command"),
    (("ZINTERCARD", "0", "z1"), "ERR at least 1 input key is needed for 'zintercard' command"),
    (("ZUNION", "abc", "z1"), NOT_INTEGER),
    (("ZUNION", "3", "z1", "z2"), SYNTAX),
    (("ZUNION", "2", "z1", "str", "FOO"), WRONGTYPE),
    (("ZUNION", "2", "z1", "z2", "WEIGHTS", "1"), SYNTAX),
    (("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"), "ERR weight value is not a float"),
    (("ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "1e400"), "ERR weight value is not a float"),
    (("ZUNION", "2", "z1", "z2", "AGGREGATE", "AVG"), SYNTAX),
    (("ZUNION", "2", "z1", "z2", "AGGREGATE"), SYNTAX),
    (("ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "2"), SYNTAX),
    (("ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"), SYNTAX),
    (("ZUNIONSTORE", "d", "2", "z1", "z2", "WITHSCORES"), SYNTAX),
    (("ZINTERCARD", "2", "z1", "z2", "WITHSCORES"), SYNTAX),
    (("ZINTERCARD", "2", "z1", "z2", "LIMIT", "-1"), "ERR LIMIT can't be negative"),
    (("ZINTERCARD", "2", "z1", "z2", "LIMIT", "abc"), "ERR LIMIT can't be negative"),
    (("ZINTERCARD", "2", "z1", "str"), WRONGTYPE),
    (("ZUNIONSTORE", "d", "2", "z1"), SYNTAX),
    (("ZUNIONSTORE", "d", "1"), "ERR wrong number of arguments for 'zunionstore' command"),
])
def test_set_algebra_errors(sets, arguments, message):
    assert sets.error(*arguments) == message
    assert sets.run("EXISTS", "d") == 0


def test_zintercard(sets):
    sm = sets
    assert sm.run("ZINTERCARD", "2", "z1", "z2") == 2
    assert sm.run("ZINTERCARD", "2", "z1", "z2", "LIMIT", "1") == 1
    assert sm.run("ZINTERCARD", "2", "z1", "z2", "LIMIT", "0") == 2
    assert sm.run("ZINTERCARD", "2", "z1", "s1") == 2
    assert sm.run("ZINTERCARD", "2", "z1", "missing") == 0


def test_store_key_extraction_includes_destination():
    argv = [b"zunionstore", b"dst", b"2", b"a", b"b", b"WEIGHTS", b"1", b"2"]
    assert COMMANDS[b"zunionstore"].keys(argv) == [b"dst", b"a", b"b"]
    assert COMMANDS[b"zinter"].keys([b"zinter", b"2", b"a", b"b"]) == [b"a", b"b"]
    assert COMMANDS[b"zmpop"].keys([b"zmpop", b"1", b"a", b"MIN"]) == [b"a"]
    assert COMMANDS[b"zrangestore"].keys([b"zrangestore", b"d", b"s", b"0", b"1"]) == [b"d", b"s"]


# -- ZRANDMEMBER -----------------------------------------------------------------------------------
def test_zrandmember(abc):
    sm = abc
    assert sm.run("ZRANDMEMBER", "z") in members("a", "b", "c")
    assert sm.run("ZRANDMEMBER", "missing") is None
    assert sm.run("ZRANDMEMBER", "missing", "5") == []
    assert sm.run("ZRANDMEMBER", "z", "0") == []
    # a count reaching the size returns the whole set, highest score first, like Redis
    assert sm.run("ZRANDMEMBER", "z", "100", "WITHSCORES") == scored("c", 3, "b", 2, "a", 1)
    distinct = sm.run("ZRANDMEMBER", "z", "2")
    assert len(distinct) == 2 and len(set(distinct)) == 2
    repeated = sm.run("ZRANDMEMBER", "z", "-10", "WITHSCORES")
    assert isinstance(repeated, Pairs) and len(repeated.items) == 10
    scores = {b"a": Double(1.0), b"b": Double(2.0), b"c": Double(3.0)}
    assert all(score == scores[member] for member, score in repeated.items)


def test_zrandmember_distinct_sample_from_a_large_set(sm):
    sm.run("ZADD", "z", *[part for i in range(1000) for part in (str(i), "m%d" % i)])
    for count in (5, 400, 999):
        picked = sm.run("ZRANDMEMBER", "z", str(count))
        assert len(picked) == count and len(set(picked)) == count


def test_zrandmember_is_deterministic_for_a_seed():
    from spinelraft.statemachine.machine import StateMachine

    def replies():
        machine = StateMachine()
        zset = ZSetValue()
        for index in range(50):
            zset.add(b"m%d" % index, float(index))
        machine.dbs[0].set(b"z", zset)
        return [machine.read(0, (b"ZRANDMEMBER", b"z", count), 1, 42) for count in (b"-5", b"7")]

    assert replies() == replies()


def test_zrandmember_errors(abc):
    sm = abc
    assert sm.error("ZRANDMEMBER", "z", "abc") == NOT_INTEGER
    assert sm.error("ZRANDMEMBER", "str", "abc") == NOT_INTEGER
    assert sm.error("ZRANDMEMBER", "str") == WRONGTYPE
    assert sm.error("ZRANDMEMBER", "z", "1", "WITHSCORES", "x") == SYNTAX
    assert sm.error("ZRANDMEMBER", "z", "1", "foo") == SYNTAX
    assert sm.error("ZRANDMEMBER", "z", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    out_of_range = "ERR value is out of range"
    assert sm.error("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES") == out_of_range
    assert sm.error("ZRANDMEMBER", "missing", "4611686018427387904", "WITHSCORES") == out_of_range


# -- ZSCAN -----------------------------------------------------------------------------------------
def test_zscan_small_set_returns_everything_in_order(abc):
    sm = abc
    assert sm.run("ZSCAN", "z", "0") == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    assert sm.run("ZSCAN", "z", "7", "COUNT", "1") == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    assert sm.run("ZSCAN", "z", "0", "MATCH", "*b*") == [b"0", [b"b", b"2"]]
    assert sm.run("ZSCAN", "missing", "0", "COUNT", "0") == [b"0", []]


def test_zscan_large_set_visits_every_member_once(sm):
    sm.run("ZADD", "z", *[part for i in range(300) for part in (str(i / 2), "m%d" % i)])
    cursor, seen = b"0", {}
    for _ in range(1000):
        cursor, page = sm.run("ZSCAN", "z", cursor, "COUNT", "25")
        for index in range(0, len(page), 2):
            seen[page[index]] = page[index + 1]
        if cursor == b"0":
            break
    assert len(seen) == 300
    assert seen[b"m3"] == b"1.5" and seen[b"m10"] == b"5"


def test_zscan_errors(abc):
    sm = abc
    assert sm.error("ZSCAN", "missing", "abc") == "ERR invalid cursor"
    assert sm.error("ZSCAN", "str", "0", "COUNT", "0") == WRONGTYPE
    assert sm.error("ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert sm.error("ZSCAN", "z", "0", "COUNT", "abc") == NOT_INTEGER
    assert sm.error("ZSCAN", "z", "0", "MATCH") == SYNTAX
    assert sm.error("ZSCAN", "z", "0", "NOVALUES") == SYNTAX
    assert sm.error("ZSCAN", "z") == "ERR wrong number of arguments for 'zscan' command"


# -- cross-cutting ---------------------------------------------------------------------------------
def test_expired_key_is_replaced(sm):
    sm.run("SET", "k", "v", "PX", "100")
    sm.now_ms += 100
    assert sm.run("ZADD", "k", "1", "a") == 1
    assert sm.run("ZRANGE", "k", "0", "-1") == members("a")


def test_large_sets_use_bisection(sm):
    sm.run("ZADD", "big", *[part for i in range(20000) for part in (str(i % 100), "m%05d" % i)])
    assert sm.run("ZCOUNT", "big", "(10", "20") == 2000
    assert sm.run("ZRANGEBYSCORE", "big", "50", "50", "LIMIT", "3", "2") == members(
        "m00350", "m00450")
    assert sm.run("ZRANK", "big", "m00001") == 200
    assert sm.run("ZREMRANGEBYSCORE", "big", "(98", "+inf") == 200
    assert sm.run("ZCARD", "big") == 19800
    sm.run("ZADD", "lex", *[part for i in range(20000) for part in ("0", "m%05d" % i)])
    assert sm.run("ZLEXCOUNT", "lex", "[m10000", "(m15000") == 5000
    assert sm.run("ZREVRANGEBYLEX", "lex", "(m10000", "-", "LIMIT", "0", "2") == members(
        "m09999", "m09998")


def test_every_command_rejects_wrong_arity(sm):
    minimum = {"zadd": 4, "zincrby": 4, "zcard": 2, "zscore": 3, "zmscore": 3, "zrank": 3,
               "zrevrank": 3, "zcount": 4, "zlexcount": 4, "zrange": 4, "zrangestore": 5,
               "zrevrange": 4, "zrangebyscore": 4, "zrevrangebyscore": 4, "zrangebylex": 4,
               "zrevrangebylex": 4, "zrem": 3, "zremrangebyrank": 4, "zremrangebyscore": 4,
               "zremrangebylex": 4, "zpopmin": 2, "zpopmax": 2, "zmpop": 4, "zunion": 3,
               "zinter": 3, "zdiff": 3, "zunionstore": 4, "zinterstore": 4, "zdiffstore": 4,
               "zintercard": 3, "zrandmember": 2, "zscan": 3}
    for name, argc in minimum.items():
        message = "ERR wrong number of arguments for '%s' command" % name
        assert sm.error(name.upper(), *["1"] * (argc - 2)) == message
        assert COMMANDS[name.encode()].group == "sorted-set"

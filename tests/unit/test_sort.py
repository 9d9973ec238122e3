"""SORT and SORT_RO; expectations checked against Redis 7.0.15."""
from spinelraft.command_table import COMMANDS
from spinelraft.statemachine.commands.sort import strtod_score

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_DOUBLE = "ERR One or more scores can't be converted into double"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"


def test_numeric_sort_of_a_list(sm):
    sm.run("RPUSH", "l", 3, 1, 2, 10, "", " 5", "0x10", "1.5", "-inf")
    assert sm.run("SORT", "l") == [b"-inf", b"", b"1", b"1.5", b"2", b"3", b" 5", b"10", b"0x10"]
    assert sm.run("SORT", "l", "DESC") == [b"0x10", b"10", b" 5", b"3", b"2", b"1.5", b"1", b"",
                                           b"-inf"]


def test_equal_scores_are_ordered_by_bytes(sm):
    sm.run("RPUSH", "l", "1.0", "1", "01", "+1", "b")
    sm.run("RPUSH", "m", "1.0", "1", "01", "+1")
    assert sm.run("SORT", "m") == [b"+1", b"01", b"1", b"1.0"]
    assert sm.run("SORT", "m", "DESC") == [b"1.0", b"1", b"01", b"+1"]
    assert sm.error("SORT", "l") == NOT_DOUBLE


def test_conversion_errors(sm):
    for bad in ("x", "1x", "nan", "1 ", " ", "1e400", "1e-310", "0x"):
        sm.run("DEL", "l")
        sm.run("RPUSH", "l", "1", bad)
        assert sm.error("SORT", "l") == NOT_DOUBLE, bad
    assert sm.run("SORT", "l", "ALPHA") == [b"0x", b"1"]


def test_strtod_rules():
    assert strtod_score(b"") == 0.0
    assert strtod_score(b"\t-2.5e1") == -25.0
    assert strtod_score(b"0x1p3") == 8.0
    assert strtod_score(b"+.5") == 0.5
    assert strtod_score(b"Infinity") == float("inf")
    assert strtod_score(b"1\x00garbage") == 1.0  # strtod stops at the NUL
    assert strtod_score(b"0e5") == 0.0
    for bad in (b"1e", b"infinit", b"nan", b".", b"1e-400", b"0x1p5000", b"--1"):
        assert strtod_score(bad) is None, bad


def test_alpha(sm):
    sm.run("RPUSH", "l", "b", "B", "a", "A", "_x", "10", "9")
    assert sm.run("SORT", "l", "ALPHA") == [b"10", b"9", b"A", b"B", b"_x", b"a", b"b"]
    assert sm.run("SORT", "l", "ALPHA", "DESC", "LIMIT", 0, 2) == [b"b", b"a"]


def test_sets_and_sorted_sets(sm):
    sm.run("SADD", "s", 5, 3, 9, 1)
    assert sm.run("SORT", "s") == [b"1", b"3", b"5", b"9"]
    sm.run("ZADD", "z", 1, "c", 2, "a", 3, "b")
    assert sm.run("SORT", "z", "ALPHA") == [b"a", b"b", b"c"]
    assert sm.run("SORT", "z", "BY", "nosort") == [b"c", b"a", b"b"]
    assert sm.run("SORT", "z", "BY", "nosort", "DESC") == [b"b", b"a", b"c"]
    assert sm.run("SORT", "z", "BY", "nosort", "LIMIT", 1, 5) == [b"a", b"b"]
    assert sm.run("SORT", "z", "BY", "nosort", "DESC", "LIMIT", 1, 1) == [b"a"]


def test_missing_key_is_empty(sm):
    assert sm.run("SORT", "missing") == []
    assert sm.run("SORT", "missing", "STORE", "dst") == 0
    assert sm.run("EXISTS", "dst") == 0


def test_wrong_type(sm):
    sm.run("SET", "s", "x")
    sm.run("HSET", "h", "f", "v")
    assert sm.error("SORT", "s") == WRONGTYPE
    assert sm.error("SORT_RO", "h") == WRONGTYPE
    assert sm.error("SORT", "s", "bogus") == SYNTAX  # options are parsed first


def test_limit(sm):
    sm.run("RPUSH", "l", 3, 1, 2, 10, 5, 4)
    assert sm.run("SORT", "l", "LIMIT", 1, 2) == [b"2", b"3"]
    assert sm.run("SORT", "l", "LIMIT", -5, 2) == [b"1", b"2"]
    assert sm.run("SORT", "l", "LIMIT", 2, -1) == [b"3", b"4", b"5", b"10"]
    assert sm.run("SORT", "l", "LIMIT", 4, 100) == [b"5", b"10"]
    assert sm.run("SORT", "l", "LIMIT", 6, 1) == []
    assert sm.run("SORT", "l", "LIMIT", 0, 0) == []
    assert sm.run("SORT", "l", "LIMIT", 2, 9223372036854775807) == [b"3", b"4", b"5", b"10"]
    assert sm.run("SORT", "l", "BY", "nosort", "LIMIT", 1, 2) == [b"1", b"2"]
    assert sm.run("SORT", "l", "BY", "nosort", "DESC", "LIMIT", 1, 2) == [b"5", b"10"]
    assert sm.error("SORT", "l", "LIMIT", "x", 1) == NOT_INTEGER
    assert sm.error("SORT", "l", "LIMIT", 1, "1.5") == NOT_INTEGER
    assert sm.error("SORT", "l", "LIMIT", 1) == SYNTAX


def test_by_pattern(sm):
    sm.run("RPUSH", "l", "a", "b", "c", "d")
    sm.run("MSET", "w_a", 3, "w_b", 1, "w_c", 2)  # w_d is missing: weight 0
    assert sm.run("SORT", "l", "BY", "w_*") == [b"d", b"b", b"c", b"a"]
    assert sm.run("SORT", "l", "BY", "w_*", "DESC") == [b"a", b"c", b"b", b"d"]
    assert sm.run("SORT", "l", "BY", "w_*", "LIMIT", 1, 2) == [b"b", b"c"]
    sm.run("SET", "w_d", "x")
    assert sm.error("SORT", "l", "BY", "w_*") == NOT_DOUBLE
    sm.run("RPUSH", "w_d", "list")
    sm.run("DEL", "w_d")
    sm.run("RPUSH", "w_d", "a list counts as missing")
    assert sm.run("SORT", "l", "BY", "w_*") == [b"d", b"b", b"c", b"a"]


def test_by_hash_field(sm):
    sm.run("RPUSH", "l", "1", "2", "3")
    sm.run("HSET", "user_1", "age", 30, "name", "ann")
    sm.run("HSET", "user_2", "age", 20, "name", "bob")
    sm.run("HSET", "user_3", "name", "cid")
    assert sm.run("SORT", "l", "BY", "user_*->age") == [b"3", b"2", b"1"]
    assert sm.run("SORT", "l", "BY", "user_*->name", "ALPHA", "DESC") == [b"3", b"2", b"1"]
    # "->" with nothing after it is part of the key name.
    sm.run("SET", "user_1->", 5)
    assert sm.run("SORT", "l", "BY", "user_*->", "GET", "user_*->") == [
        None, None, b"5"]


def test_by_without_star_keeps_the_order(sm):
    sm.run("RPUSH", "l", "b", "a", "c")
    assert sm.run("SORT", "l", "BY", "nosort") == [b"b", b"a", b"c"]
    assert sm.run("SORT", "l", "BY", "nosort", "DESC") == [b"c", b"a", b"b"]
    assert sm.run("SORT", "l", "BY", "nosort", "ALPHA") == [b"b", b"a", b"c"]
    assert sm.run("SORT", "l", "BY", "nosort", "BY", "w_*") == [b"b", b"a", b"c"]  # sticky


def test_get_patterns(sm):
    sm.run("RPUSH", "l", "2", "1", "3")
    sm.run("MSET", "name_1", "one", "name_2", "two")
    sm.run("HSET", "info_3", "f", "three")
    assert sm.run("SORT", "l", "GET", "name_*") == [b"one", b"two", None]
    assert sm.run("SORT", "l", "GET", "#", "GET", "name_*", "GET", "info_*->f") == [
        b"1", b"one", None, b"2", b"two", None, b"3", None, b"three"]
    assert sm.run("SORT", "l", "GET", "nostar") == [None, None, None]
    assert sm.run("SORT", "l", "DESC", "LIMIT", 0, 1, "GET", "#", "GET", "name_*") == [
        b"3", None]


def test_store(sm):
    sm.run("RPUSH", "l", "2", "1", "3")
    sm.run("MSET", "name_1", "one")
    sm.run("SET", "dst", "old", "EX", 100)
    assert sm.run("SORT", "l", "STORE", "dst") == 3
    assert sm.run("LRANGE", "dst", 0, -1) == [b"1", b"2", b"3"]
    assert sm.run("TTL", "dst") == -1
    assert sm.run("SORT", "l", "GET", "name_*", "GET", "#", "STORE", "dst") == 6
    assert sm.run("LRANGE", "dst", 0, -1) == [b"one", b"1", b"", b"2", b"", b"3"]
    assert sm.run("SORT", "l", "LIMIT", 5, 1, "STORE", "dst") == 0
    assert sm.run("EXISTS", "dst") == 0
    assert sm.run("SORT", "l", "STORE", "a", "STORE", "b") == 3  # the last STORE wins
    assert sm.run("EXISTS", "a") == 0 and sm.run("LLEN", "b") == 3
    assert sm.run("SORT", "l", "STORE", "l") == 3  # sorting in place
    assert sm.run("LRANGE", "l", 0, -1) == [b"1", b"2", b"3"]


def test_store_of_a_set_without_sorting_sorts_alphabetically(sm):
    sm.run("SADD", "s", "b", "10", "a", "9")
    assert sm.run("SORT", "s", "BY", "nosort", "STORE", "dst") == 4
    assert sm.run("LRANGE", "dst", 0, -1) == [b"10", b"9", b"a", b"b"]


def test_store_error_leaves_destination_alone(sm):
    sm.run("RPUSH", "l", "x", "1")
    sm.run("SET", "dst", "keep")
    assert sm.error("SORT", "l", "STORE", "dst") == NOT_DOUBLE
    assert sm.run("GET", "dst") == b"keep"


def test_sort_ro(sm):
    sm.run("RPUSH", "l", "2", "1")
    assert sm.run("SORT_RO", "l") == [b"1", b"2"]
    assert sm.run("SORT_RO", "l", "BY", "nosort", "GET", "#") == [b"2", b"1"]
    assert sm.error("SORT_RO", "l", "STORE", "dst") == SYNTAX
    assert sm.run("EXISTS", "dst") == 0


def test_syntax_errors_and_arity(sm):
    sm.run("RPUSH", "l", "1")
    for bad in (["STORE"], ["BY"], ["GET"], ["LIMIT", 1], ["ASCENDING"]):
        assert sm.error("SORT", "l", *bad) == SYNTAX, bad
    assert sm.error("SORT") == "ERR wrong number of arguments for 'sort' command"
    assert sm.error("SORT_RO") == "ERR wrong number of arguments for 'sort_ro' command"
    assert sm.run("SORT", "l", "asc", "alpha", "desc") == [b"1"]


def test_key_extraction():
    spec = COMMANDS[b"sort"]
    assert spec.keys([b"SORT", b"k"]) == [b"k"]
    assert spec.keys([b"SORT", b"k", b"STORE", b"d"]) == [b"k", b"d"]
    assert spec.keys([b"SORT", b"k", b"STORE", b"d", b"store", b"e"]) == [b"k", b"e"]
    assert spec.keys([b"SORT", b"k", b"GET", b"store", b"LIMIT", b"0", b"1"]) == [b"k"]
    assert spec.keys([b"SORT", b"k", b"BY", b"store", b"STORE"]) == [b"k"]
    assert COMMANDS[b"sort_ro"].keys([b"SORT_RO", b"k", b"STORE", b"d"]) == [b"k"]


def test_store_bumps_the_destination_version(sm):
    sm.run("RPUSH", "l", "1")
    before = sm.machine.key_version(0, b"dst")
    sm.run("SORT", "l", "STORE", "dst")
    assert sm.machine.key_version(0, b"dst") > before

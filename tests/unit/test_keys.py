"""Generic key commands; expectations checked against Redis 7.0.15."""
from collections import deque

import pytest

from spinelraft.replies import OK, ErrorReply, Simple
from spinelraft.statemachine.values import HashValue

WRONG_ARITY = "ERR wrong number of arguments for '%s' command"
NOT_INTEGER = "ERR value is not an integer or out of range"


def raw_data(sm, db=0):
    return sm.machine.dbs[db].data


# -- DEL UNLINK EXISTS TOUCH TYPE ---------------------------------------------------------------
def test_del_unlink_exists_touch(sm):
    sm.run("MSET", "a", "1", "b", "2", "c", "3")
    assert sm.run("EXISTS", "a", "a", "missing") == 2
    assert sm.run("TOUCH", "a", "b", "missing") == 2
    assert sm.run("DEL", "a", "missing") == 1
    assert sm.run("UNLINK", "b", "c", "b") == 2
    assert sm.run("EXISTS", "a", "b", "c") == 0
    assert sm.error("UNLINK") == WRONG_ARITY % "unlink"
    assert sm.error("TOUCH") == WRONG_ARITY % "touch"


def test_unlink_ignores_expired_keys(sm):
    sm.run("SET", "a", "1", "PX", 10)
    sm.now_ms += 10
    assert sm.run("UNLINK", "a") == 0
    assert sm.run("TOUCH", "a") == 0


# -- RENAME RENAMENX ----------------------------------------------------------------------------
def test_rename_moves_value_and_ttl(sm):
    sm.run("SET", "src", "v", "EX", 100)
    sm.run("SET", "dst", "old")
    assert sm.run("RENAME", "src", "dst") == OK
    assert sm.run("GET", "dst") == b"v"
    assert sm.run("TTL", "dst") == 100
    assert sm.run("EXISTS", "src") == 0


def test_rename_drops_destination_ttl(sm):
    sm.run("SET", "src", "v")
    sm.run("SET", "dst", "old", "EX", 100)
    assert sm.run("RENAME", "src", "dst") == OK
    assert sm.run("TTL", "dst") == -1


def test_rename_errors_and_same_key(sm):
    assert sm.error("RENAME", "missing", "x") == "ERR no such key"
    assert sm.error("RENAMENX", "missing", "x") == "ERR no such key"
    assert sm.error("RENAME", "missing", "missing") == "ERR no such key"
    sm.run("SET", "a", "1", "EX", 50)
    assert sm.run("RENAME", "a", "a") == OK
    assert sm.run("RENAMENX", "a", "a") == 0
    assert sm.run("TTL", "a") == 50
    assert sm.error("RENAME", "a") == WRONG_ARITY % "rename"
    sm.now_ms += 50_000
    assert sm.error("RENAME", "a", "b") == "ERR no such key"


def test_renamenx(sm):
    sm.run("MSET", "a", "1", "b", "2")
    assert sm.run("RENAMENX", "a", "b") == 0
    assert sm.run("GET", "a") == b"1"
    assert sm.run("RENAMENX", "a", "c") == 1
    assert sm.run("GET", "c") == b"1"
    assert sm.run("EXISTS", "a") == 0
    sm.run("SET", "gone", "x", "PX", 5)
    sm.now_ms += 5
    assert sm.run("RENAMENX", "c", "gone") == 1  # an expired destination does not count


# -- COPY ---------------------------------------------------------------------------------------
def test_copy_same_db(sm):
    sm.run("SET", "src", "v", "EX", 100)
    assert sm.run("COPY", "src", "dst") == 1
    assert sm.run("GET", "dst") == b"v"
    assert sm.run("TTL", "dst") == 100
    sm.run("SET", "src", "w")
    assert sm.run("COPY", "src", "dst") == 0
    assert sm.run("COPY", "src", "dst", "REPLACE") == 1
    assert sm.run("GET", "dst") == b"w"
    assert sm.run("TTL", "dst") == -1
    assert sm.run("COPY", "missing", "dst") == 0


def test_copy_is_deep(sm):
    raw_data(sm)[b"h"] = HashValue({b"f": b"v"})
    raw_data(sm)[b"l"] = deque([b"a"])
    assert sm.run("COPY", "h", "h2") == 1
    assert sm.run("COPY", "l", "l2") == 1
    raw_data(sm)[b"h"][b"f"] = b"changed"
    raw_data(sm)[b"l"].append(b"b")
    assert raw_data(sm)[b"h2"] == {b"f": b"v"}
    assert list(raw_data(sm)[b"l2"]) == [b"a"]
    assert sm.run("TYPE", "h2") == Simple("hash")


def test_copy_to_another_db(sm):
    sm.run("SET", "k", "v", "EX", 100)
    version = sm.machine.key_version(1, b"k")
    assert sm.run("COPY", "k", "k", "DB", 1) == 1
    assert sm.machine.key_version(1, b"k") != version  # WATCH on db 1 sees the write
    assert sm.run("COPY", "k", "k", "DB", 1) == 0
    assert sm.run("COPY", "k", "k", "db", 1, "replace") == 1
    sm.db = 1
    assert sm.run("GET", "k") == b"v"
    assert sm.run("TTL", "k") == 100


def test_copy_into_expired_destination(sm):
    sm.db = 1
    sm.run("SET", "k", "old", "PX", 10)
    sm.db = 0
    sm.run("SET", "k", "new")
    sm.now_ms += 10
    assert sm.run("COPY", "k", "k", "DB", 1) == 1
    sm.db = 1
    assert sm.run("GET", "k") == b"new"
    assert sm.run("TTL", "k") == -1


def test_copy_errors(sm):
    sm.run("SET", "a", "1")
    same = "ERR source and destination objects are the same"
    assert sm.error("COPY", "a", "a") == same
    assert sm.error("COPY", "missing", "missing") == same
    assert sm.error("COPY", "a", "a", "DB", 0) == same
    assert sm.error("COPY", "a", "b", "DB", 16) == "ERR DB index is out of range"
    assert sm.error("COPY", "a", "b", "DB", -1) == "ERR DB index is out of range"
    assert sm.error("COPY", "a", "b", "DB", "abc") == NOT_INTEGER
    assert sm.error("COPY", "a", "b", "DB", 4294967296) == (
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    )
    assert sm.error("COPY", "a", "b", "DB") == "ERR syntax error"
    assert sm.error("COPY", "a", "b", "foo") == "ERR syntax error"
    assert sm.error("COPY", "a") == WRONG_ARITY % "copy"
    assert sm.run("EXISTS", "b") == 0


# -- KEYS SCAN RANDOMKEY ------------------------------------------------------------------------
def test_keys_glob_and_expiry(sm):
    sm.run("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "world", "4")
    sm.run("SET", "hey", "5", "PX", 10)
    assert sorted(sm.run("KEYS", "h?llo")) == [b"hallo", b"hello", b"hxllo"]
    assert sorted(sm.run("KEYS", "h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(sm.run("KEYS", "h[^e]llo")) == [b"hallo", b"hxllo"]
    assert sorted(sm.run("KEYS", "*")) == [b"hallo", b"hello", b"hey", b"hxllo", b"world"]
    sm.now_ms += 10
    assert sm.run("KEYS", "he*") == [b"hello"]
    assert b"hey" in raw_data(sm)  # a read never deletes
    assert sm.error("KEYS") == WRONG_ARITY % "keys"


def full_scan(sm, *options):
    cursor, seen = b"0", []
    while True:
        cursor, found = sm.run("SCAN", cursor, *options)
        seen += found
        if cursor == b"0":
            return seen


def test_scan_visits_every_live_key(sm):
    for index in range(50):
        sm.run("SET", "key:%d" % index, index)
    sm.run("SET", "gone", "x", "PX", 10)
    raw_data(sm)[b"key:list"] = deque([b"a"])
    sm.now_ms += 10
    seen = full_scan(sm, "COUNT", 7)
    assert len(seen) == len(set(seen)) == 51
    assert b"gone" not in seen
    assert sorted(full_scan(sm, "MATCH", "key:1*")) == sorted(
        [b"key:1"] + [b"key:1%d" % digit for digit in range(10)]
    )
    assert full_scan(sm, "TYPE", "list") == [b"key:list"]
    assert full_scan(sm, "TYPE", "LIST", "MATCH", "key:*") == [b"key:list"]
    assert full_scan(sm, "TYPE", "nosuchtype") == []


def test_scan_is_deterministic_and_bounded(sm):
    for index in range(30):
        sm.run("SET", "k%d" % index, index)
    first = sm.run("SCAN", 0, "COUNT", 5)
    assert first == sm.run("SCAN", 0, "COUNT", 5)
    assert len(first[1]) == 5
    assert sm.run("SCAN", 0, "COUNT", 1000)[0] == b"0"


def test_scan_errors(sm):
    assert sm.error("SCAN", "abc") == "ERR invalid cursor"
    assert sm.error("SCAN", 0, "COUNT", 0) == "ERR syntax error"
    assert sm.error("SCAN", 0, "COUNT", "x") == NOT_INTEGER
    assert sm.error("SCAN", 0, "MATCH") == "ERR syntax error"
    assert sm.error("SCAN", 0, "TYPE") == "ERR syntax error"
    assert sm.error("SCAN", 0, "FOO", "bar") == "ERR syntax error"
    assert sm.error("SCAN") == WRONG_ARITY % "scan"


def test_randomkey(sm):
    assert sm.run("RANDOMKEY") is None
    sm.run("SET", "gone", "x", "PX", 10)
    sm.now_ms += 10
    assert sm.run("RANDOMKEY") is None  # expired keys are never returned
    sm.run("MSET", "a", "1", "b", "2", "c", "3")
    sm.run("SET", "gone2", "x", "PX", 1)
    sm.now_ms += 1
    drawn = {sm.run("RANDOMKEY") for _ in range(60)}
    assert drawn == {b"a", b"b", b"c"}
    assert sm.error("RANDOMKEY", "x") == WRONG_ARITY % "randomkey"


# -- OBJECT -------------------------------------------------------------------------------------
def test_object_encoding(sm):
    sm.run("MSET", "int", "12345", "short", "hello", "long", "x" * 45)
    assert sm.run("OBJECT", "ENCODING", "int") == b"int"
    assert sm.run("OBJECT", "encoding", "short") == b"embstr"
    assert sm.run("OBJECT", "ENCODING", "long") == b"raw"
    assert sm.run("OBJECT", "ENCODING", "missing") is None


def test_object_refcount_idletime_freq(sm):
    sm.run("MSET", "shared", "9999", "big", "10000", "neg", "-1", "text", "abc")
    assert sm.run("OBJECT", "REFCOUNT", "shared") == 2147483647
    assert sm.run("OBJECT", "REFCOUNT", "big") == 1
    assert sm.run("OBJECT", "REFCOUNT", "neg") == 1
    assert sm.run("OBJECT", "REFCOUNT", "text") == 1
    assert sm.run("OBJECT", "REFCOUNT", "missing") is None
    assert sm.run("OBJECT", "IDLETIME", "text") == 0
    assert sm.run("OBJECT", "IDLETIME", "missing") is None
    assert sm.error("OBJECT", "FREQ", "text") == (
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust."
    )
    assert sm.run("OBJECT", "FREQ", "missing") is None


def test_object_help_and_errors(sm):
    help_lines = sm.run("OBJECT", "HELP")
    first = "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[0] == Simple(first)
    assert help_lines[-1] == Simple("    Prints this help.")
    assert len(help_lines) == 15
    assert sm.error("OBJECT", "foo") == "ERR unknown subcommand 'foo'. Try OBJECT HELP."
    assert sm.error("OBJECT", "foo", "k") == "ERR unknown subcommand 'foo'. Try OBJECT HELP."
    assert sm.error("OBJECT", "HELP", "x") == WRONG_ARITY % "object|help"
    assert sm.error("OBJECT", "ENCODING") == WRONG_ARITY % "object|encoding"
    assert sm.error("OBJECT", "refcount", "a", "b") == WRONG_ARITY % "object|refcount"
    assert sm.error("OBJECT") == WRONG_ARITY % "object"


# -- EXPIRE family ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command, amount, ttl_ms",
    [("EXPIRE", 100, 100_000), ("PEXPIRE", 1500, 1500)],
)
def test_relative_expire(sm, command, amount, ttl_ms):
    sm.run("SET", "k", "v")
    assert sm.run(command, "k", amount) == 1
    assert sm.run("PTTL", "k") == ttl_ms
    assert sm.run("PEXPIRETIME", "k") == sm.now_ms + ttl_ms
    assert sm.run(command, "missing", amount) == 0


def test_absolute_expire(sm):
    sm.run("SET", "k", "v")
    at_seconds = sm.now_ms // 1000 + 50
    assert sm.run("EXPIREAT", "k", at_seconds) == 1
    assert sm.run("EXPIRETIME", "k") == at_seconds
    assert sm.run("PEXPIRETIME", "k") == at_seconds * 1000
    assert sm.run("PEXPIREAT", "k", sm.now_ms + 1234) == 1
    assert sm.run("PTTL", "k") == 1234
    assert sm.run("TTL", "k") == 1  # rounded to the nearest second
    assert sm.run("EXPIRETIME", "k") == (sm.now_ms + 1234 + 500) // 1000


def test_expire_in_the_past_deletes(sm):
    past = [("EXPIRE", -1), ("PEXPIRE", 0), ("EXPIREAT", 1), ("PEXPIREAT", sm.now_ms)]
    for command, amount in past:
        sm.run("SET", "k", "v")
        assert sm.run(command, "k", amount) == 1
        assert sm.run("EXISTS", "k") == 0
        assert b"k" not in raw_data(sm)


def test_expire_nx_xx(sm):
    sm.run("SET", "k", "v")
    assert sm.run("EXPIRE", "k", 100, "XX") == 0
    assert sm.run("EXPIRE", "k", 100, "NX") == 1
    assert sm.run("EXPIRE", "k", 200, "nx") == 0
    assert sm.run("TTL", "k") == 100
    assert sm.run("EXPIRE", "k", 200, "XX") == 1
    assert sm.run("TTL", "k") == 200


def test_expire_gt_lt(sm):
    sm.run("SET", "k", "v")
    assert sm.run("EXPIRE", "k", 100, "GT") == 0  # no TTL counts as infinite
    assert sm.run("EXPIRE", "k", 100, "LT") == 1
    assert sm.run("EXPIRE", "k", 100, "GT") == 0  # equal is not greater
    assert sm.run("EXPIRE", "k", 200, "GT") == 1
    assert sm.run("EXPIRE", "k", 200, "LT") == 0
    assert sm.run("EXPIRE", "k", 50, "LT", "XX") == 1
    assert sm.run("TTL", "k") == 50
    assert sm.run("EXPIRE", "k", 300, "GT", "XX") == 1
    sm.run("PERSIST", "k")
    assert sm.run("EXPIRE", "k", 10, "GT", "XX") == 0
    assert sm.run("EXPIRE", "k", -1, "LT") == 1
    assert sm.run("EXISTS", "k") == 0


def test_expire_option_errors(sm):
    sm.run("SET", "k", "v")
    nx_conflict = "ERR NX and XX, GT or LT options at the same time are not compatible"
    assert sm.error("EXPIRE", "k", 100, "NX", "XX") == nx_conflict
    assert sm.error("EXPIRE", "k", 100, "NX", "GT") == nx_conflict
    assert sm.error("EXPIRE", "k", 100, "lt", "nx") == nx_conflict
    assert sm.error("PEXPIRE", "k", 100, "GT", "LT") == (
        "ERR GT and LT options at the same time are not compatible"
    )
    assert sm.error("EXPIRE", "k", 100, "foo") == "ERR Unsupported option foo"
    assert sm.error("EXPIRE", "k", "abc", "NX", "XX") == nx_conflict  # options come first
    assert sm.error("EXPIRE", "k", "abc") == NOT_INTEGER
    assert sm.error("EXPIRE", "k") == WRONG_ARITY % "expire"
    assert sm.run("EXPIRE", "k", 1, "NX", "NX") == 1


def test_expire_overflow_errors(sm):
    sm.run("SET", "k", "v")
    invalid = "ERR invalid expire time in 'expire' command"
    assert sm.error("EXPIRE", "k", 9223372036854775) == invalid
    assert sm.error("EXPIRE", "k", -9223372036854776) == invalid
    assert sm.error("PEXPIRE", "k", 9223372036854775807) == (
        "ERR invalid expire time in 'pexpire' command"
    )
    assert sm.error("EXPIREAT", "k", 9223372036854776) == (
        "ERR invalid expire time in 'expireat' command"
    )
    assert sm.error("EXPIRE", "missing", 9223372036854775807) == (
        "ERR invalid expire time in 'expire' command"
    )
    assert sm.run("EXPIREAT", "k", 9223372036854775) == 1
    assert sm.run("PEXPIREAT", "k", 9223372036854775807) == 1
    assert sm.run("EXPIRE", "k", -9223372036854775) == 1
    assert sm.run("EXISTS", "k") == 0


def test_ttl_pttl_persist(sm):
    assert sm.run("TTL", "missing") == -2
    assert sm.run("PTTL", "missing") == -2
    assert sm.run("EXPIRETIME", "missing") == -2
    assert sm.run("PEXPIRETIME", "missing") == -2
    sm.run("SET", "k", "v")
    assert sm.run("TTL", "k") == -1
    assert sm.run("PEXPIRETIME", "k") == -1
    assert sm.run("PERSIST", "k") == 0
    sm.run("PEXPIRE", "k", 2499)
    assert sm.run("TTL", "k") == 2
    sm.now_ms += 1000
    assert sm.run("PTTL", "k") == 1499
    assert sm.run("TTL", "k") == 1
    assert sm.run("PERSIST", "k") == 1
    assert sm.run("TTL", "k") == -1
    assert sm.run("PERSIST", "missing") == 0


def test_expired_key_is_invisible_and_reads_do_not_delete(sm):
    sm.run("SET", "k", "v", "PX", 100)
    sm.now_ms += 100
    assert sm.run("TTL", "k") == -2
    assert sm.run("OBJECT", "ENCODING", "k") is None
    assert b"k" in raw_data(sm)  # reads leave the cleanup to writes
    assert sm.run("PERSIST", "k") == 0
    assert sm.run("EXPIRE", "k", 100) == 0
    assert b"k" not in raw_data(sm)


@pytest.mark.parametrize("command", [("SCAN",), ("SSCAN", "s"), ("HSCAN", "h"), ("ZSCAN", "z")])
def test_scan_cursors_are_read_like_strtoul(sm, command):
    """parseScanCursorOrReply: strtoul, refused on a leading space, leftovers before the NUL
    that ends a C string, or overflow; a minus sign wraps around."""
    sm.run("SADD", "s", "a")
    sm.run("HSET", "h", "f", "v")
    sm.run("ZADD", "z", "1", "m")
    for cursor in (b"", b"+0", b"-0", b"0001", b"\x00z", b"-18446744073709551615"):
        assert sm.run(*command, cursor)[0] == b"0", cursor
    for cursor in (b"+1", b"1\x00z", b"18446744073709551615", b"-1"):
        assert not isinstance(sm.run(*command, cursor), ErrorReply), cursor
    for cursor in (b"+", b"-", b" 1", b"1 ", b"+-1", b"0x10", b"18446744073709551616",
                   b"-18446744073709551616", b"1.5"):
        assert sm.error(*command, cursor) == "ERR invalid cursor", cursor


def test_scan_options_end_at_a_nul(sm):
    sm.run("HSET", "h", "a", "1")
    assert sm.run("HSCAN", "h", "0", b"COUNT\x00x", "5") == [b"0", [b"a", b"1"]]
    assert sm.run("SCAN", "0", "TYPE", b"HASH\x00x") == [b"0", [b"h"]]


def test_error_texts_stop_at_a_nul_like_c_strings(sm):
    sm.run("SET", "k", "v")
    assert sm.error("EXPIRE", "k", "10", b"\x00\xff") == "ERR Unsupported option "
    assert sm.error("EXPIRE", "k", "10", b"a\x00\xff") == "ERR Unsupported option a"
    assert sm.run("EXPIRE", "k", "10", b"NX\x00z") == 1  # strcasecmp sees NX
    assert sm.error("OBJECT", b"encoding\x00", "k") == (
        "ERR unknown subcommand 'encoding'. Try OBJECT HELP.")

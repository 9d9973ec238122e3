"""SETBIT GETBIT BITCOUNT BITPOS BITOP; expectations checked against Redis 7.0.15."""
import pytest

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"


def make_list(sm, key):
    from collections import deque

    sm.machine.dbs[sm.db].data[key.encode()] = deque([b"x"])


# -- SETBIT / GETBIT ------------------------------------------------------------------------------
def test_setbit_grows_and_returns_old_bit(sm):
    assert sm.run("SETBIT", "b", 7, 1) == 0
    assert sm.run("GET", "b") == b"\x01"
    assert sm.run("SETBIT", "b", 7, 1) == 1
    assert sm.run("SETBIT", "b", 7, 0) == 1
    assert sm.run("SETBIT", "b", 17, 1) == 0
    assert sm.run("GET", "b") == b"\x00\x00\x40"
    assert sm.run("SETBIT", "c", 3, 0) == 0
    assert sm.run("GET", "c") == b"\x00"  # clearing a bit still creates the string


def test_setbit_keeps_ttl(sm):
    sm.run("SET", "b", "a", "EX", 100)
    sm.run("SETBIT", "b", 0, 1)
    assert sm.run("GET", "b") == b"\xe1"
    assert sm.run("TTL", "b") == 100


def test_setbit_errors(sm):
    assert sm.error("SETBIT", "b", -1, 1) == BIT_OFFSET
    assert sm.error("SETBIT", "b", 4294967296, 1) == BIT_OFFSET
    assert sm.error("SETBIT", "b", "x", 2) == BIT_OFFSET
    assert sm.error("SETBIT", "b", "#1", 1) == BIT_OFFSET
    assert sm.error("SETBIT", "b", 1, 2) == BIT_VALUE
    assert sm.error("SETBIT", "b", 1, -1) == BIT_VALUE
    assert sm.error("SETBIT", "b", 4294967295, "x") == BIT_VALUE
    make_list(sm, "l")
    assert sm.error("SETBIT", "l", 1, 1) == WRONGTYPE
    assert sm.error("SETBIT", "l", "x", 1) == BIT_OFFSET  # arguments are checked first
    assert sm.error("SETBIT", "b", 1) == "ERR wrong number of arguments for 'setbit' command"
    assert sm.run("EXISTS", "b") == 0


def test_getbit(sm):
    sm.run("SET", "b", b"\x80")
    assert sm.run("GETBIT", "b", 0) == 1
    assert sm.run("GETBIT", "b", 1) == 0
    assert sm.run("GETBIT", "b", 4294967295) == 0
    assert sm.run("GETBIT", "missing", 3) == 0
    assert sm.error("GETBIT", "b", -1) == BIT_OFFSET
    assert sm.error("GETBIT", "b", 4294967296) == BIT_OFFSET
    make_list(sm, "l")
    assert sm.error("GETBIT", "l", 1) == WRONGTYPE
    assert sm.error("GETBIT", "l", "x") == BIT_OFFSET


# -- BITCOUNT -------------------------------------------------------------------------------------
def test_bitcount_ranges(sm):
    sm.run("SET", "f", "foobar")
    assert sm.run("BITCOUNT", "f") == 26
    assert sm.run("BITCOUNT", "f", 0, 0) == 4
    assert sm.run("BITCOUNT", "f", 1, 1) == 6
    assert sm.run("BITCOUNT", "f", 1, 1, "BYTE") == 6
    assert sm.run("BITCOUNT", "f", 5, 30, "BIT") == 17
    assert sm.run("BITCOUNT", "f", 5, 30, "bit") == 17
    assert sm.run("BITCOUNT", "f", -2, -1) == 7
    assert sm.run("BITCOUNT", "f", 0, 100) == 26
    assert sm.run("BITCOUNT", "f", -100, -1) == 26
    assert sm.run("BITCOUNT", "f", 3, 2) == 0
    assert sm.run("BITCOUNT", "f", -1, -2) == 0
    assert sm.run("BITCOUNT", "f", 47, 47, "BIT") == 0
    assert sm.run("BITCOUNT", "f", -1, -1, "BIT") == 0
    assert sm.run("BITCOUNT", "f", 1, 2, "BIT") == 2


def test_bitcount_missing_and_empty(sm):
    assert sm.run("BITCOUNT", "missing") == 0
    # Redis answers 0 for a missing key before it looks at the other arguments.
    assert sm.run("BITCOUNT", "missing", "a", "b", "c", "d") == 0
    sm.run("SET", "empty", "")
    assert sm.run("BITCOUNT", "empty") == 0
    assert sm.run("BITCOUNT", "empty", 0, -1, "BIT") == 0


def test_bitcount_errors(sm):
    sm.run("SET", "f", "foobar")
    assert sm.error("BITCOUNT", "f", 0) == "ERR syntax error"
    assert sm.error("BITCOUNT", "f", 0, -1, "foo") == "ERR syntax error"
    assert sm.error("BITCOUNT", "f", 0, -1, "BIT", "x") == "ERR syntax error"
    assert sm.error("BITCOUNT", "f", "a", "b") == NOT_INTEGER
    # The "empty negative range" shortcut comes before the unit is parsed.
    assert sm.run("BITCOUNT", "f", -1, -2, "foo") == 0
    make_list(sm, "l")
    assert sm.error("BITCOUNT", "l") == WRONGTYPE
    assert sm.error("BITCOUNT") == "ERR wrong number of arguments for 'bitcount' command"


# -- BITPOS ---------------------------------------------------------------------------------------
def test_bitpos_set_bits(sm):
    sm.run("SET", "q", b"\x00\xff\xf0")
    assert sm.run("BITPOS", "q", 1) == 8
    assert sm.run("BITPOS", "q", 1, 0) == 8
    assert sm.run("BITPOS", "q", 1, 2) == 16
    assert sm.run("BITPOS", "q", 1, 2, -1, "BYTE") == 16
    assert sm.run("BITPOS", "q", 1, 7, 15, "BIT") == 8
    assert sm.run("BITPOS", "q", 1, 7, -3, "BIT") == 8
    assert sm.run("BITPOS", "q", 1, 20, -1, "BIT") == -1
    assert sm.run("BITPOS", "q", 1, 100) == -1
    sm.run("SET", "zero", b"\x00\x00")
    assert sm.run("BITPOS", "zero", 1) == -1


def test_bitpos_clear_bits_and_unspecified_end(sm):
    sm.run("SET", "p", b"\xff\xf0\x00")
    assert sm.run("BITPOS", "p", 0) == 12
    assert sm.run("BITPOS", "p", 0, 2, -1) == 16
    assert sm.run("BITPOS", "p", 0, 0, 0) == -1
    assert sm.run("BITPOS", "p", 0, 12, 15, "BIT") == 12
    sm.run("SET", "ones", b"\xff\xff\xff")
    # No end given: the string counts as followed by clear bits.
    assert sm.run("BITPOS", "ones", 0) == 24
    assert sm.run("BITPOS", "ones", 0, 1) == 24
    # An explicit end limits the search to the range.
    assert sm.run("BITPOS", "ones", 0, 0, -1) == -1
    assert sm.run("BITPOS", "ones", 0, 3, -1, "BIT") == -1
    assert sm.run("BITPOS", "ones", 1, -1) == 16


def test_bitpos_missing_and_empty(sm):
    assert sm.run("BITPOS", "missing", 0) == 0
    assert sm.run("BITPOS", "missing", 1) == -1
    assert sm.run("BITPOS", "missing", 0, "a", "b") == 0
    sm.run("SET", "empty", "")
    assert sm.run("BITPOS", "empty", 0) == -1
    assert sm.run("BITPOS", "empty", 1) == -1


def test_bitpos_errors(sm):
    sm.run("SET", "p", b"\xff")
    assert sm.error("BITPOS", "p", 2) == "ERR The bit argument must be 1 or 0."
    assert sm.error("BITPOS", "missing", 2) == "ERR The bit argument must be 1 or 0."
    assert sm.error("BITPOS", "p", "x") == NOT_INTEGER
    assert sm.error("BITPOS", "p", 1, "a") == NOT_INTEGER
    assert sm.error("BITPOS", "p", 0, 3, "BIT") == NOT_INTEGER  # "BIT" is read as the end
    assert sm.error("BITPOS", "p", 1, 0, "a", "foo") == "ERR syntax error"  # unit before end
    assert sm.error("BITPOS", "p", 1, 0, "a", "BIT") == NOT_INTEGER
    assert sm.error("BITPOS", "p", 1, 0, 1, "BIT", "x") == "ERR syntax error"
    make_list(sm, "l")
    assert sm.error("BITPOS", "l", 0) == WRONGTYPE
    assert sm.error("BITPOS", "p") == "ERR wrong number of arguments for 'bitpos' command"


# -- BITOP ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "operation, expected",
    [("AND", b"\x00\x00"), ("or", b"\xff\x0f"), ("XOR", b"\xff\x0f")],
)
def test_bitop_pads_shorter_strings_with_zeros(sm, operation, expected):
    sm.run("SET", "a", b"\x0f")
    sm.run("SET", "b", b"\xf0\x0f")
    assert sm.run("BITOP", operation, "d", "a", "b") == 2
    assert sm.run("GET", "d") == expected


def test_bitop_not_and_many_keys(sm):
    sm.run("SET", "b", b"\xf0\x0f")
    assert sm.run("BITOP", "NOT", "d", "b") == 2
    assert sm.run("GET", "d") == b"\x0f\xf0"
    sm.run("MSET", "x", b"\x01", "y", b"\x02", "z", b"\x04")
    assert sm.run("BITOP", "OR", "d", "x", "y", "z") == 1
    assert sm.run("GET", "d") == b"\x07"
    assert sm.run("BITOP", "AND", "d", "x", "missing") == 1
    assert sm.run("GET", "d") == b"\x00"


def test_bitop_overwrites_destination_and_drops_ttl(sm):
    make_list(sm, "d")
    sm.run("SET", "a", "foobar")
    assert sm.run("BITOP", "OR", "d", "a") == 6
    assert sm.run("TYPE", "d") == sm.run("TYPE", "a")
    sm.run("SET", "t", "v", "EX", 100)
    sm.run("BITOP", "OR", "t", "a")
    assert sm.run("TTL", "t") == -1


def test_bitop_empty_result_deletes_destination(sm):
    sm.run("SET", "d", "old")
    assert sm.run("BITOP", "AND", "d", "missing", "also-missing") == 0
    assert sm.run("EXISTS", "d") == 0
    make_list(sm, "l")
    assert sm.run("BITOP", "NOT", "l", "missing") == 0
    assert sm.run("EXISTS", "l") == 0


def test_bitop_errors(sm):
    sm.run("SET", "a", "x")
    make_list(sm, "l")
    assert sm.error("BITOP", "NAND", "d", "a") == "ERR syntax error"
    not_message = "ERR BITOP NOT must be called with a single source key."
    assert sm.error("BITOP", "NOT", "d", "a", "a") == not_message
    assert sm.error("BITOP", "AND", "d", "a", "l") == WRONGTYPE
    assert sm.error("BITOP", "AND", "d", "missing", "l") == WRONGTYPE
    assert sm.error("BITOP", "NOT", "d") == "ERR wrong number of arguments for 'bitop' command"
    assert sm.run("EXISTS", "d") == 0

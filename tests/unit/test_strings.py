"""GETRANGE SUBSTR SETRANGE LCS; expectations checked against Redis 7.0.15."""
from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from spinelraft.replies import Map

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"


def make_list(sm, key):
    sm.machine.dbs[sm.db].data[key.encode()] = deque([b"x"])


# -- GETRANGE / SUBSTR ---------------------------------------------------------------------------
def test_getrange_indexes(sm):
    sm.run("SET", "s", "Hello World")
    assert sm.run("GETRANGE", "s", 0, 4) == b"Hello"
    assert sm.run("GETRANGE", "s", -3, -1) == b"rld"
    assert sm.run("GETRANGE", "s", 0, -1) == b"Hello World"
    assert sm.run("GETRANGE", "s", 0, 100) == b"Hello World"
    assert sm.run("GETRANGE", "s", -100, 2) == b"Hel"
    assert sm.run("GETRANGE", "s", 0, -100) == b"H"  # end clips to 0, not to "empty"
    assert sm.run("GETRANGE", "s", -1, -3) == b""
    assert sm.run("GETRANGE", "s", 5, 3) == b""
    assert sm.run("GETRANGE", "s", 20, 30) == b""
    assert sm.run("GETRANGE", "s", 9223372036854775807, -9223372036854775808) == b""


def test_getrange_missing_empty_and_errors(sm):
    assert sm.run("GETRANGE", "missing", 0, 1) == b""  # an empty bulk, not nil
    sm.run("SET", "empty", "")
    assert sm.run("GETRANGE", "empty", 0, -1) == b""
    assert sm.error("GETRANGE", "missing", "a", 1) == NOT_INTEGER
    make_list(sm, "l")
    assert sm.error("GETRANGE", "l", 0, 1) == WRONGTYPE
    assert sm.error("GETRANGE", "l", "a", 1) == NOT_INTEGER
    assert sm.error("GETRANGE", "s", 0) == "ERR wrong number of arguments for 'getrange' command"


def test_substr_is_getrange(sm):
    sm.run("SET", "s", "Hello World")
    assert sm.run("SUBSTR", "s", 0, 4) == b"Hello"
    assert sm.run("SUBSTR", "s", -5, -1) == b"World"
    assert sm.run("SUBSTR", "missing", 0, 4) == b""
    assert sm.error("SUBSTR", "s", "x", 1) == NOT_INTEGER
    assert sm.error("SUBSTR", "s", 0) == "ERR wrong number of arguments for 'substr' command"


# -- SETRANGE ------------------------------------------------------------------------------------
def test_setrange_overwrites_and_pads(sm):
    assert sm.run("SETRANGE", "s", 2, "ab") == 4
    assert sm.run("GET", "s") == b"\x00\x00ab"
    assert sm.run("SETRANGE", "s", 1, "XYZW") == 5
    assert sm.run("GET", "s") == b"\x00XYZW"
    sm.run("SET", "h", "Hello World")
    assert sm.run("SETRANGE", "h", 6, "Redis") == 11
    assert sm.run("GET", "h") == b"Hello Redis"
    assert sm.run("SETRANGE", "h", 0, "J") == 11
    assert sm.run("GET", "h") == b"Jello Redis"


def test_setrange_empty_value_changes_nothing(sm):
    assert sm.run("SETRANGE", "s", 5, "") == 0
    assert sm.run("EXISTS", "s") == 0
    assert sm.run("SETRANGE", "s", 536870912, "") == 0  # no size check when writing nothing
    sm.run("SET", "s", "abc")
    assert sm.run("SETRANGE", "s", 536870911, "") == 3
    assert sm.run("GET", "s") == b"abc"
    sm.run("SET", "empty", "")
    assert sm.run("SETRANGE", "empty", 0, "") == 0
    assert sm.run("EXISTS", "empty") == 1


def test_setrange_keeps_ttl(sm):
    sm.run("SET", "s", "abc", "EX", 100)
    assert sm.run("SETRANGE", "s", 1, "X") == 3
    assert sm.run("GET", "s") == b"aXc"
    assert sm.run("TTL", "s") == 100


def test_setrange_errors(sm):
    sm.run("SET", "s", "abc")
    assert sm.error("SETRANGE", "s", -1, "x") == "ERR offset is out of range"
    assert sm.error("SETRANGE", "s", 536870912, "x") == TOO_LONG
    assert sm.error("SETRANGE", "s", 536870911, "xy") == TOO_LONG
    assert sm.error("SETRANGE", "new", 536870912, "x") == TOO_LONG
    assert sm.error("SETRANGE", "s", 9223372036854775807, "x") == TOO_LONG
    assert sm.error("SETRANGE", "s", 9223372036854775808, "x") == NOT_INTEGER
    assert sm.error("SETRANGE", "s", "a", "x") == NOT_INTEGER
    make_list(sm, "l")
    assert sm.error("SETRANGE", "l", 0, "") == WRONGTYPE
    assert sm.error("SETRANGE", "l", 536870912, "x") == WRONGTYPE
    assert sm.error("SETRANGE", "l", -1, "x") == "ERR offset is out of range"
    assert sm.run("GET", "s") == b"abc"
    assert sm.run("EXISTS", "new") == 0


# -- LCS -----------------------------------------------------------------------------------------
def test_lcs_string_and_len(sm):
    sm.run("MSET", "k1", "ohmytext", "k2", "mynewtext")
    assert sm.run("LCS", "k1", "k2") == b"mytext"
    assert sm.run("LCS", "k1", "k2", "LEN") == 6
    assert sm.run("LCS", "k1", "missing") == b""
    assert sm.run("LCS", "k1", "missing", "LEN") == 0
    assert sm.run("LCS", "k1", "k1") == b"ohmytext"


def test_lcs_idx(sm):
    sm.run("MSET", "k1", "ohmytext", "k2", "mynewtext")
    expected = Map([(b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]]), (b"len", 6)])
    assert sm.run("LCS", "k1", "k2", "IDX") == expected
    with_len = Map([(b"matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]]), (b"len", 6)])
    assert sm.run("LCS", "k1", "k2", "IDX", "WITHMATCHLEN") == with_len
    only_long = Map([(b"matches", [[[4, 7], [5, 8], 4]]), (b"len", 6)])
    assert sm.run("LCS", "k1", "k2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN") == only_long
    assert sm.run("LCS", "k1", "k2", "IDX", "MINMATCHLEN", -5) == expected
    assert sm.run("LCS", "k1", "missing", "IDX") == Map([(b"matches", []), (b"len", 0)])


def test_lcs_errors(sm):
    sm.run("MSET", "k1", "ohmytext", "k2", "mynewtext")
    make_list(sm, "l")
    not_strings = "ERR The specified keys must contain string values"
    assert sm.error("LCS", "k1", "l") == not_strings
    assert sm.error("LCS", "l", "k2", "MINMATCHLEN", "x") == not_strings  # types come first
    assert sm.error("LCS", "k1", "k2", "IDX", "LEN") == (
        "ERR If you want both the length and indexes, please just use IDX."
    )
    assert sm.error("LCS", "k1", "k2", "MINMATCHLEN") == "ERR syntax error"
    assert sm.error("LCS", "k1", "k2", "MINMATCHLEN", "x") == NOT_INTEGER
    assert sm.error("LCS", "k1", "k2", "LEN", "foo") == "ERR syntax error"
    assert sm.error("LCS", "k1") == "ERR wrong number of arguments for 'lcs' command"


def test_lcs_refuses_tables_larger_than_proto_max_bulk_len(sm):
    # Redis's (len(a)+1) * (len(b)+1) table of 4-byte cells may not exceed 512MB.
    sm.run("SET", "a", "a" * 100)
    sm.run("SET", "b", "b" * 1328887)
    assert sm.run("LCS", "a", "b", "LEN") == 0
    sm.run("SET", "b", "b" * 1328888)
    message = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
    assert sm.error("LCS", "a", "b", "LEN") == message


def reference_lcs(a: bytes, b: bytes, min_match_len: int = 0, with_match_len: bool = False):
    """A literal port of Redis 7.0's lcsCommand (full table, same walk) to check the fast one."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    alen = len(a)
    a_start, a_end, b_start, b_end = alen, 0, 0, 0
    result, matches = bytearray(), []
    i, j = len(a), len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result.append(a[i - 1])
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start, b_start = a_start - 1, b_start - 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            i, j = i - 1, j - 1
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            length = a_end - a_start + 1
            if min_match_len == 0 or length >= min_match_len:
                match = [[a_start, a_end], [b_start, b_end]]
                matches.append(match + [length] if with_match_len else match)
            a_start = alen
    return bytes(reversed(result)), matches, table[len(a)][len(b)]


texts = st.one_of(
    st.binary(max_size=40),
    st.text(alphabet="ab", max_size=150).map(str.encode),
    st.text(alphabet="acgt", max_size=90).map(str.encode),
)


@settings(max_examples=150, deadline=None)
@given(a=texts, b=texts, min_match_len=st.integers(0, 4))
def test_lcs_matches_a_direct_port_of_redis(a, b, min_match_len):
    from tests.unit.conftest import Harness

    sm = Harness()
    sm.run("MSET", "a", a, "b", b)
    common, matches, length = reference_lcs(a, b, min_match_len, True)
    assert sm.run("LCS", "a", "b") == common
    assert sm.run("LCS", "a", "b", "LEN") == length
    reply = sm.run("LCS", "a", "b", "IDX", "MINMATCHLEN", min_match_len, "WITHMATCHLEN")
    assert reply == Map([(b"matches", matches), (b"len", length)])

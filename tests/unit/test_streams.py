"""Stream commands. Expected replies and error texts were checked against Redis 7.0.15
(redis-cli and a raw socket for nil versus the null array)."""
import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.replies import NULL_ARRAY, OK, KeyedArray, Map, Simple
from spinelraft.statemachine.snapshot import digest, iter_records, load_records
from spinelraft.statemachine.stream_value import (
    StreamValue,
    integer_element_size,
    radix_tree_nodes,
    string_element_size,
)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
TOO_SMALL = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
NO_SUCH_KEY = "ERR no such key"
ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"


def arity(name):
    return "ERR wrong number of arguments for '%s' command" % name


def entry(entry_id, *pairs):
    return [entry_id.encode(), [part.encode() for part in pairs]]


def as_dict(reply):
    """A Map reply (XINFO) as a dict keyed by str."""
    assert isinstance(reply, Map)
    return {key.decode(): value for key, value in reply.items}


def read(sm, *argv):
    """An XREAD/XREADGROUP reply as [[key, entries], ...] (a KeyedArray: pairs in RESP2, a map
    in RESP3); the null array passes through."""
    reply = sm.run(*argv)
    if reply is NULL_ARRAY:
        return reply
    assert isinstance(reply, KeyedArray)
    return [[key, entries] for key, entries in reply.items]


def info(sm, key="s"):
    return as_dict(sm.run("XINFO", "STREAM", key))


@pytest.fixture
def abc(sm):
    """s: 1-1 f1 v1, 2-1 f2 v2, 3-1 f3 v3; str: a string."""
    for number in (1, 2, 3):
        sm.run("XADD", "s", "%d-1" % number, "f%d" % number, "v%d" % number)
    sm.run("SET", "str", "x")
    return sm


@pytest.fixture
def grouped(abc):
    """abc plus group g at 0, and consumer c that read all three entries."""
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    return abc


# -- XADD -----------------------------------------------------------------------------------------
def test_xadd_explicit_ids_and_reply(sm):
    assert sm.run("XADD", "s", "1-1", "a", "1") == b"1-1"
    assert sm.run("XADD", "s", "1-2", "a", "2", "b", "3") == b"1-2"
    assert sm.run("XADD", "s", "5", "a", "4") == b"5-0"
    assert sm.run("TYPE", "s") == Simple("stream")
    assert sm.run("OBJECT", "ENCODING", "s") == b"stream"
    assert sm.run("XRANGE", "s", "-", "+") == [entry("1-1", "a", "1"),
                                               entry("1-2", "a", "2", "b", "3"),
                                               entry("5-0", "a", "4")]


def test_xadd_star_uses_entry_time_and_never_goes_back(sm):
    sm.now_ms = 1000
    assert sm.run("XADD", "s", "*", "f", "v") == b"1000-0"
    assert sm.run("XADD", "s", "*", "f", "v") == b"1000-1"
    sm.now_ms = 999  # the clock moved back: keep the last ms, bump the sequence
    assert sm.run("XADD", "s", "*", "f", "v") == b"1000-2"
    sm.now_ms = 2000
    assert sm.run("XADD", "s", "*", "f", "v") == b"2000-0"
    sm.run("XADD", "s", "3000-18446744073709551615", "f", "v")
    assert sm.run("XADD", "s", "*", "f", "v") == b"3001-0"


def test_xadd_ms_star_form(sm):
    assert sm.run("XADD", "s", "0-*", "f", "v") == b"0-1"
    assert sm.run("XADD", "s", "5-*", "f", "v") == b"5-0"
    assert sm.run("XADD", "s", "5-*", "f", "v") == b"5-1"
    assert sm.error("XADD", "s", "4-*", "f", "v") == TOO_SMALL
    sm.run("XADD", "s", "6-18446744073709551615", "f", "v")
    assert sm.error("XADD", "s", "6-*", "f", "v") == TOO_SMALL


def test_xadd_id_errors(sm):
    assert sm.error("XADD", "s", "0-0", "f", "v") == ID_ZERO
    assert sm.error("XADD", "s", "0", "f", "v") == ID_ZERO
    for bad in ("foo", "-", "+", "1-x", "-1", "1-2-3", "18446744073709551616-0",
                "5-18446744073709551616"):
        assert sm.error("XADD", "s", bad, "f", "v") == INVALID_ID, bad
    sm.run("XADD", "s", "5-5", "f", "v")
    assert sm.error("XADD", "s", "5-5", "f", "v") == TOO_SMALL
    assert sm.error("XADD", "s", "5-4", "f", "v") == TOO_SMALL
    assert sm.run("XLEN", "s") == 1


def test_xadd_exhausted_stream(sm):
    top = "18446744073709551615-18446744073709551615"
    assert sm.run("XADD", "s", top, "f", "v") == top.encode()
    exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items"
    for new_id in ("*", "5-*", "18446744073709551615-*"):
        assert sm.error("XADD", "s", new_id, "f", "v") == exhausted


def test_xadd_lenient_id_numbers_like_strtoull(sm):
    assert sm.run("XADD", "s", "007-+3", "f", "v") == b"7-3"
    assert sm.run("XADD", "s", " 8- 1", "f", "v") == b"8-1"
    assert sm.run("XADD", "s", "9\x00junk", "f", "v") == b"9-0"  # C sees "9"
    assert sm.error("XADD", "s", "1" * 128, "f", "v") == INVALID_ID


def test_xadd_arity_and_option_errors(sm):
    assert sm.error("XADD", "s", "*") == arity("xadd")
    assert sm.error("XADD", "s", "*", "f", "v", "g") == arity("xadd")
    assert sm.error("XADD", "s", "NOMKSTREAM", "MAXLEN", "5") == arity("xadd")  # no ID left
    assert sm.error("XADD", "s", "MAXLEN", "-1", "*", "f", "v") == \
        "ERR The MAXLEN argument must be >= 0."
    assert sm.error("XADD", "s", "MAXLEN", "x", "*", "f", "v") == NOT_INTEGER
    assert sm.error("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "f", "v") == \
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    assert sm.error("XADD", "s", "LIMIT", "10", "*", "f", "v") == \
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    assert sm.error("XADD", "s", "MAXLEN", "1", "LIMIT", "10", "*", "f", "v") == \
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    assert sm.error("XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-1", "*", "f", "v") == \
        "ERR The LIMIT argument must be >= 0."
    assert sm.error("XADD", "s", "MINID", "~", "-", "*", "f", "v") == INVALID_ID
    assert sm.error("XADD", "s", "MAXLEN", "=", "5", "f", "v") == INVALID_ID  # "f" is the ID
    assert sm.run("EXISTS", "s") == 0


def test_xadd_nomkstream_and_wrongtype(abc):
    assert abc.run("XADD", "nokey", "NOMKSTREAM", "*", "f", "v") is None
    assert abc.run("EXISTS", "nokey") == 0
    assert abc.run("XADD", "s", "NOMKSTREAM", "4-1", "f", "v") == b"4-1"
    assert abc.error("XADD", "str", "*", "f", "v") == WRONGTYPE


def test_xadd_trims_after_adding(abc):
    assert abc.run("XADD", "s", "MAXLEN", "2", "4-1", "f4", "v4") == b"4-1"
    assert abc.run("XRANGE", "s", "-", "+") == [entry("3-1", "f3", "v3"), entry("4-1", "f4", "v4")]
    assert abc.run("XADD", "s", "MINID", "=", "4", "5-1", "f5", "v5") == b"5-1"
    assert abc.run("XLEN", "s") == 2
    # ~ only drops whole nodes: the one node holds every entry, the new one included
    assert abc.run("XADD", "s", "MAXLEN", "~", "1", "6-1", "f", "v") == b"6-1"
    assert abc.run("XLEN", "s") == 3
    assert abc.run("XADD", "s", "MAXLEN", "~", "0", "7-1", "f", "v") == b"7-1"
    assert abc.run("XLEN", "s") == 0


# -- XLEN / XRANGE / XREVRANGE --------------------------------------------------------------------
def test_xlen(abc):
    assert abc.run("XLEN", "s") == 3
    assert abc.run("XLEN", "nokey") == 0
    assert abc.error("XLEN", "str") == WRONGTYPE
    assert abc.error("XLEN", "s", "x") == "ERR wrong number of arguments for 'xlen' command"


def test_xrange_bounds(abc):
    all_three = [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]
    assert abc.run("XRANGE", "s", "-", "+") == all_three
    assert abc.run("XRANGE", "s", "2", "2") == [entry("2-1", "f2", "v2")]  # 2-0 .. 2-max
    assert abc.run("XRANGE", "s", "(1-1", "+") == all_three[1:]
    assert abc.run("XRANGE", "s", "2", "(3") == all_three[1:]  # (3 is 3-max exclusive
    assert abc.run("XRANGE", "s", "2", "(3-1") == all_three[1:2]
    assert abc.run("XRANGE", "s", "(0-0", "+") == all_three
    assert abc.run("XRANGE", "s", "-", "(0") == []
    assert abc.run("XRANGE", "s", "3", "1") == []
    assert abc.run("XRANGE", "s", "1- -1", "+") == all_three[1:]  # strtoull(" -1") wraps


def test_xrange_count(abc):
    assert abc.run("XRANGE", "s", "-", "+", "COUNT", "1") == [entry("1-1", "f1", "v1")]
    assert abc.run("XRANGE", "s", "-", "+", "count", "1", "COUNT", "2") == \
        [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2")]
    assert abc.run("XRANGE", "s", "-", "+", "COUNT", "0") is NULL_ARRAY
    assert abc.run("XRANGE", "s", "-", "+", "COUNT", "-1") is NULL_ARRAY
    assert abc.run("XRANGE", "nokey", "-", "+", "COUNT", "0") == []
    assert abc.error("XRANGE", "s", "-", "+", "COUNT") == SYNTAX
    assert abc.error("XRANGE", "s", "-", "+", "COUNT", "1", "junk") == SYNTAX
    assert abc.error("XRANGE", "s", "-", "+", "COUNT", "x") == NOT_INTEGER


def test_xrange_errors(abc):
    for bad in ("(", "(-", "x", "1-", "1--1", "((1", "18446744073709551616"):
        assert abc.error("XRANGE", "s", bad, "+") == INVALID_ID, bad
    assert abc.error("XRANGE", "s", "-", "(+") == INVALID_ID
    assert abc.error("XRANGE", "s", "-", "(0-0") == "ERR invalid end ID for the interval"
    assert abc.error("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+") == \
        "ERR invalid start ID for the interval"
    assert abc.error("XRANGE", "str", "-", "+") == WRONGTYPE
    assert abc.error("XRANGE", "str", "x", "+") == INVALID_ID  # arguments first
    assert abc.error("XRANGE", "s", "-") == "ERR wrong number of arguments for 'xrange' command"


def test_xrevrange(abc):
    assert abc.run("XREVRANGE", "s", "+", "-") == [
        entry("3-1", "f3", "v3"), entry("2-1", "f2", "v2"), entry("1-1", "f1", "v1")]
    assert abc.run("XREVRANGE", "s", "(3-1", "(1-1") == [entry("2-1", "f2", "v2")]
    assert abc.run("XREVRANGE", "s", "+", "-", "COUNT", "1") == [entry("3-1", "f3", "v3")]
    assert abc.run("XREVRANGE", "s", "-", "+") == []


# -- XDEL / XTRIM ---------------------------------------------------------------------------------
def test_xdel(abc):
    assert abc.run("XDEL", "s", "1-1", "1-1", "1") == 1
    assert abc.run("XDEL", "s", "2", "5-5") == 0
    assert abc.error("XDEL", "s", "2-1", "x") == INVALID_ID
    assert abc.run("XLEN", "s") == 2  # nothing deleted by the failed call
    assert abc.error("XDEL", "s", "-") == INVALID_ID
    assert abc.run("XDEL", "nokey", "x") == 0  # no key: 0 before the IDs are read
    assert abc.error("XDEL", "str", "1-1") == WRONGTYPE
    assert abc.run("XDEL", "s", "2-1", "3-1") == 2
    assert abc.run("EXISTS", "s") == 1  # an empty stream stays
    stream = info(abc)
    assert stream["length"] == 0 and stream["max-deleted-entry-id"] == b"3-1"
    assert stream["recorded-first-entry-id"] == b"0-0" and stream["first-entry"] is None


def test_xtrim_exact(abc):
    assert abc.run("XTRIM", "s", "MAXLEN", "2") == 1
    assert abc.run("XTRIM", "s", "MAXLEN", "=", "5") == 0
    assert abc.run("XTRIM", "s", "MINID", "3") == 1
    assert abc.run("XRANGE", "s", "-", "+") == [entry("3-1", "f3", "v3")]
    assert abc.run("XTRIM", "s", "MAXLEN", "0") == 1
    assert abc.run("EXISTS", "s") == 1
    assert abc.run("XTRIM", "nokey", "MAXLEN", "1") == 0
    assert info(abc)["recorded-first-entry-id"] == b"0-0"


def test_xtrim_errors(abc):
    assert abc.error("XTRIM", "s", "MAXLEN") == "ERR wrong number of arguments for 'xtrim' command"
    assert abc.error("XTRIM", "s", "LIMIT", "5") == \
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
    assert abc.error("XTRIM", "s", "MAXLEN", "1", "LIMIT", "5") == \
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    assert abc.error("XTRIM", "s", "LIMIT", "0", "MAXLEN", "1") == \
        "ERR syntax error, LIMIT cannot be used without the special ~ option"
    assert abc.error("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "5", "foo") == SYNTAX
    assert abc.error("XTRIM", "s", "NOMKSTREAM", "MAXLEN", "2") == SYNTAX
    assert abc.error("XTRIM", "s", "MINID", "1-*") == INVALID_ID
    assert abc.error("XTRIM", "s", "MINID", "+") == INVALID_ID
    assert abc.error("XTRIM", "s", "MAXLEN", "-0") == NOT_INTEGER
    assert abc.error("XTRIM", "s", "MAXLEN", "1", "MAXLEN", "2") == \
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
    assert abc.error("XTRIM", "nokey", "MAXLEN", "x") == NOT_INTEGER
    assert abc.error("XTRIM", "str", "MAXLEN", "1") == WRONGTYPE
    assert abc.run("XLEN", "s") == 3


def test_approximate_trimming_drops_whole_nodes(sm):
    for number in range(1, 251):  # nodes of 100 entries: 1..100, 101..200, 201..250
        sm.run("XADD", "s", "%d-0" % number, "f", "v")
    assert info(sm)["radix-tree-keys"] == 3
    assert sm.run("XTRIM", "s", "MAXLEN", "~", "180") == 0  # dropping node 1 would leave 150
    assert sm.run("XTRIM", "s", "MAXLEN", "~", "120") == 100
    assert sm.run("XTRIM", "s", "MINID", "~", "240") == 100
    assert sm.run("XLEN", "s") == 50
    assert sm.run("XTRIM", "s", "MAXLEN", "=", "10") == 40
    assert info(sm)["radix-tree-keys"] == 1  # the node remains, with deleted entries inside


def test_approximate_trimming_limit(sm):
    for number in range(1, 301):
        sm.run("XADD", "s", "%d-0" % number, "f", "v")
    assert sm.run("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "150") == 100
    assert sm.run("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0") == 200  # 0: no limit


def test_nodes_count_deleted_entries_and_bytes(sm):
    for number in range(1, 101):
        sm.run("XADD", "s", "%d-0" % number, "f", "v")
    sm.run("XDEL", "s", *["%d-0" % number for number in range(1, 51)])
    sm.run("XADD", "s", "101-0", "f", "v")
    stream = info(sm)
    assert (stream["radix-tree-keys"], stream["radix-tree-nodes"]) == (2, 6)
    sm.run("DEL", "big")
    sm.run("XADD", "big", "1-0", "f", "x" * 3000)
    sm.run("XADD", "big", "2-0", "f", "y" * 1064)  # 3030 + 1 + 1064 < 4096: same listpack
    sm.run("XADD", "big", "3-0", "f", "y")
    assert info(sm, "big")["radix-tree-keys"] == 2


def test_xdel_of_a_node_last_entry_drops_the_node(sm):
    sm.run("XADD", "s", "1-0", "f", "v")
    assert (info(sm)["radix-tree-keys"], info(sm)["radix-tree-nodes"]) == (1, 2)
    sm.run("XDEL", "s", "1-0")
    assert (info(sm)["radix-tree-keys"], info(sm)["radix-tree-nodes"]) == (0, 1)


def test_listpack_element_sizes():
    numbers = (0, 127, 128, -1, 4095, 4096, 32767, 2**23, 2**31, 2**40)
    assert [integer_element_size(n) for n in numbers] == [2, 2, 3, 3, 3, 4, 4, 6, 10, 10]
    assert string_element_size(b"12") == 2  # an integer string is stored as an integer
    assert string_element_size(b"012") == 5
    assert string_element_size(b"x" * 63) == 65
    assert string_element_size(b"x" * 64) == 67
    assert string_element_size(b"x" * 3000) == 3004
    assert string_element_size(b"x" * 5000) == 5007


def test_radix_tree_node_count():
    one = 1 << 64
    assert radix_tree_nodes([]) == 1
    assert radix_tree_nodes([one]) == 2
    assert radix_tree_nodes([one, 101 << 64]) == 6
    assert radix_tree_nodes([one, one + 1]) == 4  # they differ in the last byte only


# -- XREAD -----------------------------------------------------------------------------------------
def test_xread(abc):
    assert read(abc, "XREAD", "STREAMS", "s", "0") == [[b"s", [
        entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]]]
    assert read(abc, "XREAD", "COUNT", "1", "STREAMS", "s", "nokey", "0", "0") == \
        [[b"s", [entry("1-1", "f1", "v1")]]]
    assert read(abc, "XREAD", "STREAMS", "s", "2-1") == [[b"s", [entry("3-1", "f3", "v3")]]]
    assert read(abc, "XREAD", "STREAMS", "s", "3-1") is NULL_ARRAY
    assert read(abc, "XREAD", "STREAMS", "s", "$") is NULL_ARRAY
    assert read(abc, "XREAD", "STREAMS", "s", "s", "0", "2-1") == [
        [b"s", [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]],
        [b"s", [entry("3-1", "f3", "v3")]]]
    assert read(abc, "XREAD", "COUNT", "-5", "STREAMS", "s", "2") == [  # 2 is 2-0
        [b"s", [entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]]]


def test_xread_block_is_parsed_but_never_waits(abc):
    assert read(abc, "XREAD", "BLOCK", "0", "STREAMS", "s", "$") is NULL_ARRAY
    assert read(abc, "XREAD", "BLOCK", "10", "STREAMS", "s", "2-1") == \
        [[b"s", [entry("3-1", "f3", "v3")]]]
    assert abc.error("XREAD", "BLOCK", "x", "STREAMS", "s", "0") == TIMEOUT_NOT_INTEGER
    assert abc.error("XREAD", "BLOCK", "1.5", "STREAMS", "s", "0") == TIMEOUT_NOT_INTEGER
    assert abc.error("XREAD", "BLOCK", "-1", "STREAMS", "s", "0") == "ERR timeout is negative"


def test_xread_errors(abc):
    assert abc.error("XREAD", "STREAMS", "s") == "ERR wrong number of arguments for 'xread' command"
    assert abc.error("XREAD", "STREAMS", "s", "t", "0") == \
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    assert abc.error("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0") == \
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
    assert abc.error("XREAD", "NOACK", "STREAMS", "s", "0") == \
        "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
    assert abc.error("XREAD", "STREAMS", "s", ">") == (
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
        "<consumer> option.")
    assert abc.error("XREAD", "FOO", "STREAMS", "s", "0") == SYNTAX
    assert abc.error("XREAD", "COUNT", "1", "STREAMS") == SYNTAX
    assert abc.error("XREAD", "COUNT", "1", "BLOCK") == SYNTAX
    assert abc.error("XREAD", "COUNT", "x", "STREAMS", "s", "0") == NOT_INTEGER
    for bad in ("-", "+", "x"):
        assert abc.error("XREAD", "STREAMS", "s", bad) == INVALID_ID
    assert abc.error("XREAD", "STREAMS", "s", "0", "COUNT", "1") == INVALID_ID
    assert abc.error("XREAD", "STREAMS", "str", "0") == WRONGTYPE
    assert abc.error("XREAD", "STREAMS", "s", "str", "x", "0") == INVALID_ID  # in argument order
    assert abc.error("XREAD", "STREAMS", "s", "str", "0", "x") == WRONGTYPE


def test_read_commands_key_positions():
    xread = COMMANDS[b"xread"]
    argv = [b"XREAD", b"COUNT", b"1", b"BLOCK", b"0", b"STREAMS", b"a", b"b", b"0", b"0"]
    assert xread.keys(argv) == [b"a", b"b"]
    assert xread.keys([b"XREAD", b"STREAMS", b"a", b"b", b"c"]) == []
    xreadgroup = COMMANDS[b"xreadgroup"]
    argv = [b"XREADGROUP", b"GROUP", b"g", b"c", b"NOACK", b"streams", b"k", b">"]
    assert xreadgroup.keys(argv) == [b"k"]
    assert COMMANDS[b"xgroup"].keys([b"XGROUP", b"CREATE", b"k", b"g", b"$"]) == [b"k"]
    assert COMMANDS[b"xgroup"].keys([b"XGROUP", b"HELP"]) == []
    assert COMMANDS[b"xinfo"].keys([b"XINFO", b"STREAM", b"k"]) == [b"k"]
    assert "@stream" in xread.acl_categories and "@blocking" in xread.acl_categories
    assert COMMANDS[b"xreadgroup"].is_write and not xread.is_write


# -- XGROUP ----------------------------------------------------------------------------------------
def test_xgroup_create(abc):
    assert abc.run("XGROUP", "CREATE", "s", "g", "$") == OK
    assert abc.error("XGROUP", "CREATE", "s", "g", "0") == \
        "BUSYGROUP Consumer Group name already exists"
    assert abc.run("XGROUP", "CREATE", "s", "g2", "1", "ENTRIESREAD", "1") == OK
    assert abc.run("XGROUP", "CREATE", "new", "g", "$", "MKSTREAM") == OK
    assert abc.run("XLEN", "new") == 0
    assert abc.run("XGROUP", "CREATE", "new", "g3", "$", "MKSTREAM", "ENTRIESREAD", "-1") == OK
    groups = [as_dict(group) for group in abc.run("XINFO", "GROUPS", "s")]
    assert [(g["name"], g["last-delivered-id"], g["entries-read"], g["lag"]) for g in groups] == \
        [(b"g", b"3-1", None, 0), (b"g2", b"1-0", 1, 2)]


def test_xgroup_create_errors(abc):
    required = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you "
                "may want to use the MKSTREAM option to create an empty stream automatically.")
    assert abc.error("XGROUP", "CREATE", "nokey", "g", "$") == required
    assert abc.error("XGROUP", "CREATE", "s", "g") == arity("xgroup|create")
    assert abc.error("XGROUP", "CREATE", "s", "g", "$", "foo") == \
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    assert abc.error("XGROUP", "Create", "s", "g", "$", "foo") == \
        "ERR unknown subcommand or wrong number of arguments for 'Create'. Try XGROUP HELP."
    too_many = ("MKSTREAM",) * 4
    assert abc.error("XGROUP", "CREATE", "s", "g", "$", *too_many) == \
        "ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."
    assert abc.error("XGROUP", "CREATE", "nokey", "g", "x", "MKSTREAM") == INVALID_ID
    assert abc.error("XGROUP", "CREATE", "s", "g", "-") == INVALID_ID
    assert abc.error("XGROUP", "CREATE", "s", "g", "1-*") == INVALID_ID
    assert abc.error("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "x") == NOT_INTEGER
    assert abc.error("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "-2") == \
        "ERR value for ENTRIESREAD must be positive or -1"
    assert abc.error("XGROUP", "CREATE", "str", "g", "$", "MKSTREAM") == WRONGTYPE
    assert abc.run("EXISTS", "nokey") == 0


def test_xgroup_setid_destroy_and_consumers(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    assert abc.run("XGROUP", "SETID", "s", "g", "2-1", "ENTRIESREAD", "2") == OK
    assert as_dict(abc.run("XINFO", "GROUPS", "s")[0])["lag"] == 1
    assert abc.run("XGROUP", "SETID", "s", "g", "+") == OK  # SETID accepts "-" and "+"
    assert abc.run("XGROUP", "SETID", "s", "g", "$") == OK
    assert abc.run("XGROUP", "CREATECONSUMER", "s", "g", "c") == 1
    assert abc.run("XGROUP", "CREATECONSUMER", "s", "g", "c") == 0
    assert abc.run("XGROUP", "DELCONSUMER", "s", "g", "c") == 0
    assert abc.run("XGROUP", "DELCONSUMER", "s", "g", "c") == 0
    assert abc.run("XGROUP", "DESTROY", "s", "g") == 1
    assert abc.run("XGROUP", "DESTROY", "s", "g") == 0


def test_xgroup_errors(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    nogroup = "NOGROUP No such consumer group 'nog' for key name 's'"
    assert abc.error("XGROUP", "SETID", "s", "nog", "1") == nogroup
    assert abc.error("XGROUP", "CREATECONSUMER", "s", "nog", "c") == nogroup
    assert abc.error("XGROUP", "DELCONSUMER", "s", "nog", "c") == nogroup
    assert abc.error("XGROUP", "SETID", "s", "g", "1-*") == INVALID_ID
    assert abc.error("XGROUP", "SETID", "s", "g", "1", "MKSTREAM") == \
        "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    assert abc.error("XGROUP", "SETID", "s", "g", "1", "ENTRIESREAD", "5", "x") == \
        "ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP."
    assert abc.error("XGROUP", "DESTROY", "s", "g", "x") == arity("xgroup|destroy")
    assert abc.error("XGROUP", "CREATECONSUMER", "s", "g") == arity("xgroup|createconsumer")
    assert abc.error("XGROUP", "FOO", "s", "g") == "ERR unknown subcommand 'FOO'. Try XGROUP HELP."
    assert abc.error("XGROUP") == arity("xgroup")
    assert abc.error("XGROUP", "HELP", "x") == arity("xgroup|help")
    assert abc.error("XGROUP", "DESTROY", "str", "g") == WRONGTYPE


def test_xgroup_help(sm):
    lines = sm.run("XGROUP", "HELP")
    assert lines[0] == Simple("XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    assert lines[1] == Simple("CREATE <key> <groupname> <id|$> [option]")
    assert lines[-2:] == [Simple("HELP"), Simple("    Prints this help.")]
    assert len(lines) == 17


# -- XREADGROUP ------------------------------------------------------------------------------------
def test_xreadgroup_new_entries_and_history(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    everything = [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") == [[b"s", everything]]
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is NULL_ARRAY
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0") == [[b"s", everything]]
    assert read(abc, "XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", "0") == [[b"s", []]]
    abc.run("XDEL", "s", "2-1")
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", "1-1") == \
        [[b"s", [[b"2-1", NULL_ARRAY], entry("3-1", "f3", "v3")]]]
    # history reads count as deliveries, except for entries that are gone
    assert abc.run("XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"c", 0, 2], [b"2-1", b"c", 0, 2], [b"3-1", b"c", 0, 3]]


def test_xreadgroup_counters_and_noack(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "NOACK", "STREAMS", "s", ">") == \
        [[b"s", [entry("1-1", "f1", "v1")]]]
    group = as_dict(abc.run("XINFO", "GROUPS", "s")[0])
    assert (group["pending"], group["last-delivered-id"], group["entries-read"], group["lag"]) == \
        (0, b"1-1", 1, 2)
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == \
        [[b"s", [entry("2-1", "f2", "v2"), entry("3-1", "f3", "v3")]]]
    assert abc.run("XPENDING", "s", "g") == [2, b"2-1", b"3-1", [[b"c", b"2"]]]


def test_xreadgroup_reassigns_entries_after_setid(grouped):
    grouped.now_ms += 500
    grouped.run("XGROUP", "SETID", "s", "g", "1-1")
    assert read(grouped, "XREADGROUP", "GROUP", "g", "other", "COUNT", "1", "STREAMS", "s", ">") == \
        [[b"s", [entry("2-1", "f2", "v2")]]]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"c", 500, 1], [b"2-1", b"other", 0, 1], [b"3-1", b"c", 500, 1]]


def test_xreadgroup_creates_consumers_only_when_serving(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "$")
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is NULL_ARRAY
    assert abc.run("XINFO", "CONSUMERS", "s", "g") == []
    assert read(abc, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0") == [[b"s", []]]
    assert len(abc.run("XINFO", "CONSUMERS", "s", "g")) == 1


def test_xreadgroup_errors(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    assert abc.error("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">") == \
        "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "nokey", ">", ">") == \
        "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$").startswith(
        "ERR The $ ID is meaningless in the context of XREADGROUP")
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "+") == INVALID_ID
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">") == WRONGTYPE
    assert abc.error("XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">") == \
        "ERR Missing GROUP option for XREADGROUP"
    assert abc.error("XREADGROUP", "GROUP", "g", "STREAMS", "s", ">") == \
        "ERR wrong number of arguments for 'xreadgroup' command"
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">") == \
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
    assert abc.error("XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">") == \
        "ERR timeout is not an integer or out of range"
    assert abc.run("XPENDING", "s", "g") == [0, None, None, NULL_ARRAY]


# -- XACK / XPENDING -------------------------------------------------------------------------------
def test_xack(grouped):
    assert grouped.run("XACK", "s", "g", "1-1", "1-1", "9-9") == 1
    assert grouped.error("XACK", "s", "g", "2-1", "-") == INVALID_ID
    assert grouped.run("XPENDING", "s", "g") == [2, b"2-1", b"3-1", [[b"c", b"2"]]]
    assert grouped.run("XACK", "s", "nog", "x") == 0  # no group: 0 before the IDs are read
    assert grouped.run("XACK", "nokey", "g", "x") == 0
    assert grouped.error("XACK", "str", "g", "1-1") == WRONGTYPE
    assert grouped.error("XACK", "s", "g") == "ERR wrong number of arguments for 'xack' command"


def test_xpending_forms(grouped):
    read(grouped, "XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", "0")  # d has nothing pending
    grouped.now_ms += 100
    grouped.run("XCLAIM", "s", "g", "d", "0", "3-1")
    assert grouped.run("XPENDING", "s", "g") == [3, b"1-1", b"3-1", [[b"c", b"2"], [b"d", b"1"]]]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"c", 100, 1], [b"2-1", b"c", 100, 1], [b"3-1", b"d", 0, 2]]
    assert grouped.run("XPENDING", "s", "g", "(1-1", "+", "1") == [[b"2-1", b"c", 100, 1]]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10", "d") == [[b"3-1", b"d", 0, 2]]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10", "nobody") == []
    assert grouped.run("XPENDING", "s", "g", "IDLE", "50", "-", "+", "10") == [
        [b"1-1", b"c", 100, 1], [b"2-1", b"c", 100, 1]]
    assert grouped.run("XPENDING", "s", "g", "idle", "50", "-", "+", "10", "d") == []
    assert grouped.run("XPENDING", "s", "g", "-", "+", "-1") == []
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10", "d", "ignored") == \
        [[b"3-1", b"d", 0, 2]]


def test_xpending_errors(grouped):
    assert grouped.error("XPENDING", "s", "nog") == \
        "NOGROUP No such key 's' or consumer group 'nog'"
    assert grouped.error("XPENDING", "nokey", "g", "-", "+", "10") == \
        "NOGROUP No such key 'nokey' or consumer group 'g'"
    assert grouped.error("XPENDING", "s", "g", "-", "+") == SYNTAX
    assert grouped.error("XPENDING", "s", "g", "1", "2", "3", "4", "5", "6", "7") == SYNTAX
    assert grouped.error("XPENDING", "s", "g", "IDLE", "5", "-", "+") == SYNTAX
    assert grouped.error("XPENDING", "s", "g", "IDLE", "x", "-", "+", "10") == NOT_INTEGER
    assert grouped.error("XPENDING", "s", "g", "-", "+", "x") == NOT_INTEGER
    assert grouped.error("XPENDING", "s", "g", "x", "+", "10") == INVALID_ID
    assert grouped.error("XPENDING", "s", "g", "-", "(0-0", "10") == \
        "ERR invalid end ID for the interval"
    assert grouped.error("XPENDING", "nokey", "g", "-", "+", "x") == NOT_INTEGER  # arguments first
    assert grouped.error("XPENDING", "str", "g") == WRONGTYPE


# -- XCLAIM ----------------------------------------------------------------------------------------
def test_xclaim_moves_entries(grouped):
    grouped.now_ms += 1000
    assert grouped.run("XCLAIM", "s", "g", "d", "500", "1-1", "2-1") == \
        [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2")]
    assert grouped.run("XCLAIM", "s", "g", "e", "500", "1-1") == []  # just claimed: not idle enough
    assert grouped.run("XCLAIM", "s", "g", "e", "0", "1-1", "JUSTID") == [b"1-1"]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10") == [
        [b"1-1", b"e", 0, 2], [b"2-1", b"d", 0, 2], [b"3-1", b"c", 1000, 1]]
    consumers = [as_dict(c)["name"] for c in grouped.run("XINFO", "CONSUMERS", "s", "g")]
    assert consumers == [b"c", b"d", b"e"]


def test_xclaim_options(grouped):
    now = grouped.now_ms
    claim = ("XCLAIM", "s", "g", "d", "0", "1-1")
    assert grouped.run(*claim, "IDLE", "300", "RETRYCOUNT", "7", "JUSTID") == [b"1-1"]
    assert grouped.run("XPENDING", "s", "g", "-", "1-1", "1") == [[b"1-1", b"d", 300, 7]]
    assert grouped.run(*claim, "TIME", str(now - 50), "JUSTID") == [b"1-1"]
    assert grouped.run("XPENDING", "s", "g", "-", "1-1", "1") == [[b"1-1", b"d", 50, 7]]
    # a time in the future or before the epoch means now
    assert grouped.run(*claim, "IDLE", "-1000", "RETRYCOUNT", "-7", "JUSTID") == [b"1-1"]
    assert grouped.run("XPENDING", "s", "g", "-", "1-1", "1") == [[b"1-1", b"d", 0, 7]]
    assert grouped.run(*claim, "LASTID", "10-10") == [entry("1-1", "f1", "v1")]
    assert as_dict(grouped.run("XINFO", "GROUPS", "s")[0])["last-delivered-id"] == b"10-10"
    grouped.run("XCLAIM", "s", "g", "d", "0", "1-1", "LASTID", "1-0")  # never moves back
    assert as_dict(grouped.run("XINFO", "GROUPS", "s")[0])["last-delivered-id"] == b"10-10"


def test_xclaim_force_and_deleted_entries(grouped):
    grouped.run("XACK", "s", "g", "3-1")
    assert grouped.run("XCLAIM", "s", "g", "d", "0", "3-1") == []
    assert grouped.run("XCLAIM", "s", "g", "d", "0", "3-1", "9-9", "FORCE") == \
        [entry("3-1", "f3", "v3")]
    assert grouped.run("XPENDING", "s", "g", "3-1", "3-1", "1") == [[b"3-1", b"d", 0, 2]]
    grouped.run("XDEL", "s", "2-1")
    assert grouped.run("XCLAIM", "s", "g", "d", "0", "2-1", "FORCE") == []
    assert grouped.run("XPENDING", "s", "g") == [2, b"1-1", b"3-1", [[b"c", b"1"], [b"d", b"1"]]]


def test_xclaim_creates_the_consumer_only_when_claiming(grouped):
    assert grouped.run("XCLAIM", "s", "g", "d", "100000", "1-1") == []
    assert grouped.run("XCLAIM", "s", "g", "d", "0", "9-9") == []
    assert len(grouped.run("XINFO", "CONSUMERS", "s", "g")) == 1


def test_xclaim_errors(grouped):
    assert grouped.error("XCLAIM", "nokey", "g", "c", "0", "1-1") == \
        "NOGROUP No such key 'nokey' or consumer group 'g'"
    assert grouped.error("XCLAIM", "s", "g", "d", "x", "1-1") == \
        "ERR Invalid min-idle-time argument for XCLAIM"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "foo", "2-1") == \
        "ERR Unrecognized XCLAIM option 'foo'"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "+") == "ERR Unrecognized XCLAIM option '+'"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "IDLE") == \
        "ERR Unrecognized XCLAIM option 'IDLE'"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "IDLE", "x") == \
        "ERR Invalid IDLE option argument for XCLAIM"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "TIME", "x") == \
        "ERR Invalid TIME option argument for XCLAIM"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "RETRYCOUNT", "x") == \
        "ERR Invalid RETRYCOUNT option argument for XCLAIM"
    assert grouped.error("XCLAIM", "s", "g", "d", "0", "1-1", "LASTID", "x") == INVALID_ID
    assert grouped.error("XCLAIM", "str", "g", "c", "0", "1") == WRONGTYPE
    assert grouped.error("XCLAIM", "s", "g", "c", "0") == arity("xclaim")
    assert grouped.run("XCLAIM", "s", "g", "c", "0", "FORCE") == []
    assert grouped.run("XPENDING", "s", "g") == [3, b"1-1", b"3-1", [[b"c", b"3"]]]


# -- XAUTOCLAIM ------------------------------------------------------------------------------------
def test_xautoclaim(grouped):
    assert grouped.run("XAUTOCLAIM", "s", "g", "d", "0", "0", "COUNT", "1") == \
        [b"2-1", [entry("1-1", "f1", "v1")], []]
    grouped.run("XDEL", "s", "2-1")
    assert grouped.run("XAUTOCLAIM", "s", "g", "d", "0", "(1-1", "JUSTID") == \
        [b"0-0", [b"3-1"], [b"2-1"]]
    assert grouped.run("XPENDING", "s", "g", "-", "+", "10") == \
        [[b"1-1", b"d", 0, 2], [b"3-1", b"d", 0, 1]]
    assert grouped.run("XAUTOCLAIM", "s", "g", "e", "1000", "-") == [b"0-0", [], []]
    assert grouped.run("XINFO", "CONSUMERS", "s", "g")[-1].items[0] == (b"name", b"d")  # no "e"
    grouped.now_ms += 2000
    assert grouped.run("XAUTOCLAIM", "s", "g", "e", "1000", "+") == [b"0-0", [], []]
    assert grouped.run("XAUTOCLAIM", "s", "g", "e", "1000", "0") == \
        [b"0-0", [entry("1-1", "f1", "v1"), entry("3-1", "f3", "v3")], []]


def test_xautoclaim_attempts_bound_the_scan(grouped):
    grouped.now_ms += 10
    for number in range(4, 30):
        grouped.run("XADD", "s", "%d-1" % number, "f", "v")
    read(grouped, "XREADGROUP", "GROUP", "g", "young", "STREAMS", "s", ">")
    # COUNT 1 allows 10 attempts; entries too young to claim use them up
    reply = grouped.run("XAUTOCLAIM", "s", "g", "d", "5", "0", "COUNT", "1", "JUSTID")
    assert reply == [b"2-1", [b"1-1"], []]
    reply = grouped.run("XAUTOCLAIM", "s", "g", "d", "5", "4-1", "COUNT", "1", "JUSTID")
    assert reply == [b"14-1", [], []]


def test_xautoclaim_errors(grouped):
    assert grouped.error("XAUTOCLAIM", "nokey", "g", "c", "0", "0") == \
        "NOGROUP No such key 'nokey' or consumer group 'g'"
    for count in ("0", "-1", "x", "576460752303423488"):
        assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", count) == \
            "ERR COUNT must be > 0"
    too_high = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
    for count in ("576460752303423487", "100000000000000"):
        assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", count) == too_high
    assert grouped.run("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "1000000")[0] == b"0-0"
    assert grouped.error("XAUTOCLAIM", "s", "g", "c", "x", "0") == \
        "ERR Invalid min-idle-time argument for XAUTOCLAIM"
    assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", "x") == INVALID_ID
    after_last = "(18446744073709551615-18446744073709551615"
    assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", after_last) == \
        "ERR invalid start ID for the interval"
    assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", "0", "JUSTID", "foo") == SYNTAX
    assert grouped.error("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT") == SYNTAX
    assert grouped.error("XAUTOCLAIM", "nokey", "g", "c", "0", "x") == INVALID_ID  # arguments first
    assert grouped.error("XAUTOCLAIM", "str", "g", "c", "0", "0") == WRONGTYPE


# -- XINFO -----------------------------------------------------------------------------------------
def test_xinfo_stream(grouped):
    stream = info(grouped)
    assert list(stream) == ["length", "radix-tree-keys", "radix-tree-nodes", "last-generated-id",
                            "max-deleted-entry-id", "entries-added", "recorded-first-entry-id",
                            "groups", "first-entry", "last-entry"]
    assert stream["length"] == 3 and stream["groups"] == 1 and stream["entries-added"] == 3
    assert stream["first-entry"] == entry("1-1", "f1", "v1")
    assert stream["last-entry"] == entry("3-1", "f3", "v3")
    grouped.run("XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM")
    empty = info(grouped, "empty")
    assert (empty["radix-tree-nodes"], empty["first-entry"], empty["last-entry"]) == (1, None, None)


def test_xinfo_stream_full(grouped):
    time_read = grouped.now_ms
    grouped.now_ms += 5
    full = as_dict(grouped.run("XINFO", "STREAM", "s", "FULL", "COUNT", "2"))
    assert list(full)[-2:] == ["entries", "groups"]
    assert full["entries"] == [entry("1-1", "f1", "v1"), entry("2-1", "f2", "v2")]
    group = as_dict(full["groups"][0])
    assert list(group) == ["name", "last-delivered-id", "entries-read", "lag", "pel-count",
                           "pending", "consumers"]
    assert (group["entries-read"], group["lag"], group["pel-count"]) == (3, 0, 3)
    assert group["pending"] == [[b"1-1", b"c", time_read, 1], [b"2-1", b"c", time_read, 1]]
    consumer = as_dict(group["consumers"][0])
    assert consumer == {"name": b"c", "seen-time": time_read, "pel-count": 3,
                        "pending": [[b"1-1", time_read, 1], [b"2-1", time_read, 1]]}
    everything = as_dict(grouped.run("XINFO", "STREAM", "s", "FULL", "COUNT", "0"))
    assert len(everything["entries"]) == 3
    assert len(as_dict(grouped.run("XINFO", "STREAM", "s", "full", "count", "-1"))["entries"]) == 3


def test_xinfo_groups_and_consumers(grouped):
    grouped.now_ms += 40
    grouped.run("XGROUP", "CREATECONSUMER", "s", "g", "b")
    assert grouped.run("XINFO", "CONSUMERS", "s", "g") == [
        Map([(b"name", b"b"), (b"pending", 0), (b"idle", 0)]),
        Map([(b"name", b"c"), (b"pending", 3), (b"idle", 40)])]
    assert grouped.run("XINFO", "GROUPS", "s") == [Map([
        (b"name", b"g"), (b"consumers", 2), (b"pending", 3), (b"last-delivered-id", b"3-1"),
        (b"entries-read", 3), (b"lag", 0)])]


def test_xinfo_errors(abc):
    assert abc.error("XINFO", "STREAM", "nokey") == NO_SUCH_KEY
    assert abc.error("XINFO", "GROUPS", "nokey") == NO_SUCH_KEY
    assert abc.error("XINFO", "CONSUMERS", "s", "g") == \
        "NOGROUP No such consumer group 'g' for key name 's'"
    assert abc.error("XINFO", "STREAM", "str") == WRONGTYPE
    assert abc.error("XINFO", "STREAM", "str", "FULL", "COUNT", "x") == WRONGTYPE
    syntax = "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."
    for options in (["FULL", "COUNT"], ["FULLX"], ["FULL", "FOO", "1"],
                    ["FULL", "COUNT", "1", "x"]):
        assert abc.error("XINFO", "STREAM", "s", *options) == syntax, options
    assert abc.error("XINFO", "STREAM", "s", "FULL", "COUNT", "x") == NOT_INTEGER
    assert abc.error("XINFO", "FOO", "s") == "ERR unknown subcommand 'FOO'. Try XINFO HELP."
    assert abc.error("XINFO", "STREAM") == arity("xinfo|stream")
    assert abc.error("XINFO", "GROUPS", "s", "x") == arity("xinfo|groups")
    assert abc.error("XINFO", "CONSUMERS", "s") == arity("xinfo|consumers")
    assert abc.error("XINFO") == arity("xinfo")


def test_xinfo_help(sm):
    lines = sm.run("XINFO", "HELP")
    assert [line.text for line in lines] == [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.",
        "GROUPS <key>", "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]", "    Show information about the stream.",
        "HELP", "    Prints this help."]


# -- lag and entries-read (Redis 7.0's arithmetic) ----------------------------------------------
def lag_of(sm, key="s"):
    group = as_dict(sm.run("XINFO", "GROUPS", key)[0])
    return group["entries-read"], group["lag"]


def test_lag_without_tombstones(abc):
    abc.run("XGROUP", "CREATE", "s", "g", "0")
    assert lag_of(abc) == (None, 3)
    read(abc, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    assert lag_of(abc) == (1, 2)
    abc.run("XGROUP", "SETID", "s", "g", "9-9")
    assert lag_of(abc) == (None, None)  # beyond the last ID: unknown
    abc.run("XGROUP", "SETID", "s", "g", "9-9", "ENTRIESREAD", "1")
    assert lag_of(abc) == (1, 2)
    abc.run("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "5")
    assert lag_of(abc) == (5, -2)  # Redis does not clamp


def test_lag_with_tombstones(sm):
    for number in range(1, 6):
        sm.run("XADD", "s", "%d-0" % number, "f", "v")
    sm.run("XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "0")
    sm.run("XDEL", "s", "1-0")
    assert lag_of(sm) == (0, 5)  # the tombstone is before the first entry: counter trusted
    sm.run("XDEL", "s", "3-0")
    sm.run("XGROUP", "SETID", "s", "g", "0")
    assert lag_of(sm) == (None, None)
    read(sm, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    assert lag_of(sm) == (None, None)  # 2-0 is after a tombstone: still unknown
    read(sm, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert lag_of(sm) == (5, 0)  # the last ID is known to be the 5th entry ever added


def test_lag_of_emptied_stream(sm):
    for number in range(1, 4):
        sm.run("XADD", "s", "%d-0" % number, "f", "v")
    sm.run("XGROUP", "CREATE", "s", "g", "0")
    sm.run("XDEL", "s", "1-0", "2-0", "3-0")
    assert lag_of(sm) == (None, 0)


# -- XSETID ----------------------------------------------------------------------------------------
def test_xsetid(abc):
    assert abc.run("XSETID", "s", "3-1") == OK
    assert abc.run("XSETID", "s", "5-0", "MAXDELETEDID", "4-0", "ENTRIESADDED", "10") == OK
    stream = info(abc)
    assert (stream["last-generated-id"], stream["max-deleted-entry-id"],
            stream["entries-added"]) == (b"5-0", b"4-0", 10)
    assert abc.run("XSETID", "s", "4-0") == OK  # below the last and the deleted ID: 7.0 allows
    assert abc.run("XADD", "s", "*", "f", "v") == b"%d-0" % abc.now_ms
    abc.run("XSETID", "s", "%d-0" % abc.now_ms, "MAXDELETEDID", "0-0")
    assert info(abc)["max-deleted-entry-id"] == b"4-0"  # 0-0 leaves it alone


def test_xsetid_errors(abc):
    assert abc.error("XSETID", "s", "1-0") == \
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    assert abc.error("XSETID", "s", "5-0", "ENTRIESADDED", "0") == \
        "ERR The entries_added specified in XSETID is smaller than the target stream length"
    assert abc.error("XSETID", "s", "5-0", "ENTRIESADDED", "-1") == \
        "ERR entries_added must be positive"
    assert abc.error("XSETID", "s", "5-0", "ENTRIESADDED", "x") == NOT_INTEGER
    assert abc.error("XSETID", "s", "5-0", "MAXDELETEDID", "6-0") == \
        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
    assert abc.error("XSETID", "s", "5-0", "MAXDELETEDID", "x") == INVALID_ID
    for bad in ("$", "-", "6-*"):
        assert abc.error("XSETID", "s", bad) == INVALID_ID
    assert abc.error("XSETID", "s", "7-0", "FOO") == SYNTAX
    assert abc.error("XSETID", "s", "7-0", "ENTRIESADDED") == SYNTAX
    assert abc.error("XSETID", "nokey", "5-0") == NO_SUCH_KEY
    assert abc.error("XSETID", "str", "5-0") == WRONGTYPE
    assert abc.error("XSETID", "str", "x") == INVALID_ID
    assert abc.error("XSETID", "s") == "ERR wrong number of arguments for 'xsetid' command"
    assert info(abc)["last-generated-id"] == b"3-1"


# -- keyspace integration --------------------------------------------------------------------------
def test_copy_rename_and_scan_type(grouped):
    assert grouped.run("COPY", "s", "copy") == 1
    grouped.run("XADD", "copy", "9-9", "f", "v")
    grouped.run("XACK", "copy", "g", "1-1")
    assert grouped.run("XLEN", "s") == 3
    assert grouped.run("XPENDING", "s", "g")[0] == 3
    assert grouped.run("XPENDING", "copy", "g")[0] == 2
    assert grouped.run("RENAME", "copy", "moved") == OK
    assert grouped.run("XLEN", "moved") == 4
    assert sorted(grouped.run("SCAN", "0", "TYPE", "stream")[1]) == [b"moved", b"s"]


def test_snapshot_round_trip(grouped):
    grouped.run("XDEL", "s", "2-1")
    grouped.run("XADD", "s", "MAXLEN", "~", "1", "4-1", "a", "1", "b", "2")
    grouped.run("XCLAIM", "s", "g", "d", "0", "3-1", "FORCE")
    grouped.run("XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3")
    machine = grouped.machine
    restored = load_records(iter_records(machine))
    assert digest(restored) == digest(machine)
    stream = restored.dbs[0].data[b"s"]
    assert isinstance(stream, StreamValue)
    group = stream.groups[b"g"]
    assert group.pending[(3 << 64) | 1].consumer is group.consumers[b"d"]


def test_replicas_generate_the_same_ids(sm):
    from tests.unit.conftest import Harness

    other = Harness()
    for harness in (sm, other):
        harness.now_ms = 1234
        for _ in range(3):
            harness.run("XADD", "s", "MAXLEN", "~", "1", "*", "f", "v")
        harness.run("XGROUP", "CREATE", "s", "g", "0")
        read(harness, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert digest(sm.machine) == digest(other.machine)
    assert sm.run("XRANGE", "s", "-", "+", "COUNT", "1")[0][0] == b"1234-0"

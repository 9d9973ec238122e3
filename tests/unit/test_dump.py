"""DUMP, RESTORE (Redis 7.0 RDB encoding), MOVE and MEMORY.

The payload literals were produced by redis-server 7.0.15's DUMP; the interoperability tests at
the end exchange payloads with a real redis-server process in both directions.
"""
import struct
from collections import deque

import pytest
from redis.exceptions import ResponseError

from spinelraft.replies import Double, Map, Pairs, SetReply, Simple, Verbatim, format_double
from spinelraft.statemachine import rdb
from spinelraft.statemachine.commands.memory import allocation
from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue

OK = Simple("OK")
BUSYKEY = "BUSYKEY Target key name already exists."
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA = "ERR Bad data format"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"

REDIS_PAYLOADS = {  # name -> (DUMP output of redis-server 7.0.15, the value it holds)
    "lzf": (b"\x00\xc3\n<\x02aba\xe0.\x01\x01ab\n\x00\xbb\x16\xd3\xeb\xaeo\xc5t", b"ab" * 30),
    "int": (b"\x00\xc2y)\xed\xff\n\x00V\x96g\x05qS\xcd\x9b", b"-1234567"),
    "intset": (b"\x0b\x14\x04\x00\x00\x00\x03\x00\x00\x00\x90\xee\xfe\xff\x01\x00\x00\x00\x03"
               b"\x00\x00\x00\n\x00\t\x0e\xecI\xa6PM\x88",
               SetValue.fromkeys([b"-70000", b"1", b"3"])),
    "hash listpack": (b"\x10\x12\x12\x00\x00\x00\x04\x00\x81f\x02\x81v\x02\x81n\x02\x0c\x01\xff"
                      b"\n\x00\x016\x94\x81\xd3[\x89t", HashValue([(b"f", b"v"), (b"n", b"12")])),
    "zset listpack": (b"\x11\x1d\x1d\x00\x00\x00\x06\x00\x81c\x02\x84-inf\x05\x81a\x02\x01\x01"
                      b"\x81b\x02\x832.5\x04\xff\n\x009\x923\x9b\xe1\x1f2=",
                      {b"a": 1.0, b"b": 2.5, b"c": float("-inf")}),
    "quicklist": (b"\x12\x01\x02\x17\x17\x00\x00\x00\x04\x00\x81x\x02\xdf\xfb\x02\xc1,\x02\x85hello"
                  b"\x06\xff\n\x00F\t\xe6\xca\xb3q\xb45",
                  deque([b"x", b"-5", b"300", b"hello"])),
    "set": (b"\x02\x02\x01b\x01a\n\x00u\xd9\x9d\x83^\xf8_e", SetValue.fromkeys([b"b", b"a"])),
}


def resp2(reply):
    """A reply as a RESP2 client sees it; sets and hashes sorted (their order is arbitrary)."""
    if isinstance(reply, SetReply):
        return sorted(resp2(item) for item in reply.items)
    if isinstance(reply, Map):
        return sorted((resp2(key), resp2(value)) for key, value in reply.items)
    if isinstance(reply, Pairs):
        return [resp2(part) for pair in reply.items for part in pair]
    if isinstance(reply, Double):
        return format_double(reply.value)
    if isinstance(reply, list):
        return [resp2(item) for item in reply]
    return reply


def plain(value):
    if isinstance(value, ZSetValue):
        return dict(value.scores)
    return value


# -- the encoding pieces -------------------------------------------------------------------------
def test_crc64_is_redis_jones_crc():
    assert rdb.crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    assert rdb.crc64(b"") == 0


@pytest.mark.parametrize("name", sorted(REDIS_PAYLOADS))
def test_reads_what_redis_dumps(name):
    payload, expected = REDIS_PAYLOADS[name]
    assert rdb.verify_footer(payload)
    value = rdb.load_value(payload)
    assert type(value) is (ZSetValue if type(expected) is dict else type(expected))
    assert plain(value) == expected


def test_writes_what_redis_dumps_when_nothing_is_compressed():
    for name in ("int", "quicklist", "set"):
        payload, _ = REDIS_PAYLOADS[name]
        assert rdb.dump_value(rdb.load_value(payload)) == payload, name


def test_lengths_round_trip():
    for number in (0, 63, 64, 16383, 16384, 2**32 - 1, 2**32, 2**63):
        writer = rdb.RdbWriter()
        writer.length(number)
        assert rdb.RdbReader(writer.getvalue()).length() == number


def test_string_encodings():
    for text in (b"0", b"-128", b"127", b"128", b"-32768", b"32767", b"-2147483648",
                 b"2147483647", b"2147483648", b"007", b"-0", b"+1", b"", b"x" * 100):
        writer = rdb.RdbWriter()
        writer.string(text)
        assert rdb.RdbReader(writer.getvalue()).string() == text
    writer = rdb.RdbWriter()
    writer.string(b"-2147483648")
    assert writer.getvalue() == b"\xc2\x00\x00\x00\x80"


def test_listpack_round_trip_with_every_entry_encoding():
    elements = [b"0", b"127", b"128", b"-1", b"4095", b"-4096", b"4096", b"32767", b"-32768",
                b"32768", b"8388607", b"-8388608", b"8388608", b"2147483647", b"-2147483649",
                b"9223372036854775807", b"-9223372036854775808", b"", b"a" * 63, b"b" * 64,
                b"c" * 4095, b"d" * 4096, b"e" * 16378, b"01", b"-0"]
    blob = rdb.listpack_encode(elements)
    assert rdb.listpack_decode(blob) == elements
    assert struct.unpack_from("<IH", blob) == (len(blob), len(elements))


def test_listpack_rejects_damage():
    blob = rdb.listpack_encode([b"a", b"bb"])
    for broken in (blob[:-1], blob[:-1] + b"\x00", b"\x07" + blob[1:], blob[:6] + b"\xf5" +
                   blob[7:]):
        with pytest.raises(rdb.RdbError):
            rdb.listpack_decode(broken)


def test_intset_validation():
    good = struct.pack("<II", 2, 2) + struct.pack("<hh", 1, 5)
    assert rdb.intset_decode(good) == [b"1", b"5"]
    for bad in (struct.pack("<II", 3, 1) + b"\x00" * 3,
                struct.pack("<II", 2, 2) + struct.pack("<hh", 5, 1),
                struct.pack("<II", 2, 0), struct.pack("<II", 2, 2) + b"\x00\x00"):
        with pytest.raises(rdb.RdbError):
            rdb.intset_decode(bad)


def test_lzf_back_references_may_overlap():
    # literal "a", then a back reference of length 9 at distance 1 ("aaaaaaaaa").
    assert rdb.lzf_decompress(b"\x00a\xe0\x00\x00", 10) == b"a" * 10
    with pytest.raises(rdb.RdbError):
        rdb.lzf_decompress(b"\x00a\xe0\x00\x00", 11)
    with pytest.raises(rdb.RdbError):
        rdb.lzf_decompress(b"\x20\x05", 3)  # refers before the start


def test_footer_checks():
    payload = rdb.dump_value(b"hello")
    assert payload[-10:-8] == b"\x0a\x00"  # RDB version 10
    assert rdb.verify_footer(payload)
    assert not rdb.verify_footer(payload[:-1] + bytes([payload[-1] ^ 1]))
    newer = b"\x00\x05hello" + struct.pack("<H", 11)
    assert not rdb.verify_footer(newer + struct.pack("<Q", rdb.crc64(newer)))
    older = b"\x00\x05hello" + struct.pack("<H", 9)
    assert rdb.verify_footer(older + struct.pack("<Q", rdb.crc64(older)))
    assert not rdb.verify_footer(b"\x00" * 9)


def test_big_lists_are_split_into_nodes():
    elements = deque(b"element-%d" % i for i in range(3000))
    payload = rdb.dump_value(elements)
    assert payload[0] == rdb.TYPE_LIST_QUICKLIST_2 and payload[1] > 1  # several nodes
    assert rdb.load_value(payload) == elements


# -- DUMP / RESTORE ------------------------------------------------------------------------------
def fill_every_type(sm):
    sm.run("SET", "string", "hello")
    sm.run("SET", "number", 12345)
    sm.run("SET", "long", "x" * 1000)
    sm.run("RPUSH", "list", "a", 1, -300, "b" * 100)
    sm.run("SADD", "intset", 3, 1, 2)
    sm.run("SADD", "set", "a", "b", 1)
    sm.run("HSET", "hash", "f1", "v1", "f2", 2)
    sm.run("ZADD", "zset", 1, "a", 2.5, "b", "-inf", "c", "1e300", "d")


KEYS = ["string", "number", "long", "list", "intset", "set", "hash", "zset"]


def contents(sm, key):
    kind = sm.run("TYPE", key).text
    reader = {"string": ("GET",), "list": ("LRANGE", 0, -1), "set": ("SMEMBERS",),
              "hash": ("HGETALL",), "zset": ("ZRANGE", 0, -1, "WITHSCORES")}[kind]
    return kind, resp2(sm.run(reader[0], key, *reader[1:]))


def test_dump_restore_round_trip_of_every_type(sm):
    fill_every_type(sm)
    for key in KEYS:
        payload = sm.run("DUMP", key)
        assert sm.run("RESTORE", key + "-copy", 0, payload) == OK
        assert contents(sm, key + "-copy") == contents(sm, key), key
        assert sm.run("OBJECT", "ENCODING", key + "-copy") == sm.run("OBJECT", "ENCODING", key)


def test_dump_of_a_missing_key_is_nil(sm):
    assert sm.run("DUMP", "missing") is None


def test_restore_ttl_and_absttl(sm):
    sm.run("SET", "k", "v")
    payload = sm.run("DUMP", "k")
    assert sm.run("RESTORE", "a", 5000, payload) == OK
    assert sm.run("PTTL", "a") == 5000
    assert sm.run("RESTORE", "b", sm.now_ms + 7000, payload, "ABSTTL") == OK
    assert sm.run("PTTL", "b") == 7000
    assert sm.run("RESTORE", "c", 0, payload, "ABSTTL") == OK
    assert sm.run("PTTL", "c") == -1
    # An absolute time in the past: OK, but nothing is created (an old value is removed).
    assert sm.run("RESTORE", "d", sm.now_ms - 1, payload, "ABSTTL") == OK
    assert sm.run("EXISTS", "d") == 0
    assert sm.run("RESTORE", "a", 1, payload, "ABSTTL", "REPLACE") == OK
    assert sm.run("EXISTS", "a") == 0


def test_restore_replace(sm):
    sm.run("SET", "k", "v")
    payload = sm.run("DUMP", "k")
    sm.run("RPUSH", "dst", "x")
    sm.run("EXPIRE", "dst", 100)
    assert sm.error("RESTORE", "dst", 0, payload) == BUSYKEY
    assert sm.run("RESTORE", "dst", 0, payload, "REPLACE") == OK
    assert sm.run("GET", "dst") == b"v"
    assert sm.run("TTL", "dst") == -1
    assert sm.run("RESTORE", "dst", 0, payload, "replace", "absttl", "IDLETIME", 10) == OK
    assert sm.run("RESTORE", "dst", 0, payload, "REPLACE", "FREQ", 255) == OK


def test_restore_over_an_expired_key(sm):
    sm.run("SET", "k", "v", "PX", 10)
    payload = sm.run("DUMP", "k")
    sm.now_ms += 20
    assert sm.run("RESTORE", "k", 0, payload) == OK


def test_restore_option_errors(sm):
    payload = sm.run("DUMP", "missing") or rdb.dump_value(b"v")
    assert sm.error("RESTORE", "k", 0, payload, "foo") == SYNTAX
    assert sm.error("RESTORE", "k", 0, payload, "IDLETIME") == SYNTAX
    assert sm.error("RESTORE", "k", 0, payload, "IDLETIME", -1) == (
        "ERR Invalid IDLETIME value, must be >= 0")
    assert sm.error("RESTORE", "k", 0, payload, "IDLETIME", "x") == NOT_INTEGER
    assert sm.error("RESTORE", "k", 0, payload, "FREQ", 256) == (
        "ERR Invalid FREQ value, must be >= 0 and <= 255")
    assert sm.error("RESTORE", "k", 0, payload, "FREQ", -1) == (
        "ERR Invalid FREQ value, must be >= 0 and <= 255")
    assert sm.error("RESTORE", "k", 0, payload, "FREQ", 1, "IDLETIME", 1) == SYNTAX
    assert sm.error("RESTORE", "k", 0, payload, "IDLETIME", 1, "FREQ", 1) == SYNTAX
    assert sm.error("RESTORE", "k", -1, payload) == "ERR Invalid TTL value, must be >= 0"
    assert sm.error("RESTORE", "k", "x", payload) == NOT_INTEGER
    assert sm.error("RESTORE", "k", 0) == "ERR wrong number of arguments for 'restore' command"
    assert sm.run("EXISTS", "k") == 0


def test_restore_error_order(sm):
    sm.run("SET", "k", "v")
    assert sm.error("RESTORE", "k", "x", "junk", "bogus") == SYNTAX  # options first
    assert sm.error("RESTORE", "k", -1, "junk") == BUSYKEY  # then the existing key
    assert sm.error("RESTORE", "other", -1, "junk") == "ERR Invalid TTL value, must be >= 0"
    assert sm.error("RESTORE", "other", 0, "junk") == BAD_PAYLOAD


def test_restore_payload_errors(sm):
    payload = rdb.dump_value(b"hello")
    assert sm.error("RESTORE", "k", 0, payload[:-1]) == BAD_PAYLOAD
    assert sm.error("RESTORE", "k", 0, b"\x00" * 5) == BAD_PAYLOAD
    corrupted = bytearray(payload)
    corrupted[2] ^= 1
    assert sm.error("RESTORE", "k", 0, bytes(corrupted)) == BAD_PAYLOAD
    for body in (b"\x63\x05hello",  # unknown type
                 b"\x00\x30hello",  # a string longer than the payload
                 b"\x02\x00",  # an empty set
                 b"\x02\x02\x01a\x01a",  # a duplicate member
                 b"\x04\x01\x01f",  # a hash field without value
                 b"\x05\x01\x01a" + struct.pack("<d", float("nan")),  # a NaN score
                 b"\x12\x01\x03\x01x",  # unknown quicklist container
                 b"\x0e\x00",  # RDB_TYPE_LIST_QUICKLIST (ziplists) is not read
                 b"\x07\x05"):  # an unknown module type
        assert sm.error("RESTORE", "k", 0, rdb.add_footer(body)) == BAD_DATA, body
    assert sm.run("EXISTS", "k") == 0


def test_restore_reads_old_list_and_zset_encodings(sm):
    assert sm.run("RESTORE", "l", 0, rdb.add_footer(b"\x01\x02\x01a\x01b")) == OK
    assert sm.run("LRANGE", "l", 0, -1) == [b"a", b"b"]
    assert sm.run("RESTORE", "z", 0, rdb.add_footer(b"\x03\x02\x01a\x031.5\x01b\xfe")) == OK
    assert resp2(sm.run("ZRANGE", "z", 0, -1, "WITHSCORES")) == [b"a", b"1.5", b"b", b"inf"]


def test_restore_compact_encodings_from_redis(sm):
    for name, (payload, expected) in REDIS_PAYLOADS.items():
        key = "k-" + name
        assert sm.run("RESTORE", key, 0, payload) == OK
        assert plain(sm.machine.dbs[0].data[key.encode()]) == expected
        assert sm.run("DUMP", key) is not None


def test_bloom_filters_dump_as_a_redisbloom_module_value(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "10")
    sm.run("BF.MADD", "bf", *[b"item-%d" % i for i in range(40)])
    payload = sm.run("DUMP", "bf")
    assert payload[0] == rdb.TYPE_MODULE_2
    assert sm.run("RESTORE", "copy", 0, payload) == OK
    assert sm.run("BF.INFO", "copy") == sm.run("BF.INFO", "bf")
    assert sm.run("BF.MEXISTS", "copy", "item-0", "item-39") == [1, 1]
    assert sm.run("BF.EXISTS", "copy", "nope") == sm.run("BF.EXISTS", "bf", "nope")
    # The module id spells "MBbloom--", encoding version 4, as RedisBloom's type.
    reader = rdb.RdbReader(payload[1:])
    assert reader.length() == rdb.ModuleType(b"MBbloom--", 4, None, None).module_id()


def test_restore_refuses_inconsistent_bloom_filters(sm):
    sm.run("BF.ADD", "bf", "x")
    tampered = sm.machine.dbs[0].data[b"bf"].copy()
    tampered.links[0].hashes = 10**9  # would make every lookup endless
    assert sm.error("RESTORE", "bad", 0, rdb.dump_value(tampered)) == BAD_DATA
    tampered = sm.machine.dbs[0].data[b"bf"].copy()
    tampered.size += 1
    assert sm.error("RESTORE", "bad", 0, rdb.dump_value(tampered)) == BAD_DATA
    assert sm.run("EXISTS", "bad") == 0


def test_dump_and_restore_arity(sm):
    assert sm.error("DUMP") == "ERR wrong number of arguments for 'dump' command"
    assert sm.error("DUMP", "a", "b") == "ERR wrong number of arguments for 'dump' command"


# -- MOVE ----------------------------------------------------------------------------------------
def test_move(sm):
    sm.run("SET", "k", "v", "EX", 100)
    assert sm.run("MOVE", "k", 1) == 1
    assert sm.run("EXISTS", "k") == 0
    sm.db = 1
    assert sm.run("GET", "k") == b"v"
    assert sm.run("TTL", "k") == 100
    sm.run("SET", "other", "x")
    sm.db = 0
    sm.run("SET", "other", "y")
    assert sm.run("MOVE", "other", 1) == 0  # taken there
    assert sm.run("GET", "other") == b"y"
    assert sm.run("MOVE", "missing", 1) == 0


def test_move_over_an_expired_key(sm):
    sm.db = 2
    sm.run("SET", "k", "old", "PX", 10)
    sm.db = 0
    sm.run("SET", "k", "new")
    sm.now_ms += 20
    assert sm.run("MOVE", "k", 2) == 1
    sm.db = 2
    assert sm.run("GET", "k") == b"new"
    assert sm.run("TTL", "k") == -1


def test_move_errors(sm):
    sm.run("SET", "k", "v")
    assert sm.error("MOVE", "k", 0) == "ERR source and destination objects are the same"
    assert sm.error("MOVE", "k", 16) == "ERR DB index is out of range"
    assert sm.error("MOVE", "k", -1) == "ERR DB index is out of range"
    assert sm.error("MOVE", "k", "x") == NOT_INTEGER
    assert sm.error("MOVE", "k", 2147483648) == (
        "ERR value is out of range, value must between -2147483648 and 2147483647")
    assert sm.error("MOVE", "k") == "ERR wrong number of arguments for 'move' command"


def test_move_bumps_both_versions(sm):
    sm.run("SET", "k", "v")
    before = (sm.machine.key_version(0, b"k"), sm.machine.key_version(3, b"k"))
    sm.run("MOVE", "k", 3)
    assert sm.machine.key_version(0, b"k") > before[0]
    assert sm.machine.key_version(3, b"k") > before[1]


# -- MEMORY --------------------------------------------------------------------------------------
def test_allocation_classes():
    assert [allocation(n) for n in (1, 8, 9, 16, 17, 25, 128, 129, 161, 257, 1099, 20000)] == [
        8, 8, 16, 16, 32, 32, 128, 160, 192, 320, 1280, 20480]


@pytest.mark.parametrize("setup, key, expected", [  # values reported by redis-server 7.0.15
    (("SET", "a", "1"), "a", 48),
    (("SET", "a", "hello"), "a", 64),
    (("SET", "abcdefgh", "x" * 44), "abcdefgh", 104),
    (("SET", "abcdefgh", "x" * 45), "abcdefgh", 120),
    (("SET", "a" * 26, "x" * 100), "a" * 26, 184),
    (("RPUSH", "l1", "a"), "l1", 144),
    (("RPUSH", "l1", *"abcdefgh", 1, 2, 3), "l1", 176),
    (("SADD", "s1", 1, 2, 3), "s1", 64),
    (("SADD", "s2", "a", "b", "c"), "s2", 232),
    (("HSET", "h1", "f", "v", "field2", "value2", "f3", 12), "h1", 96),
    (("ZADD", "z1", 1, "a", 2.5, "b", 3, "c"), "z1", 80),
    (("RPUSH", "lb", *[b"e%d" % i for i in range(1, 201)]), "lb", 1408),
])
def test_memory_usage_matches_redis_for_common_shapes(sm, setup, key, expected):
    sm.run(*setup)
    assert sm.run("MEMORY", "USAGE", key) == expected
    assert sm.run("MEMORY", "USAGE", key, "SAMPLES", 0) == expected


def test_memory_usage_of_big_containers_is_an_estimate(sm):
    sm.run("SADD", "s", *[b"member-%d" % i for i in range(1000)])
    sm.run("ZADD", "z", *[part for i in range(300) for part in (i, b"m%d" % i)])
    sm.run("HSET", "h", *[part for i in range(300) for part in (b"f%d" % i, b"v" * 70)])
    for key, low, high in (("s", 40_000, 60_000), ("z", 25_000, 40_000), ("h", 30_000, 60_000)):
        assert low <= sm.run("MEMORY", "USAGE", key) <= high, key
    sm.run("BF.ADD", "bf", "x")
    assert sm.run("MEMORY", "USAGE", "bf") == 240 + 8 + 24


def test_memory_usage_errors(sm):
    sm.run("SET", "k", "v")
    assert sm.run("MEMORY", "USAGE", "missing") is None
    assert sm.error("MEMORY", "USAGE", "k", "SAMPLES", -1) == SYNTAX
    assert sm.error("MEMORY", "USAGE", "k", "SAMPLES", "x") == NOT_INTEGER
    assert sm.error("MEMORY", "USAGE", "k", "SAMPLES") == SYNTAX
    assert sm.error("MEMORY", "USAGE", "k", "foo") == SYNTAX
    assert sm.error("MEMORY", "USAGE") == "ERR wrong number of arguments for 'memory|usage' command"
    assert sm.error("MEMORY", "usage") == "ERR wrong number of arguments for 'memory|usage' command"
    assert sm.error("MEMORY") == "ERR wrong number of arguments for 'memory' command"
    assert sm.error("MEMORY", "foo") == "ERR unknown subcommand 'foo'. Try MEMORY HELP."
    assert sm.error("MEMORY", "DOCTOR", "x") == (
        "ERR wrong number of arguments for 'memory|doctor' command")


def test_memory_other_subcommands(sm):
    doctor = sm.run("MEMORY", "DOCTOR")
    assert isinstance(doctor, Verbatim) and doctor.text.startswith(b"Hi Sam, this instance is empty")
    sm.run("SET", "k", "v")
    assert sm.run("MEMORY", "doctor").text.startswith(b"Hi Sam, I can't find any memory issue")
    assert sm.run("MEMORY", "PURGE") == OK
    assert sm.run("MEMORY", "MALLOC-STATS").text == b"Stats not supported for the current allocator"
    help_lines = sm.run("MEMORY", "HELP")
    assert help_lines[0] == Simple("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    assert Simple("USAGE <key> [SAMPLES <count>]") in help_lines


# -- interoperability with a real redis-server ---------------------------------------------------
REDIS_SETUPS = [
    ("string", ("SET", "k", "hello")),
    ("integer", ("SET", "k", "-9223372036854775808")),
    ("compressible string", ("SET", "k", "abc" * 500)),
    ("binary string", ("SET", "k", bytes(range(256)))),
    ("small list", ("RPUSH", "k", "a", "1", "-4096", "70000", "x" * 70)),
    ("big list", ("RPUSH", "k", *[b"element-%d" % i for i in range(4000)])),
    ("list with a huge element", ("RPUSH", "k", "a", "b" * 20000, "c")),
    ("intset", ("SADD", "k", "5", "-2", "9223372036854775807")),
    ("set", ("SADD", "k", "a", "b", "c", "1")),
    ("big set", ("SADD", "k", *[b"m%d" % i for i in range(700)])),
    ("small hash", ("HSET", "k", "f1", "v1", "f2", "2")),
    ("big hash", ("HSET", "k", *[p for i in range(600) for p in (b"f%d" % i, b"v%d" % i)])),
    ("hash with a long value", ("HSET", "k", "f", "v" * 100)),
    ("small zset", ("ZADD", "k", "1", "a", "2.5", "b", "-inf", "c", "1e20", "d")),
    ("big zset", ("ZADD", "k", *[p for i in range(300) for p in (b"%d.25" % i, b"m%d" % i)])),
]


@pytest.fixture
def redis_client(redis_server):
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, protocol=2,
                         single_connection_client=True)
    client.response_callbacks.clear()  # replies as the wire gave them
    client.execute_command("FLUSHALL")  # this redis-server is the test's own process
    yield client
    client.close()


def redis_contents(client, kind):
    reader = {b"string": ("GET",), b"list": ("LRANGE", 0, -1), b"set": ("SMEMBERS",),
              b"hash": ("HGETALL",), b"zset": ("ZRANGE", 0, -1, "WITHSCORES")}[kind]
    reply = client.execute_command(reader[0], "k", *reader[1:])
    if kind == b"hash":
        return sorted(zip(reply[0::2], reply[1::2]))
    return sorted(reply) if kind == b"set" else reply


def local_contents(sm, kind):
    reader = {"string": ("GET",), "list": ("LRANGE", 0, -1), "set": ("SMEMBERS",),
              "hash": ("HGETALL",), "zset": ("ZRANGE", 0, -1, "WITHSCORES")}[kind]
    return resp2(sm.run(reader[0], "k", *reader[1:]))


@pytest.mark.parametrize("name, setup", REDIS_SETUPS, ids=[name for name, _ in REDIS_SETUPS])
def test_redis_dump_restores_here(sm, redis_client, name, setup):
    redis_client.execute_command(*setup)
    payload = redis_client.execute_command("DUMP", "k")
    assert sm.run("RESTORE", "k", 0, payload) == OK
    kind = redis_client.execute_command("TYPE", "k")
    assert sm.run("TYPE", "k").text == kind.decode()
    assert local_contents(sm, kind.decode()) == redis_contents(redis_client, kind)


@pytest.mark.parametrize("name, setup", REDIS_SETUPS, ids=[name for name, _ in REDIS_SETUPS])
def test_our_dump_restores_into_redis(sm, redis_client, name, setup):
    sm.run(*setup)
    payload = sm.run("DUMP", "k")
    assert redis_client.execute_command("RESTORE", "k", 0, payload) == b"OK"
    kind = redis_client.execute_command("TYPE", "k")
    assert kind.decode() == sm.run("TYPE", "k").text
    assert redis_contents(redis_client, kind) == local_contents(sm, kind.decode())
    assert redis_client.execute_command("OBJECT", "ENCODING", "k") == sm.run(
        "OBJECT", "ENCODING", "k")


def test_ttl_survives_the_trip_to_redis(sm, redis_client):
    sm.run("SET", "k", "v")
    payload = sm.run("DUMP", "k")
    assert redis_client.execute_command("RESTORE", "k", 100000, payload) == b"OK"
    assert 99000 <= redis_client.execute_command("PTTL", "k") <= 100000
    redis_client.execute_command("RESTORE", "k", 0, payload, "REPLACE")
    assert redis_client.execute_command("PTTL", "k") == -1


def test_payloads_redis_refuses_are_refused_here(sm, redis_client):
    redis_client.execute_command("SET", "k", "v")
    payload = redis_client.execute_command("DUMP", "k")
    damaged = payload[:-1] + bytes([payload[-1] ^ 0xFF])
    for bad in (damaged, payload[:-3], b"junk"):
        with pytest.raises(ResponseError) as refused:
            redis_client.execute_command("RESTORE", "x", 0, bad)
        # redis-py drops the "ERR " prefix of the message
        assert "ERR " + str(refused.value) == sm.error("RESTORE", "x", 0, bad)

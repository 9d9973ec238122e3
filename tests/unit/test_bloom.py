"""Bloom filters (RedisBloom-compatible BF.* commands)."""
from collections import deque

import pytest

from spinelraft.replies import ErrorReply, Simple
from spinelraft.statemachine.commands.bloom import murmur_hash64a
from spinelraft.statemachine.snapshot import digest, iter_records, load_records

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def info(sm, key):
    reply = sm.run("BF.INFO", key)
    return {item.text: value for item, value in zip(reply[0::2], reply[1::2])}


def false_positive_rate(sm, key, count, prefix=b"absent:"):
    hits = 0
    for start in range(0, count, 2000):
        items = [prefix + b"%d" % index for index in range(start, start + 2000)]
        hits += sum(sm.run("BF.MEXISTS", key, *items))
    return hits / count


def add_many(sm, key, count, prefix=b"item:"):
    for start in range(0, count, 2000):
        stop = min(count, start + 2000)
        sm.run("BF.MADD", key, *[prefix + b"%d" % i for i in range(start, stop)])


# -- hashing -------------------------------------------------------------------------------------
def test_murmur_hash64a_is_the_reference_function():
    # Redis's HyperLogLog hashes with the same MurmurHash64A (seed 0xadc83b19): the register
    # index (low 14 bits) and run length PFADD produced on redis-server 7.0 for these strings
    # agree with these values, which cover the 8-byte blocks and every tail length.
    assert murmur_hash64a(b"", 0xADC83B19) == 0xD8DFEA6585BC9732
    assert murmur_hash64a(b"a", 0xADC83B19) == 0x53D2470A9B43B1A7
    assert murmur_hash64a(b"abcdefgh", 0xADC83B19) == 0xF3A65DF559914567
    assert murmur_hash64a(b"hello world!!", 0xADC83B19) == 0x7664E1920E5E546A
    assert murmur_hash64a(b"", 0) == 0


# -- BF.RESERVE ----------------------------------------------------------------------------------
def test_reserve_and_info(sm):
    assert sm.run("BF.RESERVE", "bf", "0.01", "100") == Simple("OK")
    assert sm.run("BF.INFO", "bf") == [
        Simple("Capacity"), 100, Simple("Size"), 240, Simple("Number of filters"), 1,
        Simple("Number of items inserted"), 0, Simple("Expansion rate"), 2]
    assert sm.run("TYPE", "bf") == Simple("MBbloom--")
    assert sm.run("OBJECT", "ENCODING", "bf") == b"raw"
    assert sm.error("BF.RESERVE", "bf", "0.01", "100") == "ERR item exists"


def test_reserve_options(sm):
    assert sm.run("BF.RESERVE", "a", "0.001", "1000", "EXPANSION", "4") == Simple("OK")
    assert info(sm, "a")["Expansion rate"] == 4
    assert sm.run("BF.RESERVE", "b", "0.1", "10", "nonscaling") == Simple("OK")
    assert info(sm, "b")["Expansion rate"] is None
    assert sm.run("BF.INFO", "b", "EXPANSION") == [None]
    assert sm.run("BF.RESERVE", "c", "0.1", "10", "whatever") == Simple("OK")  # ignored


def test_reserve_errors(sm):
    assert sm.error("BF.RESERVE", "k", "x", "100") == "ERR bad error rate"
    assert sm.error("BF.RESERVE", "k", "nan", "100") == "ERR bad error rate"
    for rate in ("0", "1", "-0.5", "1.5", "inf"):
        assert sm.error("BF.RESERVE", "k", rate, "100") == "ERR (0 < error rate range < 1) "
    assert sm.error("BF.RESERVE", "k", "0.01", "x") == "ERR bad capacity"
    assert sm.error("BF.RESERVE", "k", "0.01", "1.5") == "ERR bad capacity"
    assert sm.error("BF.RESERVE", "k", "0.01", "0") == "ERR (capacity should be larger than 0)"
    assert sm.error("BF.RESERVE", "k", "0.01", "-3") == "ERR (capacity should be larger than 0)"
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "EXPANSION") == "ERR no expansion"
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "x") == "ERR bad expansion"
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "0") == (
        "ERR expansion should be greater or equal to 1")
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "NONSCALING", "EXPANSION", "2") == (
        "Nonscaling filters cannot expand")
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "2", "NONSCALING") == (
        "Nonscaling filters cannot expand")
    arity = "ERR wrong number of arguments for 'bf.reserve' command"
    assert sm.error("BF.RESERVE", "k", "0.01") == arity
    assert sm.error("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "2", "NONSCALING", "x") == arity
    assert sm.run("EXISTS", "k") == 0


def test_reserve_on_another_type(sm):
    sm.run("SET", "s", "x")
    assert sm.error("BF.RESERVE", "s", "0.01", "100") == WRONGTYPE


def test_reserve_too_large_is_refused(sm):
    assert sm.error("BF.RESERVE", "k", "0.0000001", "4000000000") == "ERR could not create filter"
    assert sm.run("EXISTS", "k") == 0


# -- BF.ADD / BF.MADD / BF.EXISTS / BF.MEXISTS ---------------------------------------------------
def test_add_creates_a_default_filter(sm):
    assert sm.run("BF.ADD", "bf", "item") == 1
    assert sm.run("BF.ADD", "bf", "item") == 0
    assert info(sm, "bf") == {"Capacity": 100, "Size": 240, "Number of filters": 1,
                              "Number of items inserted": 1, "Expansion rate": 2}
    assert sm.run("BF.EXISTS", "bf", "item") == 1
    assert sm.run("BF.EXISTS", "bf", "other") == 0
    assert sm.run("BF.CARD", "bf") == 1


def test_madd_and_mexists(sm):
    assert sm.run("BF.MADD", "bf", "a", "b", "a", "") == [1, 1, 0, 1]
    assert sm.run("BF.MEXISTS", "bf", "a", "b", "c", "") == [1, 1, 0, 1]
    assert sm.run("BF.CARD", "bf") == 3


def test_exists_on_missing_or_other_type_is_zero(sm):
    assert sm.run("BF.EXISTS", "missing", "a") == 0
    assert sm.run("BF.MEXISTS", "missing", "a", "b") == [0, 0]
    sm.run("SET", "s", "x")
    assert sm.run("BF.EXISTS", "s", "a") == 0  # RedisBloom treats any non-filter as empty
    assert sm.run("BF.MEXISTS", "s", "a") == [0]


def test_add_wrong_type_and_arity(sm):
    sm.machine.dbs[0].data[b"l"] = deque([b"x"])
    assert sm.error("BF.ADD", "l", "a") == WRONGTYPE
    assert sm.error("BF.MADD", "l", "a") == WRONGTYPE
    assert sm.error("BF.ADD", "k") == "ERR wrong number of arguments for 'bf.add' command"
    assert sm.error("BF.ADD", "k", "a", "b") == (
        "ERR wrong number of arguments for 'bf.add' command")
    assert sm.error("BF.MADD", "k") == "ERR wrong number of arguments for 'bf.madd' command"
    assert sm.error("BF.EXISTS", "k") == "ERR wrong number of arguments for 'bf.exists' command"
    assert sm.error("BF.MEXISTS", "k") == "ERR wrong number of arguments for 'bf.mexists' command"


def test_nonscaling_filter_fills_up(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "3", "NONSCALING")
    assert sm.run("BF.MADD", "bf", "a", "b") == [1, 1]
    reply = sm.run("BF.MADD", "bf", "c", "d", "e")
    assert reply == [1, ErrorReply("ERR non scaling filter is full")]
    assert sm.error("BF.ADD", "bf", "f") == "ERR non scaling filter is full"
    assert sm.run("BF.ADD", "bf", "a") == 0  # a known item is still answered
    assert sm.run("BF.CARD", "bf") == 3
    assert info(sm, "bf")["Number of filters"] == 1


def test_scaling_adds_filters_with_growing_capacity(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "10", "EXPANSION", "3")
    add_many(sm, "bf", 100)
    details = info(sm, "bf")
    assert details["Number of filters"] == 3
    assert details["Capacity"] == 10 + 30 + 90
    added = details["Number of items inserted"]
    assert 95 <= added <= 100 and sm.run("BF.CARD", "bf") == added
    assert sm.run("BF.INFO", "bf", "filters") == [3]
    assert sm.run("BF.INFO", "bf", "CAPACITY") == [130]
    assert sm.run("BF.INFO", "bf", "Items") == [added]
    assert sm.run("BF.INFO", "bf", "size") == [details["Size"]]
    assert all(sm.run("BF.MEXISTS", "bf", *[b"item:%d" % i for i in range(100)]))


def test_no_false_negatives(sm):
    add_many(sm, "bf", 3000)
    assert all(sm.run("BF.MEXISTS", "bf", *[b"item:%d" % i for i in range(3000)]))


def test_false_positive_rate_within_the_configured_rate(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "10000")
    add_many(sm, "bf", 10000)
    assert info(sm, "bf")["Number of filters"] == 1
    assert false_positive_rate(sm, "bf", 100_000) <= 0.01 + 0.002


def test_scaling_keeps_the_false_positive_rate_within_bounds(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "1000")
    add_many(sm, "bf", 15000)
    assert info(sm, "bf")["Number of filters"] == 4  # 1000 + 2000 + 4000 + 8000
    assert false_positive_rate(sm, "bf", 100_000) <= 0.01 + 0.002


def test_nonscaling_rate_is_the_requested_one(sm):
    sm.run("BF.RESERVE", "bf", "0.05", "5000", "NONSCALING")
    add_many(sm, "bf", 5000)
    rate = false_positive_rate(sm, "bf", 40_000)
    assert 0.03 <= rate <= 0.05 + 0.005


# -- BF.INSERT -----------------------------------------------------------------------------------
def test_insert_creates_with_options(sm):
    assert sm.run("BF.INSERT", "bf", "CAPACITY", "1000", "ERROR", "0.001", "EXPANSION", "3",
                  "ITEMS", "a", "b", "a") == [1, 1, 0]
    details = info(sm, "bf")
    assert details["Capacity"] == 1000 and details["Expansion rate"] == 3
    # Options are ignored for an existing filter (but still validated).
    assert sm.run("BF.INSERT", "bf", "CAPACITY", "5", "ITEMS", "c") == [1]
    assert info(sm, "bf")["Capacity"] == 1000
    assert sm.error("BF.INSERT", "bf", "CAPACITY", "0", "ITEMS", "c") == "Bad argument received"


def test_insert_nocreate_and_nonscaling(sm):
    assert sm.error("BF.INSERT", "bf", "NOCREATE", "ITEMS", "a") == "ERR not found"
    assert sm.run("EXISTS", "bf") == 0
    assert sm.run("BF.INSERT", "bf", "NONSCALING", "CAPACITY", "2", "ITEMS", "a", "b", "c",
                  "d") == [1, 1, ErrorReply("ERR non scaling filter is full")]
    assert info(sm, "bf")["Expansion rate"] is None
    assert sm.run("BF.INSERT", "bf", "NOCREATE", "ITEMS", "a") == [0]


def test_insert_errors(sm):
    assert sm.error("BF.INSERT", "bf", "ERROR", "x", "ITEMS", "a") == "Bad error rate"
    assert sm.error("BF.INSERT", "bf", "EXPANSION", "x", "ITEMS", "a") == "Bad expansion"
    assert sm.error("BF.INSERT", "bf", "CAPACITY", "1.5", "ITEMS", "a") == "Bad capacity"
    assert sm.error("BF.INSERT", "bf", "FOO", "ITEMS", "a") == "Unknown argument received"
    assert sm.error("BF.INSERT", "bf", "", "ITEMS", "a") == "Unknown argument received"
    for bad in (("ERROR", "0"), ("ERROR", "1"), ("CAPACITY", "0"), ("EXPANSION", "0")):
        assert sm.error("BF.INSERT", "bf", *bad, "ITEMS", "a") == "Bad argument received"
    arity = "ERR wrong number of arguments for 'bf.insert' command"
    assert sm.error("BF.INSERT", "bf", "ITEMS") == arity
    assert sm.error("BF.INSERT", "bf", "CAPACITY", "10", "ITEMS") == arity
    assert sm.error("BF.INSERT", "bf", "NOCREATE", "NONSCALING") == arity
    assert sm.error("BF.INSERT", "bf", "CAPACITY") == arity
    assert sm.run("EXISTS", "bf") == 0
    sm.run("SET", "s", "x")
    assert sm.error("BF.INSERT", "s", "ITEMS", "a") == WRONGTYPE


# -- BF.INFO / BF.CARD ---------------------------------------------------------------------------
def test_info_errors(sm):
    assert sm.error("BF.INFO", "missing") == "ERR not found"
    sm.run("SET", "s", "x")
    assert sm.error("BF.INFO", "s") == WRONGTYPE
    sm.run("BF.ADD", "bf", "a")
    assert sm.error("BF.INFO", "bf", "nosuch") == "Invalid information value"
    assert sm.error("BF.INFO", "bf", "size", "x") == (
        "ERR wrong number of arguments for 'bf.info' command")


def test_card(sm):
    assert sm.run("BF.CARD", "missing") == 0
    sm.run("SET", "s", "x")
    assert sm.error("BF.CARD", "s") == WRONGTYPE
    sm.run("BF.MADD", "bf", "a", "b", "c")
    assert sm.run("BF.CARD", "bf") == 3


# -- keyspace integration ------------------------------------------------------------------------
def test_copy_rename_and_delete(sm):
    sm.run("BF.MADD", "bf", "a", "b")
    assert sm.run("COPY", "bf", "copy") == 1
    sm.run("BF.ADD", "copy", "c")
    assert sm.run("BF.CARD", "bf") == 2 and sm.run("BF.CARD", "copy") == 3
    assert sm.run("BF.EXISTS", "bf", "c") == 0
    assert sm.run("RENAME", "copy", "moved") == Simple("OK")
    assert sm.run("BF.EXISTS", "moved", "c") == 1
    assert sm.run("DEL", "bf", "moved") == 2


def test_expiry_applies(sm):
    sm.run("BF.ADD", "bf", "a")
    sm.run("PEXPIRE", "bf", 100)
    sm.now_ms += 200
    assert sm.run("BF.EXISTS", "bf", "a") == 0
    assert sm.error("BF.INFO", "bf") == "ERR not found"


def test_snapshot_round_trip(sm):
    sm.run("BF.RESERVE", "bf", "0.01", "10")
    add_many(sm, "bf", 50)
    sm.run("BF.RESERVE", "fixed", "0.1", "5", "NONSCALING")
    sm.run("BF.MADD", "fixed", "x", "y")
    restored = load_records(iter_records(sm.machine))
    assert digest(restored) == digest(sm.machine)
    sm.machine = restored
    assert all(sm.run("BF.MEXISTS", "bf", *[b"item:%d" % i for i in range(50)]))
    assert info(sm, "bf")["Number of filters"] == 3
    assert info(sm, "fixed")["Expansion rate"] is None


@pytest.mark.parametrize("rate, capacity, size", [("0.01", "100", 240), ("0.001", "1000", 2080),
                                                  ("0.1", "1", 104)])
def test_sizes_follow_redisbloom(sm, rate, capacity, size):
    sm.run("BF.RESERVE", "bf", rate, capacity)
    assert info(sm, "bf")["Size"] == size

"""HyperLogLog commands. Expected bytes and counts were captured from Redis 7.0.15 (redis-cli)
on the same inputs."""
import random

import pytest

from spinelraft.replies import OK, Simple
from spinelraft.statemachine.commands.hyperloglog import (
    HLL_DENSE_SIZE,
    HLL_REGISTERS,
    estimate,
    histogram_of,
    pack_dense,
    pattern,
    unpack_dense,
)
from spinelraft.statemachine.snapshot import digest, iter_records, load_records

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED = "INVALIDOBJ Corrupted HLL object detected"
HEADER_STALE = b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80"
EMPTY = HEADER_STALE + b"\x7f\xff"
ABC = HEADER_STALE + b"`\xf3\x80P\xb1\x84K\xfb\x80BZ"


def elements(count: int, prefix: str = "e") -> list:
    return [("%s%d" % (prefix, i)).encode() for i in range(count)]


# -- PFADD ---------------------------------------------------------------------------------------
def test_pfadd_creates_redis_bytes(sm):
    assert sm.run("PFADD", "h") == 1
    assert sm.run("GET", "h") == EMPTY
    assert sm.run("PFADD", "h") == 0
    assert sm.run("PFADD", "h", "a", "b", "c") == 1
    assert sm.run("GET", "h") == ABC
    assert sm.run("PFADD", "h", "a") == 0
    assert sm.run("PFADD", "h", "foo", "bar", "zap", "zap", "zap") == 1
    assert sm.run("PFCOUNT", "h") == 6
    assert sm.run("TYPE", "h") == Simple("string")


def test_pfadd_keeps_ttl(sm):
    sm.run("PFADD", "h", "a")
    sm.run("EXPIRE", "h", "1000")
    assert sm.run("PFADD", "h", "b") == 1
    assert sm.run("TTL", "h") == 1000


@pytest.mark.parametrize("size, count, length", [
    (1, 1, 21), (2, 2, 24), (10, 10, 48), (100, 100, 285), (500, 506, 1068),
    (1000, 1008, 1906), (2000, 2000, HLL_DENSE_SIZE), (5000, 4968, HLL_DENSE_SIZE),
    (10000, 9973, HLL_DENSE_SIZE), (20000, 19901, HLL_DENSE_SIZE),
])
def test_counts_and_sizes_equal_redis(sm, size, count, length):
    """Sparse while under 3000 bytes, then dense (12304 bytes); counts are Redis's own."""
    sm.run("PFADD", "h", *elements(size))
    assert sm.run("PFCOUNT", "h") == count
    assert sm.run("STRLEN", "h") == length


def test_hundred_thousand_elements_equal_redis(sm):
    sm.run("PFADD", "h", *elements(100_000))
    assert sm.run("PFCOUNT", "h") == 100853  # redis-cli PFCOUNT after the same PFADD
    assert abs(100853 - 100_000) / 100_000 < 0.01


def test_estimate_within_one_percent_up_to_a_million():
    """The estimator on uniformly random hashes (what MurmurHash64A approximates), bounded to
    stay fast: registers are filled directly instead of PFADDing a million elements."""
    rng = random.Random(20240501)
    registers = bytearray(HLL_REGISTERS)
    added = 0
    for target in (50_000, 200_000, 1_000_000):
        for _ in range(target - added):
            hashed = rng.getrandbits(64)
            index = hashed & (HLL_REGISTERS - 1)
            rest = (hashed >> 14) | (1 << 50)
            count = (rest & -rest).bit_length()
            if count > registers[index]:
                registers[index] = count
        added = target
        assert abs(estimate(histogram_of(registers)) - target) / target < 0.01


# -- PFCOUNT ---------------------------------------------------------------------------------------
def test_pfcount_cache_and_missing_keys(sm):
    assert sm.run("PFCOUNT", "missing") == 0
    assert sm.run("PFCOUNT", "missing", "other") == 0
    # A value copied from Redis after its PFCOUNT carries a valid cached count: it is used.
    cached = b"HYLL\x01\x00\x00\x00\x03" + bytes(7) + b"`\xf3\x80P\xb1\x84K\xfb\x80BZ"
    sm.run("SET", "h", cached)
    assert sm.run("PFCOUNT", "h") == 3
    sm.run("SET", "h", cached[:8] + b"\x07" + cached[9:])
    assert sm.run("PFCOUNT", "h") == 7
    # PFCOUNT is a read here: the cache is not written back.
    sm.run("SET", "h", ABC)
    assert sm.run("PFCOUNT", "h") == 3
    assert sm.run("GET", "h") == ABC


def test_pfcount_union(sm):
    sm.run("PFADD", "h", "a", "b", "c", "foo", "bar", "zap")
    sm.run("PFADD", "h2", "zap", "zip")
    assert sm.run("PFCOUNT", "h", "h2") == 7
    assert sm.run("PFCOUNT", "h", "h2", "missing") == 7


# -- PFMERGE ---------------------------------------------------------------------------------------
def test_pfmerge_sparse(sm):
    sm.run("PFADD", "h", "a", "b", "c", "foo", "bar", "zap")
    sm.run("PFADD", "h2", "zap", "zip")
    assert sm.run("PFMERGE", "h3", "h", "h2") == OK
    assert sm.run("GET", "h3") == HEADER_STALE + (
        b"F\xa5\x88V\x0c\x90B\x07\x84B5\x80F!\x80J\x8e\x84K\xfb\x80BZ")
    assert sm.run("PFCOUNT", "h3") == 7
    assert sm.run("PFMERGE", "empty") == OK
    assert sm.run("GET", "empty") == EMPTY


def test_pfmerge_dense_and_destination_is_a_source(sm):
    sm.run("PFADD", "big", *elements(5000))
    sm.run("PFADD", "small", *elements(300, "s"))
    sm.run("PFADD", "dest", *elements(50, "d"))
    assert sm.run("PFMERGE", "dest", "big", "small") == OK
    assert sm.run("STRLEN", "dest") == HLL_DENSE_SIZE
    union = sm.run("PFCOUNT", "big", "small", "dest")
    assert sm.run("PFCOUNT", "dest") == union
    assert abs(union - 5350) / 5350 < 0.02


def test_sparse_merge_promotes_past_3000_bytes(sm):
    sm.run("PFADD", "a", *elements(1000, "a"))
    sm.run("PFADD", "b", *elements(1000, "b"))
    assert sm.run("STRLEN", "a") < 3000 and sm.run("STRLEN", "b") < 3000
    sm.run("PFMERGE", "a", "b")
    assert sm.run("STRLEN", "a") == HLL_DENSE_SIZE
    assert sm.run("PFCOUNT", "a") == sm.run("PFCOUNT", "a", "b")


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    b"x", b"", b"12345", b"HYLL", b"HYLX" + bytes(14), b"HYLL\x02" + bytes(13),
    b"HYLL\x00" + bytes(20),
])
def test_invalid_hll_strings(sm, value):
    sm.run("SET", "s", value)
    sm.run("PFADD", "ok", "a")
    assert sm.error("PFADD", "s", "a") == NOT_HLL
    assert sm.error("PFCOUNT", "s") == NOT_HLL
    assert sm.error("PFCOUNT", "ok", "s") == NOT_HLL
    assert sm.error("PFMERGE", "ok", "s") == NOT_HLL
    assert sm.error("PFMERGE", "s", "ok") == NOT_HLL
    assert sm.run("GET", "s") == value


@pytest.mark.parametrize("body", [
    b"\x7f\xfe", b"\x7f\xff\x80", b"\x7f\xff\x00", b"\x80\x7f\xff", b"\x00" * 10,
    b"\x5f\x3f" * 3,
])
def test_corrupted_sparse(sm, body):
    value = HEADER_STALE + body
    sm.run("SET", "c", value)
    sm.run("PFADD", "ok", "a")
    before = sm.run("GET", "ok")
    assert sm.error("PFCOUNT", "c") == CORRUPTED
    assert sm.error("PFCOUNT", "c", "ok") == CORRUPTED
    assert sm.error("PFMERGE", "ok", "c") == CORRUPTED
    assert sm.run("GET", "ok") == before  # a failed merge leaves the destination alone


def test_wrong_type_and_arity(sm):
    sm.run("RPUSH", "l", "x")
    assert sm.error("PFADD", "l", "x") == WRONGTYPE
    assert sm.error("PFCOUNT", "l") == WRONGTYPE
    assert sm.error("PFMERGE", "d", "l") == WRONGTYPE
    assert sm.run("EXISTS", "d") == 0
    for name in ("PFADD", "PFCOUNT", "PFMERGE"):
        assert sm.error(name) == "ERR wrong number of arguments for '%s' command" % name.lower()


# -- internals -------------------------------------------------------------------------------------
def test_dense_packing_round_trips():
    rng = random.Random(7)
    registers = bytearray(rng.randrange(64) for _ in range(HLL_REGISTERS))
    hll = b"HYLL\x00" + bytes(11) + pack_dense(registers)
    assert unpack_dense(hll) == registers


def test_pattern_is_the_register_and_run_length():
    index, count = pattern(b"a")
    assert 0 <= index < HLL_REGISTERS and 1 <= count <= 51


def test_snapshot_round_trip(sm):
    sm.run("PFADD", "sparse", "a", "b")
    sm.run("PFADD", "dense", *elements(3000))
    assert digest(load_records(iter_records(sm.machine))) == digest(sm.machine)

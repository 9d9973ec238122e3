"""Geo commands. Expected replies were captured from Redis 7.0.15 (redis-cli on the same inputs);
the sort-order cases come from running the redis-server binary's own pqsort()."""
import pytest

from spinelraft.command_table import COMMANDS
from spinelraft.replies import NULL_ARRAY, Double, Simple
from spinelraft.statemachine.commands.geo import (
    _compare_ascending,
    decode_score,
    format_distance,
    partial_sort,
    score_of,
)
from spinelraft.statemachine.snapshot import digest, iter_records, load_records

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
PALERMO = ("13.361389", "38.115556", "Palermo")
CATANIA = ("15.087269", "37.502669", "Catania")
PALERMO_POS = [b"13.36138933897018433", b"38.11555639549629859"]
CATANIA_POS = [b"15.08726745843887329", b"37.50266842333162032"]


def scores(sm, key: str) -> list:
    """[(member, score)] in rank order (independent of how WITHSCORES replies are shaped)."""
    return [(member, sm.run("ZSCORE", key, member).value)
            for member in sm.run("ZRANGE", key, "0", "-1")]


@pytest.fixture
def sicily(sm):
    assert sm.run("GEOADD", "sicily", *PALERMO, *CATANIA) == 2
    sm.run("SET", "str", "x")
    return sm


# -- GEOADD and the encoding -------------------------------------------------------------------
def test_geoadd_scores_are_redis_geohashes(sm):
    sm.run("GEOADD", "g", *PALERMO, *CATANIA, "180", "85.05112878", "edge",
           "-180", "-85.05112878", "sw", "0", "0", "zero")
    assert scores(sm, "g") == [
        (b"sw", 0.0), (b"zero", 3377699720527872.0), (b"Palermo", 3479099956230698.0),
        (b"Catania", 3479447370796909.0), (b"edge", 13510798882111488.0)]
    assert score_of(13.361389, 38.115556) == 3479099956230698


def test_geoadd_options(sicily):
    sm = sicily
    assert sm.run("GEOADD", "sicily", "NX", "1", "1", "Palermo", "2", "2", "new") == 1
    assert sm.run("GEOPOS", "sicily", "Palermo") == [PALERMO_POS]
    assert sm.run("GEOADD", "sicily", "XX", "1", "1", "Palermo", "3", "3", "other") == 0
    assert sm.run("ZSCORE", "sicily", "other") is None
    assert sm.run("GEOADD", "sicily", "CH", "xx", "2", "2", "Palermo", "2", "2", "new") == 1
    assert sm.run("GEOADD", "missing", "XX", "1", "1", "a") == 0
    assert sm.run("EXISTS", "missing") == 0


def test_geoadd_errors(sicily):
    sm = sicily
    assert sm.error("GEOADD", "sicily", "181", "0", "x") == (
        "ERR invalid longitude,latitude pair 181.000000,0.000000")
    assert sm.error("GEOADD", "sicily", "0", "-85.06", "x") == (
        "ERR invalid longitude,latitude pair 0.000000,-85.060000")
    assert sm.error("GEOADD", "sicily", "x", "0", "x") == "ERR value is not a valid float"
    assert sm.error("GEOADD", "sicily", "NX", "XX", "1", "1", "x") == SYNTAX
    assert sm.error("GEOADD", "sicily", "1", "1", "x", "2") == SYNTAX
    assert sm.error("GEOADD", "sicily", "GT", "1", "1", "x") == SYNTAX
    assert sm.error("GEOADD", "sicily", "1", "1") == (
        "ERR wrong number of arguments for 'geoadd' command")
    # Coordinates are checked before the key's type, nothing is half-added on error.
    assert sm.error("GEOADD", "str", "1", "100", "x") == (
        "ERR invalid longitude,latitude pair 1.000000,100.000000")
    assert sm.error("GEOADD", "str", "1", "1", "x") == WRONGTYPE
    assert sm.error("GEOADD", "sicily", "1", "1", "ok", "1", "99", "bad").startswith("ERR invalid")
    assert sm.run("ZSCORE", "sicily", "ok") is None


# -- GEOPOS / GEOHASH / GEODIST ------------------------------------------------------------------
def test_geopos_and_geohash(sicily):
    sm = sicily
    assert sm.run("GEOPOS", "sicily", "Palermo", "nobody", "Catania") == [
        PALERMO_POS, NULL_ARRAY, CATANIA_POS]
    assert sm.run("GEOHASH", "sicily", "Palermo", "Catania", "nobody") == [
        b"sqc8b49rny0", b"sqdtr74hyu0", None]
    assert sm.run("GEOPOS", "missing", "a", "b") == [NULL_ARRAY, NULL_ARRAY]
    assert sm.run("GEOHASH", "missing", "a") == [None]
    assert sm.error("GEOPOS", "str", "a") == WRONGTYPE
    assert sm.error("GEOHASH", "str", "a") == WRONGTYPE


def test_geopos_clamps_and_odd_scores(sm):
    """Scores written with ZADD decode like Redis's (uint64_t) cast, clamped to the map."""
    sm.run("GEOADD", "g", "180", "85.05112878", "edge", "-180", "-85.05112878", "sw")
    sm.run("ZADD", "g", "-1", "neg", "1e300", "big", "-inf", "ninf")
    assert sm.run("GEOPOS", "g", "edge", "sw", "neg", "big", "ninf") == [
        [b"180", b"85.0511287799999991"],
        [b"-179.99999731779098511", b"-85.05112751263942528"],
        [b"180", b"85.0511287799999991"],
        [b"-179.99999731779098511", b"-85.05112751263942528"],
        [b"180", b"-85.05112751263942528"]]
    assert sm.run("GEOHASH", "g", "edge", "sw", "ninf") == [
        b"bp05b5048p0", b"00bh0hbj200", b"00bh0hbj200"]
    assert decode_score(0.5) == decode_score(0.0)


def test_geodist(sicily):
    sm = sicily
    assert sm.run("GEODIST", "sicily", "Palermo", "Catania") == b"166274.1516"
    assert sm.run("GEODIST", "sicily", "Palermo", "Catania", "km") == b"166.2742"
    assert sm.run("GEODIST", "sicily", "Palermo", "Catania", "mi") == b"103.3182"
    assert sm.run("GEODIST", "sicily", "Palermo", "Catania", "FT") == b"545518.8700"
    assert sm.run("GEODIST", "sicily", "Palermo", "nobody") is None
    assert sm.run("GEODIST", "missing", "a", "b") is None
    unit_error = "ERR unsupported unit provided. please use M, KM, FT, MI"
    assert sm.error("GEODIST", "missing", "a", "b", "yd") == unit_error
    assert sm.error("GEODIST", "sicily", "a", "b", "km", "x") == SYNTAX
    assert sm.error("GEODIST", "str", "a", "b") == WRONGTYPE


def test_distance_formatting_is_fixed_point():
    """fixedpoint_d2string rounds value * 10000 half to even, unlike printf's %.4f."""
    assert format_distance(0.0) == b"0.0000"
    assert format_distance(0.00005) == b"0.0000"
    assert b"%.4f" % 0.00005 == b"0.0001"
    assert format_distance(166274.15156960033) == b"166274.1516"
    assert format_distance(float("nan")) == b"-922337203685477.5808"


# -- searches --------------------------------------------------------------------------------------
def test_georadius_reply_shapes(sicily):
    sm = sicily
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD",
                  "WITHHASH", "ASC") == [
        [b"Catania", b"56.4413", 3479447370796909, CATANIA_POS],
        [b"Palermo", b"190.4424", 3479099956230698, PALERMO_POS]]
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km", "WITHDIST", "DESC") == [
        [b"Palermo", b"190.4424"], [b"Catania", b"56.4413"]]
    assert sm.run("GEORADIUS", "sicily", "15", "37", "100", "km") == [b"Catania"]
    assert sm.run("GEORADIUS_RO", "sicily", "15", "37", "200000", "m", "WITHDIST") == [
        [b"Palermo", b"190442.4298"], [b"Catania", b"56441.2579"]]


def test_count_and_any(sicily):
    sm = sicily
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km", "COUNT", "1") == [b"Catania"]
    # ANY stops at the first match in scan order and does not sort.
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km", "COUNT", "1", "ANY") == [
        b"Palermo"]
    assert sm.error("GEORADIUS", "sicily", "15", "37", "200", "km", "ANY") == (
        "ERR the ANY argument requires COUNT argument")
    assert sm.error("GEORADIUS", "sicily", "15", "37", "200", "km", "COUNT", "0") == (
        "ERR COUNT must be > 0")
    assert sm.error("GEORADIUS", "sicily", "15", "37", "200", "km", "COUNT", "x") == (
        "ERR value is not an integer or out of range")
    assert sm.error("GEORADIUS", "sicily", "15", "37", "200", "km", "COUNT") == SYNTAX


def test_georadiusbymember(sicily):
    sm = sicily
    assert sm.run("GEORADIUSBYMEMBER", "sicily", "Palermo", "200", "km", "WITHDIST") == [
        [b"Palermo", b"0.0000"], [b"Catania", b"166.2742"]]
    assert sm.run("GEORADIUSBYMEMBER_RO", "sicily", "Palermo", "100", "mi", "WITHDIST") == [
        [b"Palermo", b"0.0000"]]
    assert sm.error("GEORADIUSBYMEMBER", "sicily", "nobody", "200", "km") == (
        "ERR could not decode requested zset member")
    # A missing key skips the centre and radius, but still parses the options.
    assert sm.run("GEORADIUSBYMEMBER", "missing", "m", "notanumber", "km", "COUNT", "3") == []
    assert sm.error("GEORADIUSBYMEMBER", "missing", "m", "1", "km", "COUNT", "0") == (
        "ERR COUNT must be > 0")


def test_geosearch_shapes(sicily):
    sm = sicily
    assert sm.run("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km",
                  "WITHDIST", "ASC") == [[b"Catania", b"56.4413"], [b"Palermo", b"190.4424"]]
    assert sm.run("GEOSEARCH", "sicily", "FROMLONLAT", "15", "37", "BYBOX", "200", "200", "km",
                  "WITHDIST", "ASC") == [[b"Catania", b"56.4413"]]
    assert sm.run("GEOSEARCH", "sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "600000", "ft",
                  "WITHDIST", "ASC") == [[b"Palermo", b"0.0000"], [b"Catania", b"545518.8700"]]
    assert sm.run("GEOSEARCH", "sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km") == []
    assert sm.run("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == []


@pytest.mark.parametrize("options, message", [
    (("FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"), SYNTAX),
    (("FROMLONLAT", "15", "37", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"), SYNTAX),
    (("FROMMEMBER", "Palermo", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"), SYNTAX),
    (("FROMMEMBER", "nobody", "BYRADIUS", "1", "km"), "ERR could not decode requested zset member"),
    (("FROMLONLAT", "1", "1", "BYRADIUS", "-1", "km"), "ERR radius cannot be negative"),
    (("FROMLONLAT", "1", "1", "BYRADIUS", "x", "km"), "ERR need numeric radius"),
    (("FROMLONLAT", "1", "1", "BYBOX", "x", "1", "km"), "ERR need numeric width"),
    (("FROMLONLAT", "1", "1", "BYBOX", "1", "x", "km"), "ERR need numeric height"),
    (("FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"), "ERR height or width cannot be negative"),
    (("FROMLONLAT", "1", "1", "BYBOX", "1", "1", "au"),
     "ERR unsupported unit provided. please use M, KM, FT, MI"),
    (("FROMLONLAT", "1", "99", "BYBOX", "1", "1", "km"),
     "ERR invalid longitude,latitude pair 1.000000,99.000000"),
    (("FROMLONLAT", "1", "1", "BYBOX", "1", "1", "km", "STORE", "x"), SYNTAX),
    (("FROMLONLAT", "1", "1", "BYBOX", "1", "1", "km", "STOREDIST"), SYNTAX),
    (("FROMLONLAT", "1", "1", "WITHDIST", "ASC", "COUNT", "1"),
     "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"),
    (("BYRADIUS", "1", "km", "WITHDIST", "ASC"),
     "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"),
])
def test_geosearch_errors(sicily, options, message):
    assert sicily.error("GEOSEARCH", "sicily", *options) == message


def test_wrong_type_comes_first(sicily):
    sm = sicily
    assert sm.error("GEOSEARCH", "str", "FROMLONLAT", "1", "999", "BYRADIUS", "1",
                    "km") == WRONGTYPE
    assert sm.error("GEORADIUS", "str", "1", "999", "1", "km") == WRONGTYPE
    assert sm.error("GEOSEARCHSTORE", "dst", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1",
                    "km") == WRONGTYPE


# -- storing ---------------------------------------------------------------------------------------
def test_geosearchstore(sicily):
    sm = sicily
    assert sm.run("GEOSEARCHSTORE", "dst", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                  "km", "STOREDIST") == 2
    assert scores(sm, "dst") == [(b"Catania", 56.441257870158204),
                                 (b"Palermo", 190.44242984775784)]
    assert sm.run("GEOSEARCHSTORE", "dst", "sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                  "km", "COUNT", "1") == 1
    assert scores(sm, "dst") == [(b"Catania", 3479447370796909.0)]
    assert sm.error("GEOSEARCHSTORE", "dst", "sicily", "FROMLONLAT", "1", "1", "BYBOX", "1", "1",
                    "km", "WITHDIST") == (
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    # No match, or no source: the destination is deleted.
    assert sm.run("GEOSEARCHSTORE", "dst", "sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1",
                  "km") == 0
    assert sm.run("EXISTS", "dst") == 0
    sm.run("SET", "dst", "x")
    assert sm.run("GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1",
                  "km") == 0
    assert sm.run("EXISTS", "dst") == 0


def test_georadius_store(sicily):
    sm = sicily
    sm.run("SET", "dst", "a string with a ttl", "EX", "100")
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km", "STORE", "dst") == 2
    assert sm.run("TYPE", "dst") == Simple("zset")
    assert sm.run("TTL", "dst") == -1
    assert sm.run("GEORADIUSBYMEMBER", "sicily", "Palermo", "10", "km", "STOREDIST", "d2") == 1
    assert sm.run("ZSCORE", "d2", "Palermo") == Double(0.0)
    assert sm.error("GEORADIUS", "sicily", "15", "37", "200", "km", "STORE", "dst",
                    "WITHCOORD") == ("ERR STORE option in GEORADIUS is not compatible with "
                                     "WITHDIST, WITHHASH and WITHCOORD options")
    assert sm.error("GEORADIUS_RO", "sicily", "15", "37", "200", "km", "STORE", "dst") == SYNTAX
    assert sm.run("GEORADIUS", "missing", "15", "37", "200", "km", "STORE", "dst") == 0
    assert sm.run("EXISTS", "dst") == 0


def test_georadius_store_keys_are_routed():
    spec = COMMANDS[b"georadius"]
    argv = [b"GEORADIUS", b"src", b"1", b"2", b"3", b"km", b"STORE", b"dst"]
    assert spec.keys(argv) == [b"src", b"dst"]
    assert COMMANDS[b"geosearchstore"].keys([b"GEOSEARCHSTORE", b"d", b"s", b"x"]) == [b"d", b"s"]


# -- Redis's result order --------------------------------------------------------------------------
def test_partial_sort_matches_redis_binary():
    """pqsort() as compiled in Redis 7.0.15 (no insertion-sort shortcut): equal distances are
    reordered. These orders were produced by the redis-server binary itself."""
    distances = [7.8] + [0.157] * 10 + [7.81]
    items = [[d, 0, 0, 0, i] for i, d in enumerate(distances)]
    partial_sort(items, _compare_ascending, 0, 0)
    assert [item[4] for item in items] == [9, 1, 2, 3, 4, 5, 6, 7, 8, 10, 0, 11]
    distances = [21.9, 21.35, 2.46] + [9.3485] * 17 + [15.5, 17.55, 19.8, 25.6, 26.4, 27.2]
    items = [[d, 0, 0, 0, i] for i, d in enumerate(distances)]
    partial_sort(items, _compare_ascending, 0, 19)
    assert [item[4] for item in items] == [
        2, 18, 19, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 1, 22, 0, 23, 24,
        25]


def test_count_order_with_ties(sm):
    """GEORADIUS ... COUNT n sorts partially; all ten members sit at the same spot."""
    triples = ["0.95", "0.95", "far"]
    for i in range(10):
        triples += ["1.001", "1.001", "a%02d" % i]
    sm.run("GEOADD", "t", *triples, "1.05", "1.05", "far2")
    assert sm.run("GEORADIUS", "t", "1", "1", "100", "km", "COUNT", "3") == [
        b"a08", b"a00", b"a01"]
    everything = sm.run("GEORADIUS", "t", "1", "1", "100", "km", "ASC")
    assert everything[:10] == [b"a%02d" % i for i in range(10)]


def test_search_near_poles_and_antimeridian(sm):
    """Redis's boxes wrap around the antimeridian only on one side; its replies are kept."""
    sm.run("GEOADD", "g", "179.99", "0", "east", "-179.99", "0", "west", "0", "85", "north")
    assert sm.run("GEOSEARCH", "g", "FROMLONLAT", "180", "0", "BYRADIUS", "10", "km", "ASC") == [
        b"east"]
    assert sm.run("GEOSEARCH", "g", "FROMLONLAT", "-180", "0", "BYRADIUS", "10", "km", "ASC") == [
        b"east", b"west"]
    assert sm.run("GEORADIUS", "g", "90", "85", "1000", "km") == [b"north"]
    assert sm.run("GEORADIUS", "g", "0", "0", "inf", "km", "COUNT", "1", "DESC") == [b"east"]


# -- geo sets are sorted sets -------------------------------------------------------------------
def test_sorted_set_commands_work_on_geo_sets(sicily):
    sm = sicily
    assert sm.run("TYPE", "sicily") == Simple("zset")
    assert sm.run("ZCARD", "sicily") == 2
    assert sm.run("ZREM", "sicily", "Palermo") == 1
    assert sm.run("GEORADIUS", "sicily", "15", "37", "200", "km") == [b"Catania"]
    assert sm.run("ZREM", "sicily", "Catania") == 1
    assert sm.run("EXISTS", "sicily") == 0


def test_arity(sm):
    for name, argc in [("GEOADD", 4), ("GEODIST", 3), ("GEOHASH", 1), ("GEOPOS", 1),
                       ("GEORADIUS", 5), ("GEORADIUSBYMEMBER", 4), ("GEORADIUS_RO", 5),
                       ("GEORADIUSBYMEMBER_RO", 4), ("GEOSEARCH", 6), ("GEOSEARCHSTORE", 7)]:
        assert sm.error(name, *["k"] * (argc - 1)) == (
            "ERR wrong number of arguments for '%s' command" % name.lower())


def test_snapshot_round_trip(sicily):
    machine = sicily.machine
    assert digest(load_records(iter_records(machine))) == digest(machine)

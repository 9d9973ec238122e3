"""Hypothesis strategies for the geo and HyperLogLog differential families.

Geo: points come from a small pool (clusters, exact duplicates so distances tie, the corners of
the indexable map, both sides of the antimeridian, the poles' limits) so that searches find
several members, ties exercise Redis's sort orders, and every boundary case of the geohash
boxes shows up. Radii and boxes span metres to the whole planet.

HyperLogLog: elements from a few hundred names so both the sparse and the dense forms appear,
SET with Redis-made HLL strings (a valid cached count included) and broken ones. GET is never
generated on HLL keys: Redis's PFCOUNT writes its cached count into the string, SpinelRaft's
PFCOUNT is a read and does not (the registers, and so every count, are the same).
"""
from hypothesis import strategies as st

from tests.differential.strategies import (
    cmd,
    key,
    malformed,
    one_of_values,
    optional,
    options,
    sequences,
    value,
    weighted,
)

# -- geo ----------------------------------------------------------------------------------------
POINTS = [
    (b"13.361389", b"38.115556"), (b"15.087269", b"37.502669"), (b"13.5", b"38"),
    (b"14", b"37.9"), (b"0", b"0"), (b"0.001", b"-0.001"), (b"180", b"85.05112878"),
    (b"-180", b"-85.05112878"), (b"179.999", b"0"), (b"-179.999", b"0.5"), (b"2.35", b"48.85"),
    (b"-73.98", b"40.75"), (b"100", b"-84.9"), (b"-0", b"80.5"),
]
BAD_POINTS = [(b"181", b"0"), (b"0", b"86"), (b"x", b"1"), (b"1", b""), (b"nan", b"1"),
              (b"inf", b"0"), (b" 1", b"1"), (b"0x10", b"1e1")]
geo_key = weighted((5, st.just(b"a")), (2, st.just(b"b")), (1, key))
place = one_of_values(b"p1", b"p2", b"p3", b"p4", b"p5", b"p6")
point = st.sampled_from(POINTS)
triples = st.lists(st.tuples(point, place), min_size=1, max_size=7)
unit = one_of_values(b"km", b"m", b"mi", b"ft", b"KM", b"Mi")
radius = one_of_values(b"200", b"1000", b"50", b"5000", b"20000", b"100000", b"1", b"0",
                       b"1e7", b"inf", b"0.5")
count_option = st.tuples(st.just(b"COUNT"), one_of_values(b"1", b"2", b"3", b"5", b"10"),
                         optional(st.just(b"ANY")))
result_options = options(b"WITHDIST", b"WITHHASH", b"WITHCOORD", b"ASC", b"DESC", count_option,
                         max_size=4)
sort_and_count = options(b"ASC", b"DESC", count_option, max_size=2)
store_target = one_of_values(b"a", b"d", b"e")
store_option = st.tuples(one_of_values(b"STORE", b"STOREDIST"), store_target)
center = st.one_of(st.tuples(st.just(b"FROMMEMBER"), place),
                   st.tuples(st.just(b"FROMLONLAT"), point))
shape = st.one_of(st.tuples(st.just(b"BYRADIUS"), radius, unit),
                  st.tuples(st.just(b"BYBOX"), radius, radius, unit))

# Arguments that go wrong, one at a time, to compare error texts and their precedence.
BAD_VALUES = [b"-1", b"x", b"nan", b"", b"0", b"yd", b"1.5", b"COUNT", b"ANY", b"STORE",
              b"STOREDIST", b"WITHDIST", b"BYBOX", b"BYRADIUS", b"FROMMEMBER", b"FROMLONLAT"]
bad = st.sampled_from(BAD_VALUES)


def spoiled(strategy):
    """Draw a valid argument list, then replace one of its arguments with a bad value."""
    def spoil(drawn):
        command, position, replacement = drawn
        if len(command) <= 2:
            return command
        index = 2 + position % (len(command) - 2)
        return command[:index] + (replacement,) + command[index + 1:]
    return st.tuples(strategy, st.integers(0, 20), bad).map(spoil)


georadius = cmd(b"GEORADIUS", geo_key, point, radius, unit, result_options)
georadius_store = cmd(b"GEORADIUS", geo_key, point, radius, unit, sort_and_count, store_option)
by_member = cmd(b"GEORADIUSBYMEMBER", geo_key, place, radius, unit, result_options)
geosearch = cmd(b"GEOSEARCH", geo_key, center, shape, result_options)
geosearchstore = cmd(b"GEOSEARCHSTORE", store_target, geo_key, center, shape, sort_and_count,
                     optional(st.just(b"STOREDIST")))

GEO_NAMES = [b"GEOADD", b"GEODIST", b"GEOHASH", b"GEOPOS", b"GEORADIUS", b"GEORADIUSBYMEMBER",
             b"GEORADIUS_RO", b"GEORADIUSBYMEMBER_RO", b"GEOSEARCH", b"GEOSEARCHSTORE"]

geo_commands = weighted(
    (4, cmd(b"GEOADD", geo_key, triples)),
    (1, cmd(b"GEOADD", geo_key, options(b"NX", b"XX", b"CH", b"GT"), triples)),
    (1, cmd(b"GEOADD", geo_key, st.sampled_from(BAD_POINTS), place)),
    (2, cmd(b"GEOPOS", geo_key, st.lists(place, min_size=1, max_size=3))),
    (2, cmd(b"GEOHASH", geo_key, st.lists(place, min_size=1, max_size=3))),
    (2, cmd(b"GEODIST", geo_key, place, place, optional(unit))),
    (6, georadius),
    (2, georadius_store),
    (3, by_member),
    (2, cmd(b"GEORADIUS_RO", geo_key, point, radius, unit, result_options)),
    (2, cmd(b"GEORADIUSBYMEMBER_RO", geo_key, place, radius, unit, result_options)),
    (6, geosearch),
    (3, geosearchstore),
    (4, spoiled(st.one_of(georadius, georadius_store, by_member, geosearch, geosearchstore))),
    (2, cmd(b"ZRANGE", one_of_values(b"a", b"d", b"e"), b"0", b"-1", b"WITHSCORES")),
    (1, cmd(b"ZADD", geo_key, one_of_values(b"0", b"-1", b"1e300", b"-inf", b"3.5",
                                            b"4503599627370495"), place)),
    (1, cmd(b"ZREM", geo_key, place)),
    (1, cmd(b"SET", one_of_values(b"c", b"d"), value)),
    (1, cmd(b"RPUSH", key, value)),
    (1, malformed(GEO_NAMES)),
)
# Every sequence starts by filling the sets, so that most searches have something to find.
geo_setup = st.lists(cmd(b"GEOADD", one_of_values(b"a", b"a", b"b"),
                         st.lists(st.tuples(point, place), min_size=2, max_size=7)),
                     min_size=1, max_size=3)

# -- HyperLogLog -----------------------------------------------------------------------------
hll_key = weighted((4, st.just(b"a")), (2, st.just(b"b")), (1, key))
# Strings written by redis-server 7.0.15: sparse after PFADD a b c (stale cache), the same with
# a valid cached count of 7 (PFCOUNT answers 7), an empty HLL, and broken values.
REDIS_HLLS = [
    b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ",
    b"HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ",
    b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff",
]
BROKEN_HLLS = [b"HYLL", b"HYLL\x02" + bytes(13), b"HYLL\x00" + bytes(20),
               b"HYLL\x01" + bytes(10) + b"\x80\x7f\xff\x80",
               b"HYLL\x01" + bytes(10) + b"\x80\x5f\x3f\x5f\x3f\x5f\x3f"]


def _dense_hll() -> bytes:
    """A dense HLL (stale cache) whose registers cycle through 0..63 (values past 51 included,
    which the estimator ignores): cheap to SET, where PFADD would need thousands of elements."""
    data = bytearray(12288)
    for index in range(16384):
        bit, value = index * 6, index % 64
        data[bit >> 3] |= (value << (bit & 7)) & 0xFF
        if (bit & 7) > 2:
            data[(bit >> 3) + 1] |= value >> (8 - (bit & 7))
    return b"HYLL\x00\x00\x00\x00" + bytes(7) + b"\x80" + bytes(data)


DENSE_HLL = _dense_hll()
word = st.one_of(st.integers(0, 400).map(lambda n: b"w%d" % n), one_of_values(b"", b"a", b"b"))
words = st.lists(word, max_size=40)
many_words = st.integers(0, 5000).map(lambda start: [b"m%d" % n for n in range(start, start + 800)])

HLL_NAMES = [b"PFADD", b"PFCOUNT", b"PFMERGE"]

hll_commands = weighted(
    (6, cmd(b"PFADD", hll_key, words)),
    (1, cmd(b"PFADD", hll_key, many_words)),
    (4, cmd(b"PFCOUNT", st.lists(hll_key, min_size=1, max_size=3))),
    (3, cmd(b"PFMERGE", hll_key, st.lists(hll_key, max_size=3))),
    (1, cmd(b"SET", hll_key, st.sampled_from(REDIS_HLLS + [DENSE_HLL]))),
    (1, cmd(b"SET", hll_key, st.one_of(st.sampled_from(BROKEN_HLLS), value))),
    (2, cmd(b"STRLEN", hll_key)),
    (1, cmd(b"GETRANGE", hll_key, b"0", b"4")),
    (1, cmd(b"TYPE", hll_key)),
    (1, cmd(b"RPUSH", key, value)),
    (1, malformed(HLL_NAMES)),
)
hll_setup = st.lists(st.one_of(cmd(b"PFADD", one_of_values(b"a", b"b"), words),
                               cmd(b"SET", b"b", st.just(DENSE_HLL))), min_size=1, max_size=3)

geo_sequences = st.tuples(geo_setup, sequences(geo_commands)).map(
    lambda drawn: drawn[0] + drawn[1])
hll_sequences = st.tuples(hll_setup, sequences(hll_commands)).map(
    lambda drawn: drawn[0] + drawn[1])

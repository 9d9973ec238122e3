"""Hypothesis strategies for stream command sequences (the "streams" differential family).

Entry IDs are always explicit (<ms>-<seq>, <ms> or <ms>-*) over a tiny range, so both servers
generate the same IDs whatever their clocks say; `*` is never used. Consumer groups and
consumers come from two- and three-name pools so groups get reused, entries get delivered,
claimed and acknowledged. Idle times only decide anything through thresholds far from what a
sequence can reach (0 or one hour), and BLOCK waits at most 10 ms, so sequences run fast.
"""
from hypothesis import strategies as st

from tests.differential.strategies import (
    cmd,
    key,
    malformed,
    mostly,
    one_of_values,
    optional,
    options,
    pair,
    sequences,
    value,
    weighted,
)

IDLE_NEVER = b"3600000"  # a minimum idle time no pending entry of a sequence reaches
IDLE_ANCIENT = b"100000000"  # an IDLE option that makes an entry claimable at IDLE_NEVER


def _entry_id(drawn) -> bytes:
    ms, seq = drawn
    return b"%d-%d" % (ms, seq)


exact_id = st.tuples(st.integers(1, 6), st.integers(0, 3)).map(_entry_id)
# Mostly two keys, so entries and groups pile up where the reads look for them.
stream_key = weighted((4, st.just(b"a")), (2, st.just(b"b")), (1, key))
entry_id = weighted((6, exact_id), (1, one_of_values(b"0", b"1", b"3", b"5", b"7")))
# IDs the prologue may have added, delivered and left pending.
early_id = st.tuples(st.integers(1, 3), st.integers(0, 1)).map(_entry_id)
some_id = mostly(entry_id, b"-", b"+", b"x", b"1-*", b"(1-0", b"0-0", b" 2", b"01-1",
                 b"18446744073709551615-18446744073709551615", b"1-18446744073709551616")
add_id = mostly(weighted((5, exact_id), (1, st.integers(0, 7).map(lambda ms: b"%d-*" % ms)),
                         (1, one_of_values(b"3", b"6"))), b"0-0", b"0", b"x", b"-", b"*x")
range_start = mostly(weighted((4, entry_id), (2, st.just(b"-")),
                              (1, exact_id.map(lambda raw: b"(" + raw))), b"(-", b"x", b"+")
range_end = mostly(weighted((4, entry_id), (2, st.just(b"+")),
                            (1, exact_id.map(lambda raw: b"(" + raw))), b"(+", b"(0-0", b"x")
count = mostly(one_of_values(b"0", b"1", b"2", b"3", b"10"), b"-1", b"x")
field = one_of_values(b"f", b"g", b"1", b"")
field_values = st.lists(st.tuples(field, value), min_size=1, max_size=3)
group = mostly(weighted((3, st.just(b"g1")), (1, st.just(b"g2"))), b"nogroup")
consumer = one_of_values(b"c1", b"c2", b"c3")

threshold = st.one_of(
    st.tuples(st.just(b"MAXLEN"), optional(one_of_values(b"~", b"=")),
              mostly(one_of_values(b"0", b"1", b"2", b"5"), b"-1", b"x")),
    st.tuples(st.just(b"MINID"), optional(one_of_values(b"~", b"=")), some_id))
trim_limit = pair(b"LIMIT", mostly(one_of_values(b"0", b"1", b"100"), b"-1", b"x"))
xadd_options = options(b"NOMKSTREAM", threshold, trim_limit, max_size=3)
xtrim_arguments = options(threshold, trim_limit, b"NOMKSTREAM", max_size=3)

read_options = options(pair(b"COUNT", count), pair(b"BLOCK", mostly(st.just(b"10"), b"-1", b"x")),
                       max_size=2)
group_read_options = options(pair(b"COUNT", count), b"NOACK", pair(b"BLOCK", st.just(b"10")),
                             max_size=3)
read_id = mostly(weighted((3, entry_id), (2, st.just(b"$"))), b">", b"+", b"x")
group_read_id = mostly(weighted((3, st.just(b">")), (2, entry_id), (1, st.just(b"0"))),
                       b"$", b"x")


def _streams(ids):
    """STREAMS k1 .. kn id1 .. idn, occasionally unbalanced."""
    def build(drawn):
        chosen, drawn_ids, extra = drawn
        return [b"STREAMS"] + chosen + drawn_ids[:len(chosen)] + extra
    balanced = st.lists(stream_key, min_size=1, max_size=2).flatmap(lambda chosen: st.tuples(
        st.just(chosen), st.lists(ids, min_size=len(chosen), max_size=len(chosen)),
        weighted((9, st.just([])), (1, st.just([b"a"])))))
    return balanced.map(build)


group_start = mostly(weighted((3, st.just(b"$")), (3, st.just(b"0")), (2, exact_id)), b"-", b"x")
entries_read = pair(b"ENTRIESREAD", mostly(one_of_values(b"-1", b"0", b"2", b"5"), b"-2", b"x"))
xgroup_commands = st.one_of(
    cmd(b"XGROUP", b"CREATE", stream_key, group, group_start, b"MKSTREAM",
        optional(entries_read)),
    cmd(b"XGROUP", b"CREATE", stream_key, group, group_start,
        options(b"MKSTREAM", entries_read, max_size=2)),
    cmd(b"XGROUP", b"SETID", stream_key, group, group_start, optional(entries_read)),
    cmd(b"XGROUP", b"DESTROY", stream_key, group),
    cmd(b"XGROUP", one_of_values(b"CREATECONSUMER", b"DELCONSUMER"), stream_key, group, consumer),
    cmd(b"XGROUP", mostly(one_of_values(b"HELP"), b"FOO", b"create")),
)

min_idle = mostly(weighted((3, st.just(b"0")), (1, st.just(IDLE_NEVER))), b"x", b"-5")
pending_ids = st.lists(weighted((3, early_id), (1, some_id)), min_size=1, max_size=3)
claim_options = options(
    b"FORCE", b"JUSTID", pair(b"IDLE", mostly(one_of_values(b"0", IDLE_ANCIENT), b"x")),
    pair(b"RETRYCOUNT", mostly(one_of_values(b"0", b"5"), b"x", b"-1")),
    pair(b"LASTID", mostly(entry_id, b"x")), max_size=3)
pending_range = st.tuples(
    optional(pair(b"IDLE", mostly(one_of_values(b"0", IDLE_NEVER), b"x"))),
    range_start, range_end, count, optional(consumer))
info_commands = st.one_of(
    cmd(b"XINFO", b"STREAM", stream_key),
    cmd(b"XINFO", b"STREAM", stream_key, b"FULL", optional(pair(b"COUNT", count))),
    cmd(b"XINFO", b"GROUPS", stream_key),
    cmd(b"XINFO", b"CONSUMERS", stream_key, group),
    cmd(b"XINFO", mostly(one_of_values(b"HELP"), b"FOO", b"STREAM")),
)
setid_options = options(pair(b"ENTRIESADDED", mostly(one_of_values(b"0", b"3", b"20"), b"-1")),
                        pair(b"MAXDELETEDID", some_id), max_size=2)

STREAM_NAMES = [b"XADD", b"XLEN", b"XRANGE", b"XREVRANGE", b"XDEL", b"XTRIM", b"XREAD",
                b"XGROUP", b"XREADGROUP", b"XACK", b"XPENDING", b"XCLAIM", b"XAUTOCLAIM",
                b"XINFO", b"XSETID"]

stream_commands = weighted(
    (10, cmd(b"XADD", stream_key, add_id, field_values)),
    (3, cmd(b"XADD", stream_key, xadd_options, add_id, field_values)),
    (1, cmd(b"XLEN", stream_key)),
    (3, cmd(b"XRANGE", stream_key, range_start, range_end, optional(pair(b"COUNT", count)))),
    (2, cmd(b"XREVRANGE", stream_key, range_end, range_start, optional(pair(b"COUNT", count)))),
    (2, cmd(b"XDEL", stream_key, st.lists(some_id, min_size=1, max_size=3))),
    (2, cmd(b"XTRIM", stream_key, xtrim_arguments)),
    (3, cmd(b"XREAD", read_options, _streams(read_id))),
    (5, xgroup_commands),
    (6, cmd(b"XREADGROUP", b"GROUP", group, consumer, group_read_options,
            _streams(group_read_id))),
    (3, cmd(b"XACK", stream_key, group, pending_ids)),
    (2, cmd(b"XPENDING", stream_key, group)),
    (3, cmd(b"XPENDING", stream_key, group, pending_range)),
    (4, cmd(b"XCLAIM", stream_key, group, consumer, min_idle, pending_ids, claim_options)),
    (3, cmd(b"XAUTOCLAIM", stream_key, group, consumer, min_idle, range_start,
            options(pair(b"COUNT", mostly(one_of_values(b"1", b"2", b"100"), b"0", b"x")),
                    b"JUSTID", max_size=2))),
    (4, info_commands),
    (2, cmd(b"XSETID", stream_key, some_id, setid_options)),
    (1, cmd(b"TYPE", key)),
    (1, st.one_of(cmd(b"SET", key, value), cmd(b"RPUSH", key, value), cmd(b"DEL", key))),
    (2, malformed(STREAM_NAMES)),
)



def _prologue(drawn) -> list:
    """Valid setup commands, so most sequences start with entries, groups and deliveries."""
    a_ids, b_ids, groups, reads, claims = drawn
    commands = [(b"XADD", b"a", _entry_id(i), b"f", b"%d" % n) for n, i in enumerate(a_ids)]
    commands += [(b"XADD", b"b", _entry_id(i), b"f", b"g", b"x", b"y") for i in b_ids]
    commands.append((b"XGROUP", b"CREATE", b"a", b"g1", b"0", b"MKSTREAM"))
    commands += [(b"XGROUP", b"CREATE") + created + (b"MKSTREAM",) for created in groups]
    commands += [(b"XREADGROUP", b"GROUP", b"g1", name, b"COUNT", b"2", b"STREAMS", b"a", b">")
                 for name in reads]
    commands += [(b"XCLAIM", b"a", b"g1", name, b"0", claimed) for name, claimed in claims]
    return commands


ordered_ids = st.lists(st.tuples(st.integers(1, 3), st.integers(0, 1)), unique=True,
                       max_size=6).map(sorted)
prologue = st.tuples(
    ordered_ids, ordered_ids,
    st.lists(st.tuples(one_of_values(b"a", b"b"), one_of_values(b"g1", b"g2"),
                       one_of_values(b"0", b"$", b"2-0")), max_size=3),
    st.lists(consumer, max_size=3),
    st.lists(st.tuples(consumer, early_id), max_size=2)).map(_prologue)
stream_sequences = st.tuples(prologue, sequences(stream_commands)).map(
    lambda drawn: drawn[0] + drawn[1])

"""Sorted-set commands (t_zset.c): ZADD and friends, ranges by rank, score and lex, pops,
set algebra (ZUNION, ZINTER, ZDIFF and their STORE forms), ZRANDMEMBER and ZSCAN.

ZSetValue.ordered keeps (score, member) sorted, so rank and score ranges are found by bisection.
Lex ranges are only meaningful when every member has the same score (Redis documents the result
as unspecified otherwise); then they are bisected too. With mixed scores the walk copies Redis's
small (listpack) encoding: start at the first member at or above min, stop at the first above
max, so small sets answer exactly as Redis does.
"""
import itertools
import math

from spinelraft import errors
from spinelraft.command_table import command, numkeys_at
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY, Double, Pairs, format_double
from spinelraft.statemachine.args import INT64_MAX, keyword, parse_int, parse_mpop_count, to_float, to_int
from spinelraft.statemachine.glob import match
from spinelraft.statemachine.scan import parse_cursor, parse_scan_options, scan
from spinelraft.statemachine.values import SetValue, ZSetValue, encoding_name

GROUP = "sorted-set"
INFINITY = float("inf")
C_SPACES = b" \t\n\v\f\r"  # what C's isspace() skips before strtod reads a number


def get_zset(ctx, key: bytes):
    """The sorted set at key, None if missing, WRONGTYPE otherwise."""
    return ctx.get_typed(key, ZSetValue)


def store_or_delete(ctx, key: bytes, zset: ZSetValue) -> int:
    """*STORE commands: overwrite the destination (dropping its TTL), or delete it if empty."""
    if len(zset) == 0:
        ctx.delete(key)
        return 0
    ctx.set(key, zset)
    return len(zset)


def entries_reply(entries, withscores: bool):
    """(score, member) pairs -> [member, ...], or member/score Pairs (flat in RESP2, nested
    pairs in RESP3) with scores."""
    if not withscores:
        return [member for _, member in entries]
    return Pairs((member, Double(score)) for score, member in entries)


# -- numbers ------------------------------------------------------------------------------------
def _mantissa_is_zero(raw: bytes) -> bool:
    body = raw.lstrip(b"+-").lower()
    if body.startswith(b"0x"):
        digits = body[2:].split(b"p")[0]
    else:
        digits = body.split(b"e")[0]
    return digits.strip(b"0.") == b""


def parse_score(raw: bytes, message: str = errors.NOT_FLOAT) -> float:
    """A double as Redis's getDoubleFromObject reads it: the whole string, no leading space,
    no NaN, and a value out of the double range (1e400, 1e-400) refused rather than rounded."""
    try:
        value = to_float(raw)
    except OverflowError:  # float.fromhex refuses huge hexadecimal floats
        value = None
    if value is None:
        raise CommandError(message)
    if math.isinf(value) and b"inf" not in raw.lower():
        raise CommandError(message)
    if value == 0.0 and not _mantissa_is_zero(raw):
        raise CommandError(message)
    return value


def parse_count(raw: bytes, message: str) -> int:
    """A count >= 0 where Redis reports both a bad number and a negative one with `message`."""
    count = to_int(raw)
    if count is None or count < 0:
        raise CommandError(message)
    return count


# -- score ranges -------------------------------------------------------------------------------
def _parse_score_bound(raw: bytes):
    """(value, exclusive) or None. "(" makes the bound exclusive; the rest is read like C's
    strtod: leading spaces skipped, "" is 0, an overflow is an infinity."""
    exclusive = raw[:1] == b"("
    text = raw[1:] if exclusive else raw
    if text == b"":
        return 0.0, exclusive
    text = text.lstrip(C_SPACES)
    try:
        value = to_float(text)
    except OverflowError:
        value = -INFINITY if text.startswith(b"-") else INFINITY
    if value is None:
        return None
    return value, exclusive


def _first_rank_above(ordered, score: float) -> int:
    """Rank of the first member whose score is > `score`."""
    if score == INFINITY:
        return len(ordered)
    return ordered.bisect_left((math.nextafter(score, INFINITY),))


class ScoreRange:
    """min and max of ZRANGEBYSCORE and friends; each bound may be exclusive."""

    __slots__ = ("low", "high", "low_exclusive", "high_exclusive")

    def __init__(self, low_raw: bytes, high_raw: bytes):
        low = _parse_score_bound(low_raw)
        high = _parse_score_bound(high_raw)
        if low is None or high is None:
            raise CommandError(errors.MIN_MAX_NOT_FLOAT)
        self.low, self.low_exclusive = low
        self.high, self.high_exclusive = high

    def span(self, zset: ZSetValue):
        """Ranks [start, end) of the members inside the range."""
        ordered = zset.ordered
        if self.low_exclusive:
            start = _first_rank_above(ordered, self.low)
        else:
            start = ordered.bisect_left((self.low,))
        if self.high_exclusive:
            end = ordered.bisect_left((self.high,))
        else:
            end = _first_rank_above(ordered, self.high)
        return start, max(start, end)


# -- lex ranges ---------------------------------------------------------------------------------
LEX_MINUS, LEX_VALUE, LEX_PLUS = -1, 0, 1  # "-" sorts before every string, "+" after


def _parse_lex_bound(raw: bytes):
    """(kind, value, exclusive) or None: "-", "+", "[value" or "(value"."""
    first = raw[:1]
    if first in (b"-", b"+"):
        if raw[1:2] not in (b"", b"\x00"):  # Redis stops reading at a NUL, as C strings do
            return None
        return (LEX_MINUS if first == b"-" else LEX_PLUS), b"", True
    if first in (b"[", b"("):
        return LEX_VALUE, raw[1:], first == b"("
    return None


def _compare_member(member: bytes, bound) -> int:
    kind, value, _ = bound
    if kind != LEX_VALUE:
        return -kind
    return (member > value) - (member < value)


class LexRange:
    """min and max of ZRANGEBYLEX and friends."""

    __slots__ = ("low", "high")

    def __init__(self, low_raw: bytes, high_raw: bytes):
        self.low = _parse_lex_bound(low_raw)
        self.high = _parse_lex_bound(high_raw)
        if self.low is None or self.high is None:
            raise CommandError(errors.MIN_MAX_NOT_STRING_RANGE)

    def above_low(self, member: bytes) -> bool:
        comparison = _compare_member(member, self.low)
        return comparison > 0 if self.low[2] else comparison >= 0

    def below_high(self, member: bytes) -> bool:
        comparison = _compare_member(member, self.high)
        return comparison < 0 if self.high[2] else comparison <= 0

    def is_empty(self) -> bool:
        """Redis's sdscmplex(min, max) test: min above max, or equal with an exclusive end."""
        low_kind, low_value, low_exclusive = self.low
        high_kind, high_value, high_exclusive = self.high
        if low_kind == high_kind != LEX_VALUE:
            comparison = 0
        elif low_kind == LEX_MINUS or high_kind == LEX_PLUS:
            comparison = -1
        elif low_kind == LEX_PLUS or high_kind == LEX_MINUS:
            comparison = 1
        else:
            comparison = (low_value > high_value) - (low_value < high_value)
        return comparison > 0 or (comparison == 0 and (low_exclusive or high_exclusive))

    def _could_match(self, zset: ZSetValue) -> bool:
        ordered = zset.ordered
        if not ordered or self.is_empty():
            return False
        return self.above_low(ordered[-1][1]) and self.below_high(ordered[0][1])

    def _bisect(self, ordered, bound, after_equal: bool) -> int:
        kind, value, _ = bound
        if kind != LEX_VALUE:
            return 0 if kind == LEX_MINUS else len(ordered)
        probe = (ordered[0][0], value)  # only called when all scores are equal
        return ordered.bisect_right(probe) if after_equal else ordered.bisect_left(probe)

    def first_rank(self, zset: ZSetValue):
        """Rank where a forward walk starts, or None when nothing is in range."""
        if not self._could_match(zset):
            return None
        ordered = zset.ordered
        if zset.uniform_score():
            rank = self._bisect(ordered, self.low, self.low[2])
        else:
            ranks = (rank for rank, (_, member) in enumerate(ordered) if self.above_low(member))
            rank = next(ranks, len(ordered))
        if rank >= len(ordered) or not self.below_high(ordered[rank][1]):
            return None
        return rank

    def last_rank(self, zset: ZSetValue):
        """Rank where a reverse walk starts, or None when nothing is in range."""
        if not self._could_match(zset):
            return None
        ordered = zset.ordered
        if zset.uniform_score():
            rank = self._bisect(ordered, self.high, not self.high[2]) - 1
        else:
            ranks = (len(ordered) - 1 - position
                     for position, (_, member) in enumerate(reversed(ordered))
                     if self.below_high(member))
            rank = next(ranks, -1)
        if rank < 0 or not self.above_low(ordered[rank][1]):
            return None
        return rank

    def forward_span(self, zset: ZSetValue):
        """Ranks [start, end) a forward walk covers (ZLEXCOUNT, ZREMRANGEBYLEX)."""
        start = self.first_rank(zset)
        if start is None:
            return 0, 0
        if zset.uniform_score():
            return start, self._bisect(zset.ordered, self.high, not self.high[2])
        end = start
        for _, member in zset.ordered.islice(start):
            if not self.below_high(member):
                break
            end += 1
        return start, end


# -- range selection (ZRANGE and its older forms) -----------------------------------------------
class RangeQuery:
    """A parsed ZRANGE request: how to select, in which direction, and what to reply."""

    __slots__ = ("kind", "reverse", "withscores", "offset", "limit", "bounds")

    def __init__(self):
        self.kind = None  # "rank", "score" or "lex"
        self.reverse = None
        self.withscores = False
        self.offset = 0
        self.limit = -1  # negative: no limit
        self.bounds = None  # (start, end) ranks, a ScoreRange or a LexRange


def _parse_range_options(query: RangeQuery, options, store: bool):
    index = 0
    while index < len(options):
        option = keyword(options[index])
        if not store and option == b"WITHSCORES":
            query.withscores = True
        elif option == b"LIMIT" and index + 2 < len(options):
            query.offset = parse_int(options[index + 1])
            query.limit = parse_int(options[index + 2])
            index += 2
        elif query.reverse is None and option == b"REV":
            query.reverse = True
        elif query.kind is None and option in (b"BYLEX", b"BYSCORE"):
            query.kind = "lex" if option == b"BYLEX" else "score"
        else:
            raise CommandError(errors.SYNTAX)
        index += 1


def parse_range_query(args, store: bool, kind=None, reverse=None) -> RangeQuery:
    """args: <min> <max> [options...] after the source key (zrangeGenericCommand's order of
    checks: options, then conflicts, then the bounds)."""
    query = RangeQuery()
    query.kind = kind
    query.reverse = reverse
    _parse_range_options(query, args[2:], store)
    query.kind = query.kind or "rank"
    query.reverse = bool(query.reverse)
    if query.limit != -1 and query.kind == "rank":
        raise CommandError(errors.LIMIT_NEEDS_BYSCORE_OR_BYLEX)
    if query.withscores and query.kind == "lex":
        raise CommandError(errors.WITHSCORES_WITH_BYLEX)
    low, high = args[0], args[1]
    if query.reverse and query.kind != "rank":
        low, high = high, low  # the reverse forms take <max> <min>
    if query.kind == "rank":
        query.bounds = (parse_int(low), parse_int(high))
    elif query.kind == "score":
        query.bounds = ScoreRange(low, high)
    else:
        query.bounds = LexRange(low, high)
    return query


def select_by_rank(zset: ZSetValue, start: int, end: int, reverse: bool) -> list:
    length = len(zset)
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return []
    end = min(end, length - 1)
    if reverse:
        return list(zset.ordered.islice(length - 1 - end, length - start, reverse=True))
    return list(zset.ordered.islice(start, end + 1))


def _take(entries, limit: int) -> list:
    return list(itertools.islice(entries, limit if limit >= 0 else None))


def select_by_score(zset: ZSetValue, score_range: ScoreRange, reverse, offset, limit) -> list:
    start, end = score_range.span(zset)
    if offset < 0:  # Redis walks a negative offset off the end of the set
        return []
    if reverse:
        end -= offset
        entries = zset.ordered.islice(start, end, reverse=True) if start < end else ()
    else:
        start += offset
        entries = zset.ordered.islice(start, end) if start < end else ()
    return _take(entries, limit)


def select_by_lex(zset: ZSetValue, lex_range: LexRange, reverse, offset, limit) -> list:
    """Walk from the first member in range, skip `offset` members unchecked, then emit while
    members stay inside the far bound (genericZrangebylexCommand's walk)."""
    start = lex_range.last_rank(zset) if reverse else lex_range.first_rank(zset)
    if start is None or offset < 0:
        return []
    if reverse:
        if start - offset < 0:
            return []
        walk = zset.ordered.islice(0, start - offset + 1, reverse=True)
        inside = lex_range.above_low
    else:
        walk = zset.ordered.islice(start + offset)
        inside = lex_range.below_high
    return _take(itertools.takewhile(lambda entry: inside(entry[1]), walk), limit)


def select_range(zset: ZSetValue, query: RangeQuery) -> list:
    """(score, member) pairs in reply order."""
    if query.kind == "rank":
        start, end = query.bounds
        return select_by_rank(zset, start, end, query.reverse)
    if query.kind == "score":
        selector = select_by_score
    else:
        selector = select_by_lex
    return selector(zset, query.bounds, query.reverse, query.offset, query.limit)


def range_command(ctx, args, kind=None, reverse=None):
    """ZRANGE key min max [...] and the older forms that fix the kind or the direction."""
    query = parse_range_query(args[1:], False, kind, reverse)
    zset = get_zset(ctx, args[0])
    if zset is None:
        return []
    return entries_reply(select_range(zset, query), query.withscores)


# -- ZADD / ZINCRBY -------------------------------------------------------------------------------
ZADD_FLAGS = (b"NX", b"XX", b"CH", b"INCR", b"GT", b"LT")


def parse_zadd(args) -> tuple:
    """Flags then score-member pairs, checked in Redis's order -> (flags, [(score, member)])."""
    flags = {}
    index = 0
    while index < len(args) and keyword(args[index]) in ZADD_FLAGS:
        flags[keyword(args[index])] = True
        index += 1
    pairs = args[index:]
    if not pairs or len(pairs) % 2:
        raise CommandError(errors.SYNTAX)
    nx, gt, lt = flags.get(b"NX"), flags.get(b"GT"), flags.get(b"LT")
    if nx and flags.get(b"XX"):
        raise CommandError(errors.XX_AND_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise CommandError(errors.GT_LT_NX)
    if flags.get(b"INCR") and len(pairs) > 2:
        raise CommandError(errors.INCR_ONE_PAIR)
    elements = [(parse_score(pairs[i]), pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return flags, elements


def _update_member(zset: ZSetValue, flags: dict, score: float, member: bytes, current: float):
    """zsetAdd on an existing member -> the new score, or None when the flags skip it."""
    if flags.get(b"NX"):
        return None
    if flags.get(b"INCR"):
        score += current
        if math.isnan(score):
            raise CommandError(errors.SCORE_NAN)
    if (flags.get(b"LT") and score >= current) or (flags.get(b"GT") and score <= current):
        return None
    if score != current:
        zset.add(member, score)
    return score


def zadd_generic(ctx, key: bytes, flags: dict, elements):
    zset = get_zset(ctx, key)
    created = zset is None
    if created:
        if flags.get(b"XX"):
            return None if flags.get(b"INCR") else 0
        zset = ZSetValue()
    added = updated = processed = 0
    new_score = None
    for score, member in elements:
        current = zset.scores.get(member)
        if current is None:
            if flags.get(b"XX"):
                continue
            zset.add(member, score)
            added += 1
        else:
            score = _update_member(zset, flags, score, member, current)
            if score is None:
                continue
            if score != current:
                updated += 1
        processed += 1
        new_score = score
    if created and len(zset):
        ctx.set(key, zset)
    if flags.get(b"INCR"):
        return Double(new_score) if processed else None
    return added + updated if flags.get(b"CH") else added


@command("zadd", -4, "write denyoom fast", keys=(1, 1, 1), group=GROUP)
def zadd(ctx, args):
    """Add members to a sorted set, or update their scores (NX XX GT LT CH INCR)."""
    flags, elements = parse_zadd(args[1:])
    return zadd_generic(ctx, args[0], flags, elements)


@command("zincrby", 4, "write denyoom fast", keys=(1, 1, 1), group=GROUP)
def zincrby(ctx, args):
    """Increment the score of a member of a sorted set."""
    # Redis runs ZADD's parser from the increment on, so ZINCRBY k NX m is a syntax error.
    flags, elements = parse_zadd(args[1:])
    flags[b"INCR"] = True
    return zadd_generic(ctx, args[0], flags, elements)


# -- single-member reads ---------------------------------------------------------------------------
@command("zcard", 2, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zcard(ctx, args):
    """Get the number of members in a sorted set."""
    zset = get_zset(ctx, args[0])
    return 0 if zset is None else len(zset)


@command("zscore", 3, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zscore(ctx, args):
    """Get the score of a member of a sorted set."""
    zset = get_zset(ctx, args[0])
    score = None if zset is None else zset.scores.get(args[1])
    return None if score is None else Double(score)


@command("zmscore", -3, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zmscore(ctx, args):
    """Get the scores of several members of a sorted set."""
    zset = get_zset(ctx, args[0])
    scores = {} if zset is None else zset.scores
    reply = []
    for member in args[1:]:
        score = scores.get(member)
        reply.append(None if score is None else Double(score))
    return reply


def rank_command(ctx, args, reverse: bool):
    """ZRANK/ZREVRANK key member (Redis 7.0: no WITHSCORE, which 7.2 added)."""
    zset = get_zset(ctx, args[0])
    rank = None if zset is None else zset.rank(args[1])
    if rank is None:
        return None
    return len(zset) - 1 - rank if reverse else rank


@command("zrank", 3, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zrank(ctx, args):
    """Get the rank of a member in a sorted set, lowest score first."""
    return rank_command(ctx, args, False)


@command("zrevrank", 3, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zrevrank(ctx, args):
    """Get the rank of a member in a sorted set, highest score first."""
    return rank_command(ctx, args, True)


# -- counting --------------------------------------------------------------------------------------
@command("zcount", 4, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zcount(ctx, args):
    """Count the members of a sorted set with scores within a range."""
    score_range = ScoreRange(args[1], args[2])
    zset = get_zset(ctx, args[0])
    if zset is None:
        return 0
    start, end = score_range.span(zset)
    return end - start


@command("zlexcount", 4, "readonly fast", keys=(1, 1, 1), group=GROUP)
def zlexcount(ctx, args):
    """Count the members of a sorted set within a lexicographical range."""
    lex_range = LexRange(args[1], args[2])
    zset = get_zset(ctx, args[0])
    if zset is None:
        return 0
    start, end = lex_range.forward_span(zset)
    return end - start


# -- ranges ----------------------------------------------------------------------------------------
@command("zrange", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrange(ctx, args):
    """Return a range of members of a sorted set (by rank, BYSCORE or BYLEX, REV, LIMIT)."""
    return range_command(ctx, args)


@command("zrangestore", -5, "write denyoom", keys=(1, 2, 1), group=GROUP)
def zrangestore(ctx, args):
    """Store a range of members of a sorted set into another key."""
    query = parse_range_query(args[2:], True)
    source = get_zset(ctx, args[1])
    result = ZSetValue()
    if source is not None:
        for score, member in select_range(source, query):
            result.add(member, score)
    return store_or_delete(ctx, args[0], result)


@command("zrevrange", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrevrange(ctx, args):
    """Return a range of members of a sorted set by rank, highest score first."""
    return range_command(ctx, args, kind="rank", reverse=True)


@command("zrangebyscore", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrangebyscore(ctx, args):
    """Return the members of a sorted set with scores within a range."""
    return range_command(ctx, args, kind="score", reverse=False)


@command("zrevrangebyscore", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrevrangebyscore(ctx, args):
    """Return the members of a sorted set with scores within a range, highest first."""
    return range_command(ctx, args, kind="score", reverse=True)


@command("zrangebylex", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrangebylex(ctx, args):
    """Return the members of a sorted set within a lexicographical range."""
    return range_command(ctx, args, kind="lex", reverse=False)


@command("zrevrangebylex", -4, "readonly", keys=(1, 1, 1), group=GROUP)
def zrevrangebylex(ctx, args):
    """Return the members of a sorted set within a lexicographical range, in reverse order."""
    return range_command(ctx, args, kind="lex", reverse=True)


# -- removal ---------------------------------------------------------------------------------------
@command("zrem", -3, "write fast", keys=(1, 1, 1), group=GROUP)
def zrem(ctx, args):
    """Remove members from a sorted set."""
    zset = get_zset(ctx, args[0])
    if zset is None:
        return 0
    removed = sum(1 for member in args[1:] if zset.discard(member))
    ctx.delete_if_empty(args[0], zset)
    return removed


def remove_span(ctx, key: bytes, span_of) -> int:
    """Shared tail of ZREMRANGEBY*: span_of(zset) gives the ranks [start, end) to delete."""
    zset = get_zset(ctx, key)
    if zset is None:
        return 0
    start, end = span_of(zset)
    removed = zset.delete_range(start, end)
    ctx.delete_if_empty(key, zset)
    return removed


@command("zremrangebyrank", 4, "write", keys=(1, 1, 1), group=GROUP)
def zremrangebyrank(ctx, args):
    """Remove the members of a sorted set within a range of ranks."""
    start, end = parse_int(args[1]), parse_int(args[2])

    def span_of(zset):
        length = len(zset)
        first = max(start + length if start < 0 else start, 0)
        last = min(end + length if end < 0 else end, length - 1)
        return first, max(first, last + 1)

    return remove_span(ctx, args[0], span_of)


@command("zremrangebyscore", 4, "write", keys=(1, 1, 1), group=GROUP)
def zremrangebyscore(ctx, args):
    """Remove the members of a sorted set with scores within a range."""
    return remove_span(ctx, args[0], ScoreRange(args[1], args[2]).span)


@command("zremrangebylex", 4, "write", keys=(1, 1, 1), group=GROUP)
def zremrangebylex(ctx, args):
    """Remove the members of a sorted set within a lexicographical range."""
    return remove_span(ctx, args[0], LexRange(args[1], args[2]).forward_span)


# -- pops ------------------------------------------------------------------------------------------
def pop_entries(ctx, key: bytes, zset: ZSetValue, from_max: bool, count: int) -> list:
    index = -1 if from_max else 0
    popped = [zset.pop_at(index) for _ in range(min(count, len(zset)))]
    ctx.delete_if_empty(key, zset)
    return popped


def pop_command(ctx, args, from_max: bool):
    """ZPOPMIN/ZPOPMAX key [count]: member/score pairs with a count (nested in RESP3), a flat
    [member, score] without one, as Redis 7.0 replies."""
    if len(args) > 2:
        raise CommandError(errors.SYNTAX)
    count = parse_count(args[1], errors.NOT_POSITIVE) if len(args) == 2 else 1
    zset = get_zset(ctx, args[0])
    if zset is None or count == 0:
        return []
    popped = pop_entries(ctx, args[0], zset, from_max, count)
    if len(args) == 1:
        score, member = popped[0]
        return [member, Double(score)]
    return entries_reply(popped, True)


@command("zpopmin", -2, "write fast", keys=(1, 1, 1), group=GROUP)
def zpopmin(ctx, args):
    """Remove and return the members with the lowest scores in a sorted set."""
    return pop_command(ctx, args, False)


@command("zpopmax", -2, "write fast", keys=(1, 1, 1), group=GROUP)
def zpopmax(ctx, args):
    """Remove and return the members with the highest scores in a sorted set."""
    return pop_command(ctx, args, True)


@command("zmpop", -4, "write movablekeys", keys_fn=numkeys_at(1), group=GROUP)
def zmpop(ctx, args):
    """Pop members from the first non-empty sorted set among several keys."""
    numkeys = to_int(args[0])
    if numkeys is None or numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    where_index = 1 + numkeys
    if where_index >= len(args):
        raise CommandError(errors.SYNTAX)
    where = keyword(args[where_index])
    if where not in (b"MIN", b"MAX"):
        raise CommandError(errors.SYNTAX)
    count = parse_mpop_count(args[where_index + 1:])
    for key in args[1:where_index]:
        zset = get_zset(ctx, key)
        if zset is not None:
            popped = pop_entries(ctx, key, zset, where == b"MAX", count)
            return [key, [[member, Double(score)] for score, member in popped]]
    return NULL_ARRAY


# -- set algebra: ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD -------------------------------
AGGREGATES = (b"SUM", b"MIN", b"MAX")


class SetOperation:
    """Parsed inputs of zunionInterDiffGenericCommand."""

    __slots__ = ("sources", "weights", "aggregate", "withscores", "limit")

    def __init__(self, sources):
        self.sources = sources  # ZSetValue, SetValue or None (missing key), in argument order
        self.weights = [1.0] * len(sources)
        self.aggregate = b"SUM"
        self.withscores = False
        self.limit = 0  # ZINTERCARD: 0 means no limit


def _source_value(ctx, key: bytes):
    value = ctx.get(key)
    if value is not None and type(value) not in (ZSetValue, SetValue):
        raise CommandError(errors.WRONGTYPE)
    return value


def _parse_setop_options(operation: SetOperation, options, kind: str, store: bool,
                         cardinality_only: bool):
    weighted = kind != "diff" and not cardinality_only
    index = 0
    while index < len(options):
        option = keyword(options[index])
        remaining = len(options) - index
        if weighted and option == b"WEIGHTS" and remaining > len(operation.sources):
            for position in range(len(operation.sources)):
                raw = options[index + 1 + position]
                operation.weights[position] = parse_score(raw, errors.WEIGHTS_NOT_FLOAT)
            index += 1 + len(operation.sources)
        elif weighted and option == b"AGGREGATE" and remaining >= 2:
            aggregate = keyword(options[index + 1])
            if aggregate not in AGGREGATES:
                raise CommandError(errors.SYNTAX)
            operation.aggregate = aggregate
            index += 2
        elif not store and not cardinality_only and option == b"WITHSCORES":
            operation.withscores = True
            index += 1
        elif cardinality_only and option == b"LIMIT" and remaining >= 2:
            operation.limit = parse_count(options[index + 1], errors.LIMIT_NEGATIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)


def parse_set_operation(ctx, args, name: str, kind: str, store=False, cardinality_only=False):
    """args start at numkeys. Checks in Redis's order: numkeys, key types, then options."""
    numkeys = parse_int(args[0])
    if numkeys < 1:
        raise CommandError(errors.AT_LEAST_ONE_INPUT_KEY % name)
    if numkeys > len(args) - 1:
        raise CommandError(errors.SYNTAX)
    operation = SetOperation([_source_value(ctx, key) for key in args[1:1 + numkeys]])
    _parse_setop_options(operation, args[1 + numkeys:], kind, store, cardinality_only)
    return operation


def _members(source):
    """(member, score) pairs of an input: a plain set's members all score 1."""
    if source is None:
        return ()
    if type(source) is SetValue:
        return ((member, 1.0) for member in source)
    return source.scores.items()


def _score_in(source, member: bytes):
    if source is None:
        return None
    if type(source) is SetValue:
        return 1.0 if member in source else None
    return source.scores.get(member)


def _aggregate(target: float, value: float, aggregate: bytes) -> float:
    """zunionInterAggregate: +inf + -inf sums to 0, and a NaN never wins MIN or MAX."""
    if aggregate == b"SUM":
        total = target + value
        return 0.0 if math.isnan(total) else total
    if aggregate == b"MIN":
        return value if value < target else target
    return value if value > target else target


def _weighted(score: float, weight: float) -> float:
    product = weight * score
    return 0.0 if math.isnan(product) else product  # inf * 0


def _by_cardinality(operation: SetOperation) -> list:
    """(source, weight) smallest first, as Redis sorts its inputs for union and inter."""
    pairs = zip(operation.sources, operation.weights)
    return sorted(pairs, key=lambda pair: 0 if pair[0] is None else len(pair[0]))


def compute_union(operation: SetOperation) -> dict:
    result = {}
    for source, weight in _by_cardinality(operation):
        for member, score in _members(source):
            value = _weighted(score, weight)
            current = result.get(member)
            result[member] = value if current is None else _aggregate(
                current, value, operation.aggregate)
    return result


def compute_inter(operation: SetOperation, limit: int = 0) -> dict:
    """Members in every input; stops after `limit` members when limit > 0 (ZINTERCARD)."""
    ordered = _by_cardinality(operation)
    (first, first_weight), others = ordered[0], ordered[1:]
    result = {}
    for member, score in _members(first):
        total = _weighted(score, first_weight)
        for source, weight in others:
            value = _score_in(source, member)
            if value is None:
                break
            total = _aggregate(total, value * weight, operation.aggregate)
        else:
            result[member] = total
            if limit and len(result) >= limit:
                break
    return result


def compute_diff(operation: SetOperation) -> dict:
    first, others = operation.sources[0], operation.sources[1:]
    return {
        member: score for member, score in _members(first)
        if all(_score_in(other, member) is None for other in others)
    }


COMPUTE = {"union": compute_union, "inter": compute_inter, "diff": compute_diff}


def set_operation_reply(ctx, args, name: str, kind: str):
    operation = parse_set_operation(ctx, args, name, kind)
    result = COMPUTE[kind](operation)
    entries = sorted((score, member) for member, score in result.items())
    return entries_reply(entries, operation.withscores)


def set_operation_store(ctx, args, name: str, kind: str):
    operation = parse_set_operation(ctx, args[1:], name, kind, store=True)
    zset = ZSetValue()
    for member, score in COMPUTE[kind](operation).items():
        zset.add(member, score)
    return store_or_delete(ctx, args[0], zset)


def destination_and_numkeys(argv) -> list:
    """keys_fn for ZUNIONSTORE dest numkeys key...: the destination, then the sources."""
    return [1] + numkeys_at(2)(argv)


@command("zunion", -3, "readonly movablekeys", keys_fn=numkeys_at(1), group=GROUP)
def zunion(ctx, args):
    """Return the union of sorted sets (WEIGHTS, AGGREGATE, WITHSCORES)."""
    return set_operation_reply(ctx, args, "zunion", "union")


@command("zinter", -3, "readonly movablekeys", keys_fn=numkeys_at(1), group=GROUP)
def zinter(ctx, args):
    """Return the intersection of sorted sets (WEIGHTS, AGGREGATE, WITHSCORES)."""
    return set_operation_reply(ctx, args, "zinter", "inter")


@command("zdiff", -3, "readonly movablekeys", keys_fn=numkeys_at(1), group=GROUP)
def zdiff(ctx, args):
    """Return the members of the first sorted set missing from all the others."""
    return set_operation_reply(ctx, args, "zdiff", "diff")


@command("zunionstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         keys_fn=destination_and_numkeys, group=GROUP)
def zunionstore(ctx, args):
    """Store the union of sorted sets in a key."""
    return set_operation_store(ctx, args, "zunionstore", "union")


@command("zinterstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         keys_fn=destination_and_numkeys, group=GROUP)
def zinterstore(ctx, args):
    """Store the intersection of sorted sets in a key."""
    return set_operation_store(ctx, args, "zinterstore", "inter")


@command("zdiffstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         keys_fn=destination_and_numkeys, group=GROUP)
def zdiffstore(ctx, args):
    """Store the difference of sorted sets in a key."""
    return set_operation_store(ctx, args, "zdiffstore", "diff")


@command("zintercard", -3, "readonly movablekeys", keys_fn=numkeys_at(1), group=GROUP)
def zintercard(ctx, args):
    """Count the members of the intersection of sorted sets (LIMIT stops early)."""
    operation = parse_set_operation(ctx, args, "zintercard", "inter", cardinality_only=True)
    return len(compute_inter(operation, operation.limit))


# -- random members and scanning -------------------------------------------------------------------
HALF_INT64 = INT64_MAX // 2
SUBTRACT_STRATEGY_FACTOR = 3  # Redis's ZRANDMEMBER_SUB_STRATEGY_MUL


def parse_random_count(args):
    """ZRANDMEMBER key [count [WITHSCORES]] -> (count, withscores); count None when absent."""
    if len(args) < 2:
        return None, False
    count = parse_int(args[1])
    if count < -INT64_MAX:
        raise CommandError(errors.RANDOM_COUNT_RANGE)
    if len(args) > 3 or (len(args) == 3 and keyword(args[2]) != b"WITHSCORES"):
        raise CommandError(errors.SYNTAX)
    withscores = len(args) == 3
    if withscores and not -HALF_INT64 <= count <= HALF_INT64:
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    return count, withscores


def distinct_ranks(rng, size: int, count: int) -> list:
    """`count` distinct ranks below `size` (count < size), in draw order."""
    if count * SUBTRACT_STRATEGY_FACTOR > size:
        return rng.sample(list(range(size)), count)
    chosen = {}
    while len(chosen) < count:
        chosen[rng.below(size)] = None
    return list(chosen)


def random_entries(rng, zset: ZSetValue, count: int) -> list:
    ordered = zset.ordered
    size = len(ordered)
    if count < 0:  # repeats allowed
        return [ordered[rng.below(size)] for _ in range(-count)]
    if count >= size:  # the whole set, highest first, as Redis's set iterator goes
        return list(reversed(ordered))
    if count == 1:
        return [ordered[rng.below(size)]]
    return [ordered[rank] for rank in distinct_ranks(rng, size, count)]


@command("zrandmember", -2, "readonly", keys=(1, 1, 1), group=GROUP)
def zrandmember(ctx, args):
    """Return random members of a sorted set (negative count allows repeats)."""
    count, withscores = parse_random_count(args)
    zset = get_zset(ctx, args[0])
    if count is None:
        return None if zset is None else zset.ordered[ctx.rng.below(len(zset))][1]
    if zset is None or count == 0:
        return []
    return entries_reply(random_entries(ctx.rng, zset, count), withscores)


@command("zscan", -3, "readonly", keys=(1, 1, 1), group=GROUP)
def zscan(ctx, args):
    """Incrementally iterate the members and scores of a sorted set."""
    cursor = parse_cursor(args[1])
    zset = get_zset(ctx, args[0])
    if zset is None:
        return [b"0", []]
    pattern, count, _, _ = parse_scan_options(args[2:])
    if encoding_name(zset) == b"listpack":
        # Redis returns a small (listpack) set whole, in score order, whatever the cursor.
        next_cursor = 0
        members = [member for _, member in zset.ordered]
        if pattern is not None:
            members = [member for member in members if match(pattern, member)]
    else:
        next_cursor, members = scan(zset.scores, cursor, count, pattern)
    reply = []
    for member in members:
        reply.append(member)
        reply.append(format_double(zset.scores[member]))
    return [str(next_cursor).encode(), reply]

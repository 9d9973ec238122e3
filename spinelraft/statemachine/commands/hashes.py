"""Hash commands (t_hash.c): HSET and friends, counters, HRANDFIELD and HSCAN.

Hashes are HashValue dicts changed in place; insertion order is the iteration order, which is
also the order Redis 7.0 uses for small (listpack) hashes. A hash that loses its last field is
deleted. The random-pick and SCAN helpers here are shared with the set commands.
"""
from fractions import Fraction
from itertools import islice

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK, Map, Pairs
from spinelraft.statemachine.args import (
    INT64_MAX,
    INT64_MIN,
    keyword,
    long_double_sum,
    parse_int,
    to_int,
    to_long_double,
)
from spinelraft.statemachine.glob import match
from spinelraft.statemachine.scan import parse_cursor, parse_scan_options, scan
from spinelraft.statemachine.values import HashValue, encoding_name

WITHVALUES = b"WITHVALUES"


def get_hash(ctx, key):
    """The hash at key, None if missing, WRONGTYPE otherwise."""
    return ctx.get_typed(key, HashValue)


def hash_for_write(ctx, key) -> HashValue:
    """The hash at key, created (and stored) when missing; WRONGTYPE otherwise."""
    return ctx.get_or_create(key, HashValue)


# -- helpers shared with sets.py (SRANDMEMBER, SSCAN) ---------------------------------------------
def parse_random_count(raw: bytes) -> int:
    """The count of HRANDFIELD / SRANDMEMBER: an int64 other than INT64_MIN."""
    count = parse_int(raw)
    if count == INT64_MIN:
        raise CommandError(errors.RANDOM_COUNT_RANGE)
    return count


def random_member(rng, container):
    """One uniformly chosen element of a dict-based container, without copying it."""
    return next(islice(iter(container), rng.below(len(container)), None))


def random_picks(rng, population: list, count: int) -> list:
    """Redis count semantics: count >= 0 picks distinct items (all of them, in order, when
    count covers the population); a negative count picks -count items that may repeat."""
    if count >= 0:
        if count >= len(population):
            return population
        return rng.sample(population, count)
    size = len(population)
    return [population[rng.below(size)] for _ in range(-count)]


def scan_step(elements: list, args, small: bool, allow_novalues: bool = False):
    """One *SCAN step: (next cursor, matching elements, novalues flag).

    args are the options after the cursor. Redis returns a small (listpack/intset encoded)
    container whole in one step with cursor 0; larger ones use the hash-ordered cursor.
    """
    cursor = parse_cursor(args[0])
    pattern, count, _, novalues = parse_scan_options(args[1:], allow_novalues=allow_novalues)
    if small:
        found = [e for e in elements if pattern is None or match(pattern, e)]
        return 0, found, novalues
    next_cursor, found = scan(elements, cursor, count, pattern)
    return next_cursor, found, novalues


# -- setting and reading fields ------------------------------------------------------------------
def set_fields(ctx, args, name: str) -> int:
    """HSET/HMSET body: store field/value pairs, return how many fields are new."""
    if len(args) % 2 == 0:
        raise CommandError(errors.wrong_arity(name))
    value = hash_for_write(ctx, args[0])
    added = 0
    for index in range(1, len(args), 2):
        field = args[index]
        if field not in value:
            added += 1
        value[field] = args[index + 1]
    return added


@command("hset", -4, "write denyoom fast", keys=(1, 1, 1), group="hash")
def hset(ctx, args):
    """Set the value of one or more fields; returns how many fields were added."""
    return set_fields(ctx, args, "hset")


@command("hmset", -4, "write denyoom fast", keys=(1, 1, 1), group="hash")
def hmset(ctx, args):
    """Set the values of several fields (deprecated form of HSET)."""
    set_fields(ctx, args, "hmset")
    return OK


@command("hsetnx", 4, "write denyoom fast", keys=(1, 1, 1), group="hash")
def hsetnx(ctx, args):
    """Set a field only if it does not exist yet."""
    value = get_hash(ctx, args[0])
    if value is not None and args[1] in value:
        return 0
    hash_for_write(ctx, args[0])[args[1]] = args[2]
    return 1


@command("hget", 3, "readonly fast", keys=(1, 1, 1), group="hash")
def hget(ctx, args):
    """Get the value of a field."""
    value = get_hash(ctx, args[0])
    return None if value is None else value.get(args[1])


@command("hmget", -3, "readonly fast", keys=(1, 1, 1), group="hash")
def hmget(ctx, args):
    """Get the values of several fields (nil for missing ones)."""
    value = get_hash(ctx, args[0])
    if value is None:
        return [None] * (len(args) - 1)
    return [value.get(field) for field in args[1:]]


@command("hdel", -3, "write fast", keys=(1, 1, 1), group="hash")
def hdel(ctx, args):
    """Delete fields; returns how many existed. The key goes with its last field."""
    value = get_hash(ctx, args[0])
    if value is None:
        return 0
    removed = 0
    for field in args[1:]:
        if value.pop(field, None) is not None:
            removed += 1
    ctx.delete_if_empty(args[0], value)
    return removed


@command("hexists", 3, "readonly fast", keys=(1, 1, 1), group="hash")
def hexists(ctx, args):
    """Whether a field exists (1 or 0)."""
    value = get_hash(ctx, args[0])
    return int(value is not None and args[1] in value)


@command("hlen", 2, "readonly fast", keys=(1, 1, 1), group="hash")
def hlen(ctx, args):
    """Number of fields in the hash."""
    value = get_hash(ctx, args[0])
    return 0 if value is None else len(value)


@command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), group="hash")
def hstrlen(ctx, args):
    """Length of a field's value (0 when missing)."""
    value = get_hash(ctx, args[0])
    if value is None:
        return 0
    return len(value.get(args[1], b""))


@command("hkeys", 2, "readonly", keys=(1, 1, 1), group="hash")
def hkeys(ctx, args):
    """All field names."""
    value = get_hash(ctx, args[0])
    return [] if value is None else list(value)


@command("hvals", 2, "readonly", keys=(1, 1, 1), group="hash")
def hvals(ctx, args):
    """All values."""
    value = get_hash(ctx, args[0])
    return [] if value is None else list(value.values())


@command("hgetall", 2, "readonly", keys=(1, 1, 1), group="hash")
def hgetall(ctx, args):
    """All fields and values (a map in RESP3, a flat array in RESP2)."""
    value = get_hash(ctx, args[0])
    return Map([] if value is None else value.items())


# -- counters --------------------------------------------------------------------------------
@command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), group="hash")
def hincrby(ctx, args):
    """Increment the integer value of a field."""
    increment = parse_int(args[2])
    value = get_hash(ctx, args[0])
    current = 0
    if value is not None and args[1] in value:
        current = to_int(value[args[1]])
        if current is None:
            raise CommandError(errors.HASH_VALUE_NOT_INTEGER)
    result = current + increment
    if result < INT64_MIN or result > INT64_MAX:
        raise CommandError(errors.OVERFLOW)
    hash_for_write(ctx, args[0])[args[1]] = b"%d" % result
    return result


@command("hincrbyfloat", 4, "write denyoom fast", keys=(1, 1, 1), group="hash")
def hincrbyfloat(ctx, args):
    """Increment the float value of a field (long double arithmetic, as Redis)."""
    increment = to_long_double(args[2])
    if increment is None:
        raise CommandError(errors.NOT_FLOAT)
    if isinstance(increment, float):  # an infinity
        raise CommandError(errors.VALUE_NAN_OR_INF)
    value = get_hash(ctx, args[0])
    current = Fraction(0)
    if value is not None and args[1] in value:
        current = to_long_double(value[args[1]])
        if current is None:
            raise CommandError(errors.HASH_VALUE_NOT_FLOAT)
    result = long_double_sum(current, increment)
    hash_for_write(ctx, args[0])[args[1]] = result
    return result


# -- random fields and scanning ----------------------------------------------------------------
@command("hrandfield", -2, "readonly", keys=(1, 1, 1), group="hash")
def hrandfield(ctx, args):
    """One random field, or `count` of them: distinct if positive, possibly repeated if
    negative; WITHVALUES adds each value (field/value pairs: flat in RESP2, nested in RESP3)."""
    if len(args) == 1:
        value = get_hash(ctx, args[0])
        if value is None:
            return None
        return random_member(ctx.rng, value)
    count = parse_random_count(args[1])
    with_values = len(args) == 3 and keyword(args[2]) == WITHVALUES
    if len(args) > 3 or (len(args) == 3 and not with_values):
        raise CommandError(errors.SYNTAX)
    if with_values and not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    value = get_hash(ctx, args[0])
    if value is None or count == 0:
        return []
    fields = random_picks(ctx.rng, list(value), count)
    if not with_values:
        return list(fields)
    return Pairs((field, value[field]) for field in fields)


@command("hscan", -3, "readonly", keys=(1, 1, 1), group="hash")
def hscan(ctx, args):
    """Incrementally iterate fields and values (MATCH, COUNT, NOVALUES)."""
    parse_cursor(args[1])  # Redis checks the cursor before the key
    value = get_hash(ctx, args[0])
    if value is None:
        return [b"0", []]
    small = encoding_name(value) == b"listpack"
    cursor, fields, novalues = scan_step(list(value), args[1:], small, allow_novalues=True)
    if novalues:
        return [b"%d" % cursor, fields]
    reply = []
    for field in fields:
        reply += (field, value[field])
    return [b"%d" % cursor, reply]

"""Blocking list and sorted set commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP BZPOPMIN
BZPOPMAX BZMPOP): the data side.

Applied from the log, each one is its non-blocking form: it checks its arguments in Redis's
order (the timeout included), pops when one of its keys holds data, and otherwise answers the
"nothing" reply Redis gives inside MULTI (the null array, or nil for BLMOVE/BRPOPLPUSH).
Waiting is the front end's business (spinelraft/node/blocking.py): it proposes the command,
and on "nothing" parks the client until a write to one of its keys is applied, then proposes
the command again for that key. Every replica applies the same pop.
"""
import math
import re
from fractions import Fraction

from spinelraft import errors
from spinelraft.command_table import command, numkeys_at
from spinelraft.errors import CommandError
from spinelraft.replies import NULL_ARRAY, Double
from spinelraft.statemachine.args import INT64_MAX, parse_mpop_count, to_int
from spinelraft.statemachine.args import _round_mantissa as round_mantissa
from spinelraft.statemachine.commands.lists import (
    get_list,
    move_element,
    parse_side,
    pop_elements,
)
from spinelraft.statemachine.commands.zsets import (
    get_zset,
    pop_entries,
)

# string2ld copies the argument into a buffer of MAX_LONG_DOUBLE_CHARS (5 KiB).
LONG_DOUBLE_MAX_CHARS = 5 * 1024
# Beyond these strtold rounds to infinity or to zero and sets ERANGE: half a unit in the last
# place above the largest value, half the smallest subnormal.
LONG_DOUBLE_OVERFLOW = (2 - Fraction(1, 2**64)) * Fraction(2) ** 16383
LONG_DOUBLE_UNDERFLOW = Fraction(1, 2**16446)
_DECIMAL = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_HEXADECIMAL = re.compile(
    rb"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?\Z")
_INFINITY = re.compile(rb"[+-]?(inf|infinity)\Z", re.IGNORECASE)
_SPACE = b" \t\n\v\f\r"
SIGNIFICANT_DIGITS = 40  # far more than a 64-bit mantissa tells apart
EXPONENT_DIGITS_MAX = 6
TINY_SECONDS = Fraction(1, 2**100)


# -- the timeout ----------------------------------------------------------------------------------
def parse_timeout_ms(raw: bytes) -> int:
    """A blocking timeout in seconds (a float) -> milliseconds, 0 meaning forever.

    As Redis 7.0 getTimeoutFromObjectOrReply: strtold's syntax (hexadecimal and inf included,
    no leading space, nothing after the number, no NaN, no overflow or underflow to zero), then
    ceill(seconds * 1000.0) in long double arithmetic converted to a 64-bit integer, refused
    when negative (an out-of-range conversion gives LLONG_MIN: infinities and huge values are
    "negative"). Long doubles are emulated exactly (64-bit mantissa), the same on every replica.
    """
    seconds = _long_double(raw)
    if seconds is None:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if isinstance(seconds, float) or abs(seconds) >= 2**63:  # an infinity, or beyond int64
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    if abs(seconds) < TINY_SECONDS:  # zero, or so small that ceil gives 1 (or 0 below zero)
        return 1 if seconds > 0 else 0
    milliseconds = math.ceil(round_mantissa(round_mantissa(seconds) * 1000))
    if milliseconds < 0 or milliseconds > INT64_MAX:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return milliseconds


def _long_double(raw: bytes):
    """The value strtold reads (a Fraction, before rounding to 64 bits), an infinity (a float),
    or None when Redis refuses it."""
    if not raw or len(raw) >= LONG_DOUBLE_MAX_CHARS or raw[0] in _SPACE:
        return None
    if _INFINITY.match(raw):
        return -math.inf if raw.startswith(b"-") else math.inf
    text = raw.decode()
    negative = text.startswith("-")
    if _DECIMAL.match(raw):
        value = _scaled(text.lstrip("+-").lower(), "e", 10, 10)
    elif _HEXADECIMAL.match(raw):
        value = _scaled(text.lstrip("+-")[2:].lower(), "p", 16, 2)
    else:
        return None
    if value is None or value >= LONG_DOUBLE_OVERFLOW or 0 < value <= LONG_DOUBLE_UNDERFLOW:
        return None  # ERANGE: overflow, or underflow to zero
    return -value if negative else value


def _scaled(body: str, marker: str, digit_base: int, exponent_base: int):
    """digits[.digits][<marker>exponent] -> Fraction, or None when the value is far outside
    the long double range (decided before any huge power is computed)."""
    mantissa, _, exponent_text = body.partition(marker)
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Fraction(0)
    if len(exponent_text.lstrip("+-").lstrip("0")) > EXPONENT_DIGITS_MAX:
        return None
    exponent = int(exponent_text or "0")
    scale = -len(fraction)
    if len(digits) > SIGNIFICANT_DIGITS:  # keep enough digits to round, plus a sticky one
        sticky = "1" if digits[SIGNIFICANT_DIGITS:].strip("0") else "0"
        scale += len(digits) - SIGNIFICANT_DIGITS - 1
        digits = digits[:SIGNIFICANT_DIGITS] + sticky
    magnitude = (len(digits) + scale) * math.log2(digit_base) + exponent * math.log2(exponent_base)
    if not -16600 < magnitude < 16500:
        return None
    return (Fraction(int(digits, digit_base)) * Fraction(digit_base) ** scale
            * Fraction(exponent_base) ** exponent)


# -- BLPOP BRPOP BLMPOP ---------------------------------------------------------------------------
def pop_first_list(ctx, keys, from_left: bool, count):
    """Pop from the first non-empty list among keys (WRONGTYPE stops the scan where Redis
    does): [key, element], or [key, [elements]] when count is given; None if all are empty."""
    for key in keys:
        value = get_list(ctx, key)
        if value is None:
            continue
        if count is None:
            element = value.popleft() if from_left else value.pop()
            ctx.delete_if_empty(key, value)
            return [key, element]
        popped = pop_elements(value, from_left, count)
        ctx.delete_if_empty(key, value)
        return [key, popped]
    return None


def blocking_pop(ctx, args, from_left: bool):
    """BLPOP/BRPOP key [key ...] timeout."""
    parse_timeout_ms(args[-1])
    popped = pop_first_list(ctx, args[:-1], from_left, None)
    return NULL_ARRAY if popped is None else popped


@command("blpop", -3, "write noscript blocking", keys=(1, -2, 1), group="list",
         summary="Remove and get the first element in a list, or block until one is available")
def blpop(ctx, args):
    return blocking_pop(ctx, args, from_left=True)


@command("brpop", -3, "write noscript blocking", keys=(1, -2, 1), group="list",
         summary="Remove and get the last element in a list, or block until one is available")
def brpop(ctx, args):
    return blocking_pop(ctx, args, from_left=False)


def parse_numkeys(args, choices_parser):
    """timeout numkeys key [key ...] <choice> [COUNT n] as lmpopGenericCommand and
    zmpopGenericCommand check them (before the timeout): (keys, choice, count)."""
    numkeys = to_int(args[1])
    if numkeys is None or numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    choice_index = 2 + numkeys
    if choice_index >= len(args):
        raise CommandError(errors.SYNTAX)
    choice = choices_parser(args[choice_index])
    return args[2:choice_index], choice, args[choice_index + 1:]


@command("blmpop", -5, "write blocking movablekeys", keys_fn=numkeys_at(2), group="list",
         summary="Pop elements from a list, or block until one is available")
def blmpop(ctx, args):
    """BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]."""
    keys, from_left, options = parse_numkeys(args, parse_side)
    count = parse_mpop_count(options)
    parse_timeout_ms(args[0])
    popped = pop_first_list(ctx, keys, from_left, count)
    return NULL_ARRAY if popped is None else popped


# -- BLMOVE BRPOPLPUSH ----------------------------------------------------------------------------
@command("blmove", 6, "write denyoom noscript blocking", keys=(1, 2, 1), group="list",
         summary="Pop an element from a list, push it to another list and return it; "
                 "or block until one is available")
def blmove(ctx, args):
    """BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout."""
    from_left, to_left = parse_side(args[2]), parse_side(args[3])
    parse_timeout_ms(args[4])
    return move_element(ctx, args[0], args[1], from_left, to_left)


@command("brpoplpush", 4, "write denyoom noscript blocking", keys=(1, 2, 1), group="list",
         summary="Pop an element from a list, push it to another list and return it; "
                 "or block until one is available")
def brpoplpush(ctx, args):
    """BRPOPLPUSH source destination timeout."""
    parse_timeout_ms(args[2])
    return move_element(ctx, args[0], args[1], from_left=False, to_left=True)


# -- BZPOPMIN BZPOPMAX BZMPOP ---------------------------------------------------------------------
def pop_first_zset(ctx, keys, from_max: bool, count: int):
    """Pop up to count members from the first non-empty sorted set: (key, [(score, member)])."""
    for key in keys:
        zset = get_zset(ctx, key)
        if zset is not None:
            return key, pop_entries(ctx, key, zset, from_max, count)
    return None, None


def blocking_zpop(ctx, args, from_max: bool):
    """BZPOPMIN/BZPOPMAX key [key ...] timeout: [key, member, score]."""
    parse_timeout_ms(args[-1])
    key, popped = pop_first_zset(ctx, args[:-1], from_max, 1)
    if key is None:
        return NULL_ARRAY
    score, member = popped[0]
    return [key, member, Double(score)]


@command("bzpopmin", -3, "write noscript blocking fast", keys=(1, -2, 1), group="sorted-set",
         summary="Remove and return the member with the lowest score from one or more sorted "
                 "sets, or block until one is available")
def bzpopmin(ctx, args):
    return blocking_zpop(ctx, args, from_max=False)


@command("bzpopmax", -3, "write noscript blocking fast", keys=(1, -2, 1), group="sorted-set",
         summary="Remove and return the member with the highest score from one or more sorted "
                 "sets, or block until one is available")
def bzpopmax(ctx, args):
    return blocking_zpop(ctx, args, from_max=True)


def parse_min_max(raw: bytes) -> bool:
    """MIN/MAX (any case) -> True for MAX."""
    where = raw.upper()
    if where not in (b"MIN", b"MAX"):
        raise CommandError(errors.SYNTAX)
    return where == b"MAX"


@command("bzmpop", -5, "write blocking movablekeys", keys_fn=numkeys_at(2), group="sorted-set",
         summary="Remove and return members with scores in a sorted set or block until one "
                 "is available")
def bzmpop(ctx, args):
    """BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]."""
    keys, from_max, options = parse_numkeys(args, parse_min_max)
    count = parse_mpop_count(options)
    parse_timeout_ms(args[0])
    key, popped = pop_first_zset(ctx, keys, from_max, count)
    if key is None:
        return NULL_ARRAY
    return [key, [[member, Double(score)] for score, member in popped]]

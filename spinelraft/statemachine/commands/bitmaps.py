"""Bitmap commands (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP.

A bitmap is a string; bit 0 is the most significant bit of the first byte, as in Redis.
"""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.statemachine.args import parse_int, to_int
from spinelraft.statemachine.commands.strings import MAX_STRING_BYTES, get_string


def _parse_bit_offset(raw: bytes) -> int:
    offset = to_int(raw)
    if offset is None or offset < 0 or (offset >> 3) >= MAX_STRING_BYTES:
        raise CommandError(errors.BIT_OFFSET)
    return offset


def _bit_at(value: bytes, offset: int) -> int:
    byte_index = offset >> 3
    if byte_index >= len(value):
        return 0
    return (value[byte_index] >> (7 - (offset & 7))) & 1


@command("setbit", 4, "write denyoom", keys=(1, 1, 1), group="bitmap")
def setbit(ctx, args):
    """Set or clear one bit, growing the string with zero bytes; returns the old bit."""
    key = args[0]
    offset = _parse_bit_offset(args[1])
    bit = to_int(args[2])
    if bit not in (0, 1):
        raise CommandError(errors.BIT_VALUE)
    current = get_string(ctx, key) or b""
    old = _bit_at(current, offset)
    byte_index = offset >> 3
    if byte_index >= len(current):
        current += bytes(byte_index + 1 - len(current))
    mask = 1 << (7 - (offset & 7))
    byte = current[byte_index] | mask if bit else current[byte_index] & ~mask
    ctx.set(key, current[:byte_index] + bytes((byte,)) + current[byte_index + 1 :], keep_ttl=True)
    return old


@command("getbit", 3, "readonly fast", keys=(1, 1, 1), group="bitmap")
def getbit(ctx, args):
    """The bit at an offset (0 past the end of the string)."""
    offset = _parse_bit_offset(args[1])
    value = get_string(ctx, args[0])
    return 0 if value is None else _bit_at(value, offset)


def _parse_unit(raw: bytes) -> bool:
    """BYTE|BIT -> True for BIT."""
    unit = raw.upper()
    if unit not in (b"BIT", b"BYTE"):
        raise CommandError(errors.SYNTAX)
    return unit == b"BIT"


def _clamp(start: int, end: int, total: int):
    """Redis's index normalisation: negatives count from the end, then clip to [0, total-1]."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    return max(start, 0), min(max(end, 0), total - 1)


def _bit_span(start: int, end: int, in_bits: bool):
    """First and last bit of an inclusive range given in bits or bytes."""
    if in_bits:
        return start, end
    return start * 8, end * 8 + 7


def _count_bits(value: bytes, first_bit: int, last_bit: int) -> int:
    window = int.from_bytes(value[first_bit >> 3 : (last_bit >> 3) + 1], "big")
    window >>= 7 - (last_bit & 7)  # drop the bits after last_bit
    window &= (1 << (last_bit - first_bit + 1)) - 1  # and those before first_bit
    return window.bit_count()


@command("bitcount", -2, "readonly", keys=(1, 1, 1), group="bitmap")
def bitcount(ctx, args):
    """Count the set bits of a string, optionally within a BYTE or BIT range."""
    value = get_string(ctx, args[0])
    if value is None:
        return 0  # Redis answers before looking at the other arguments
    if len(args) == 1:
        start, end, in_bits = 0, len(value) - 1, False
    elif len(args) in (3, 4):
        start, end = parse_int(args[1]), parse_int(args[2])
        if start < 0 and end < 0 and start > end:
            return 0  # checked before the unit, as Redis does
        in_bits = _parse_unit(args[3]) if len(args) == 4 else False
        total = len(value) * 8 if in_bits else len(value)
        start, end = _clamp(start, end, total)
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return 0
    return _count_bits(value, *_bit_span(start, end, in_bits))


def _find_bit(value: bytes, bit: int, first_bit: int, last_bit: int):
    """Position of the first `bit` within bits first_bit..last_bit, or None."""
    first_byte = first_bit >> 3
    window = bytearray(value[first_byte : (last_bit >> 3) + 1])
    head = 0xFF >> (first_bit & 7)  # bits of the first byte inside the range
    tail = (0xFF << (7 - (last_bit & 7))) & 0xFF  # bits of the last byte inside the range
    if bit:
        window[0] &= head
        window[-1] &= tail
    else:  # bits outside the range must not be found: make them 1
        window[0] |= ~head & 0xFF
        window[-1] |= ~tail & 0xFF
    rest = window.lstrip(b"\xff" if bit == 0 else b"\x00")
    if not rest:
        return None
    byte = rest[0] if bit else rest[0] ^ 0xFF
    return (first_byte + len(window) - len(rest)) * 8 + 8 - byte.bit_length()


def _bitpos_range(value: bytes, args):
    """Parse [start [end [BYTE|BIT]]] -> (first bit, last bit, end given) or None if empty."""
    if len(args) == 0:
        start, end, in_bits, end_given = 0, len(value) - 1, False, False
    elif len(args) <= 3:
        start = parse_int(args[0])
        in_bits = _parse_unit(args[2]) if len(args) == 3 else False
        end_given = len(args) >= 2
        total = len(value) * 8 if in_bits else len(value)
        end = parse_int(args[1]) if end_given else total - 1
        start, end = _clamp(start, end, total)
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return None
    first_bit, last_bit = _bit_span(start, end, in_bits)
    return first_bit, last_bit, end_given


@command("bitpos", -3, "readonly", keys=(1, 1, 1), group="bitmap")
def bitpos(ctx, args):
    """Position of the first set or clear bit, optionally within a BYTE or BIT range."""
    bit = parse_int(args[1])
    if bit not in (0, 1):
        raise CommandError(errors.BIT_ARGUMENT)
    value = get_string(ctx, args[0])
    if value is None:
        return -1 if bit else 0  # a missing key is an endless run of clear bits
    span = _bitpos_range(value, args[2:])
    if span is None:
        return -1
    first_bit, last_bit, end_given = span
    position = _find_bit(value, bit, first_bit, last_bit)
    if position is not None:
        return position
    # Without an explicit end the string counts as padded with clear bits on the right.
    return last_bit + 1 if bit == 0 and not end_given else -1


BITOP_OPERATIONS = {
    b"AND": lambda left, right: left & right,
    b"OR": lambda left, right: left | right,
    b"XOR": lambda left, right: left ^ right,
}


@command("bitop", -4, "write denyoom", keys=(2, -1, 1), group="bitmap")
def bitop(ctx, args):
    """Store AND, OR, XOR or NOT of strings at a destination; returns its length."""
    operation, destination = args[0].upper(), args[1]
    if operation != b"NOT" and operation not in BITOP_OPERATIONS:
        raise CommandError(errors.SYNTAX)
    if operation == b"NOT" and len(args) != 3:
        raise CommandError(errors.BITOP_NOT_ONE_KEY)
    sources = [get_string(ctx, key) or b"" for key in args[2:]]
    width = max(len(source) for source in sources)
    if width == 0:
        ctx.delete(destination)  # an empty result removes the destination
        return 0
    # Shorter strings are padded with zero bytes on the right.
    numbers = [int.from_bytes(s, "big") << (8 * (width - len(s))) for s in sources]
    if operation == b"NOT":
        result = numbers[0] ^ ((1 << (8 * width)) - 1)
    else:
        combine = BITOP_OPERATIONS[operation]
        result = numbers[0]
        for number in numbers[1:]:
            result = combine(result, number)
    ctx.set(destination, result.to_bytes(width, "big"))
    return width

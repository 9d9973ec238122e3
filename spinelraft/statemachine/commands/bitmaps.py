"""Bitmap commands (bitops.c): SETBIT GETBIT BITCOUNT BITPOS BITOP.

A bitmap is a string; bit 0 is the most significant bit of the first byte, as in Redis.
"""
from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.statemachine.args import keyword, parse_int, to_int
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
    unit = keyword(raw)
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
    operation, destination = keyword(args[0]), args[1]
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


# -- BITFIELD ------------------------------------------------------------------------------------
# Integer fields of 1..64 bits at arbitrary bit offsets (bitops.c bitfieldGeneric). The overflow
# checks are transcribed from Redis with C's int64/uint64 wrapping, quirks included: e.g.
# OVERFLOW SAT SET i8 0 -9223372036854775808 stores 127, as Redis does.
UINT64_MASK = (1 << 64) - 1
BITFIELD_GET, BITFIELD_SET, BITFIELD_INCRBY = "get", "set", "incrby"
BITFIELD_OPCODES = {b"GET": (BITFIELD_GET, 2), b"SET": (BITFIELD_SET, 3),
                    b"INCRBY": (BITFIELD_INCRBY, 3)}
OVERFLOW_WRAP, OVERFLOW_SAT, OVERFLOW_FAIL = b"WRAP", b"SAT", b"FAIL"


def _int64(value: int) -> int:
    """C's conversion of a 64-bit pattern to int64_t."""
    value &= UINT64_MASK
    return value - (1 << 64) if value >> 63 else value


def _parse_bitfield_type(raw: bytes):
    """i1..i64 or u1..u63 -> (signed, bits). Lower-case prefix only, as Redis."""
    signed = raw[:1] == b"i"
    if not signed and raw[:1] != b"u":
        raise CommandError(errors.BITFIELD_TYPE)
    bits = to_int(raw[1:].split(b"\0")[0])  # Redis reads the width with strlen()
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise CommandError(errors.BITFIELD_TYPE)
    return signed, bits


def _parse_bitfield_offset(raw: bytes, bits: int) -> int:
    """An offset in bits, or '#n' meaning n * bits."""
    by_width = raw[:1] == b"#"
    offset = to_int(raw[1:] if by_width else raw)
    if offset is None:
        raise CommandError(errors.BIT_OFFSET)
    if by_width:
        offset = _int64(offset * bits)
    if offset < 0 or (offset >> 3) >= MAX_STRING_BYTES:
        raise CommandError(errors.BIT_OFFSET)
    return offset


def _parse_bitfield_ops(args):
    """Subcommands after the key -> list of (opcode, signed, bits, offset, value, overflow)."""
    operations = []
    overflow = OVERFLOW_WRAP
    index = 0
    while index < len(args):
        name = keyword(args[index])
        remaining = len(args) - index - 1
        if name == b"OVERFLOW" and remaining >= 1:
            overflow = keyword(args[index + 1])
            if overflow not in (OVERFLOW_WRAP, OVERFLOW_SAT, OVERFLOW_FAIL):
                raise CommandError(errors.BITFIELD_OVERFLOW_TYPE)
            index += 2
            continue
        opcode, needed = BITFIELD_OPCODES.get(name, (None, 0))
        if opcode is None or remaining < needed:
            raise CommandError(errors.SYNTAX)
        signed, bits = _parse_bitfield_type(args[index + 1])
        offset = _parse_bitfield_offset(args[index + 2], bits)
        value = parse_int(args[index + 3]) if opcode != BITFIELD_GET else 0
        operations.append((opcode, signed, bits, offset, value, overflow))
        index += needed + 1
    return operations


def _read_field(value, offset: int, bits: int) -> int:
    """The unsigned field at offset; bits past the end of the string read as 0."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(value[first : last + 1])
    chunk += bytes(last + 1 - first - len(chunk))
    shift = (last + 1) * 8 - (offset + bits)
    return (int.from_bytes(chunk, "big") >> shift) & ((1 << bits) - 1)


def _write_field(buffer: bytearray, offset: int, bits: int, field: int):
    first, last = offset >> 3, (offset + bits - 1) >> 3
    shift = (last + 1) * 8 - (offset + bits)
    mask = ((1 << bits) - 1) << shift
    window = int.from_bytes(buffer[first : last + 1], "big")
    window = (window & ~mask) | ((field << shift) & mask)
    buffer[first : last + 1] = window.to_bytes(last + 1 - first, "big")


def _signed_overflow(value: int, increment: int, bits: int, overflow: bytes):
    """checkSignedBitfieldOverflow: (overflowed, replacement value)."""
    top = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    bottom = -top - 1
    max_increment = _int64(top - value)
    min_increment = _int64(bottom - value)
    if value > top or (bits != 64 and increment > max_increment) or (
            value >= 0 and increment > 0 and increment > max_increment):
        limit = top
    elif value < bottom or (bits != 64 and increment < min_increment) or (
            value < 0 and increment < 0 and increment < min_increment):
        limit = bottom
    else:
        return False, None
    if overflow == OVERFLOW_WRAP:
        wrapped = (value + increment) & UINT64_MASK
        if bits < 64:  # sign-extend from the field's top bit
            wrapped &= (1 << bits) - 1
            if wrapped >> (bits - 1):
                wrapped -= 1 << bits
        limit = _int64(wrapped)
    return True, limit


def _unsigned_overflow(value: int, increment: int, bits: int, overflow: bytes):
    """checkUnsignedBitfieldOverflow, `value` being a uint64."""
    top = (1 << bits) - 1
    if value > top or (increment > 0 and increment > _int64(top - value)):
        limit = top
    elif increment < 0 and increment < _int64(-value):
        limit = 0
    else:
        return False, None
    if overflow == OVERFLOW_WRAP:
        limit = (value + increment) & top
    return True, limit


def _apply_write(buffer: bytearray, operation):
    """SET or INCRBY on the buffer; returns the reply (None when OVERFLOW FAIL refused)."""
    opcode, signed, bits, offset, argument, overflow = operation
    old = _read_field(buffer, offset, bits)
    if signed and old >> (bits - 1):
        old -= 1 << bits
    if opcode == BITFIELD_INCRBY:
        base, increment = old, argument
    else:
        base, increment = (argument if signed else argument & UINT64_MASK), 0
    check = _signed_overflow if signed else _unsigned_overflow
    overflowed, limit = check(base, increment, bits, overflow)
    if overflowed and overflow == OVERFLOW_FAIL:
        return None
    new = limit if overflowed else base + increment
    _write_field(buffer, offset, bits, new & ((1 << bits) - 1))
    return new if opcode == BITFIELD_INCRBY else old


def _read_op(value, operation) -> int:
    _, signed, bits, offset, _, _ = operation
    field = _read_field(value, offset, bits)
    if signed and field >> (bits - 1):
        field -= 1 << bits
    return field


def _bitfield(ctx, args, read_only_command: bool):
    key = args[0]
    operations = _parse_bitfield_ops(args[1:])
    writes = [op for op in operations if op[0] != BITFIELD_GET]
    if not writes:
        value = get_string(ctx, key) or b""
        return [_read_op(value, op) for op in operations]
    if read_only_command:
        raise CommandError(errors.BITFIELD_RO_GET_ONLY)
    current = get_string(ctx, key)
    highest = max(op[3] + op[2] - 1 for op in writes)
    buffer = bytearray(current or b"")
    if len(buffer) < (highest >> 3) + 1:  # the string grows even if every write fails
        buffer += bytes((highest >> 3) + 1 - len(buffer))
    replies = [_read_op(buffer, op) if op[0] == BITFIELD_GET else _apply_write(buffer, op)
               for op in operations]
    ctx.set(key, bytes(buffer), keep_ttl=True)
    return replies


@command("bitfield", -2, "write denyoom", keys=(1, 1, 1), group="bitmap")
def bitfield(ctx, args):
    """Get, set or increment integer fields of a string: GET SET INCRBY OVERFLOW."""
    return _bitfield(ctx, args, read_only_command=False)


@command("bitfield_ro", -2, "readonly fast", keys=(1, 1, 1), group="bitmap")
def bitfield_ro(ctx, args):
    """Read integer fields of a string (GET only)."""
    return _bitfield(ctx, args, read_only_command=True)

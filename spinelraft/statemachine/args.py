"""Argument parsing with Redis's exact acceptance rules (string2ll, strtod checks)."""
import math
import re
from fractions import Fraction

from spinelraft import errors
from spinelraft.errors import CommandError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
LONG_DOUBLE_FORMAT = "%.17Lf"

# Redis string2ll: optional '-', no '+', no leading zeros, no spaces, fits in int64.
_INT_RE = re.compile(rb"(0|-?[1-9][0-9]*)\Z")
# strtod as Redis uses it: no leading space, no trailing garbage. Python's float() would accept
# "1_0" and surrounding whitespace, so check the shape first.
_FLOAT_RE = re.compile(
    rb"[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity|0[xX][0-9a-fA-F]*\.?[0-9a-fA-F]*([pP][+-]?\d+)?)\Z",
    re.IGNORECASE,
)


def to_int(value: bytes):
    """Parse an int64 the way Redis string2ll does, or return None."""
    if len(value) > 20 or not _INT_RE.match(value):
        return None
    number = int(value)
    if number < INT64_MIN or number > INT64_MAX:
        return None
    return number


def parse_int(value: bytes, message: str = errors.NOT_INTEGER) -> int:
    number = to_int(value)
    if number is None:
        raise CommandError(message)
    return number


def to_float(value: bytes):
    """Parse a double the way Redis does (strtod, no spaces, no NaN), or return None."""
    if not value or not _FLOAT_RE.match(value):
        return None
    text = value.decode()
    try:
        if text.lower().lstrip("+-").startswith("0x"):
            number = float.fromhex(text)
        else:
            number = float(text)
    except ValueError:
        return None
    if math.isnan(number):
        return None
    return number


def parse_float(value: bytes, message: str = errors.NOT_FLOAT) -> float:
    number = to_float(value)
    if number is None:
        raise CommandError(message)
    return number


def parse_positive_int(value: bytes, message: str = errors.NOT_POSITIVE) -> int:
    number = to_int(value)
    if number is None:
        raise CommandError(errors.NOT_INTEGER)
    if number <= 0:
        raise CommandError(message)
    return number


def long_double_add(current: bytes, increment: bytes) -> bytes:
    """INCRBYFLOAT arithmetic as Redis does it: x87 long double (64-bit mantissa) addition,
    printed with %.17Lf and trailing zeros removed (ld2string LD_STR_HUMAN).

    Emulated exactly with fractions so every replica and every platform agree.
    """
    base = _to_long_double(current, errors.NOT_FLOAT)
    step = _to_long_double(increment, errors.NOT_FLOAT)
    if base is None or step is None:
        raise CommandError(errors.INCR_NAN_OR_INF)
    return format_long_double(_round_mantissa(base + step))


def _to_long_double(value: bytes, message: str):
    number = to_float(value)  # validates the shape; infinities are refused below
    if number is None:
        raise CommandError(message)
    if math.isinf(number):
        return None
    text = value.decode().strip()
    if text.lower().lstrip("+-").startswith("0x"):
        return Fraction(number)
    return _round_mantissa(Fraction(text))


def _round_mantissa(value: Fraction, bits: int = 64) -> Fraction:
    """Round to the nearest value with a `bits`-bit mantissa (ties to even)."""
    if value == 0:
        return value
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    scale = Fraction(2) ** (bits - 1 - exponent)
    mantissa = round(magnitude * scale)  # round() on Fraction rounds half to even
    if abs(exponent) > 16383:
        raise CommandError(errors.INCR_NAN_OR_INF)
    return sign * mantissa / scale


def format_long_double(value) -> bytes:
    """%.17Lf with trailing zeros (and a trailing dot) removed; -0 prints as 0."""
    value = Fraction(value)
    scaled = round(abs(value) * 10**17)
    sign = "-" if value < 0 else ""
    integer_part, fraction_part = divmod(scaled, 10**17)
    text = "%s%d.%017d" % (sign, integer_part, fraction_part)
    text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.encode()


def upper(value: bytes) -> bytes:
    return value.upper()

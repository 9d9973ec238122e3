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
    base = to_long_double(current)
    step = to_long_double(increment)
    if base is None or step is None:
        raise CommandError(errors.NOT_FLOAT)
    return long_double_sum(base, step)


def long_double_sum(base, step) -> bytes:
    """base + step (values from to_long_double) rounded to a long double and printed as
    INCRBYFLOAT prints it; an infinite or NaN result is refused as Redis refuses it."""
    if isinstance(base, float) or isinstance(step, float):  # an infinity: inf or NaN results
        raise CommandError(errors.INCR_NAN_OR_INF)
    result = round_long_double(base + step)
    if isinstance(result, float):
        raise CommandError(errors.INCR_NAN_OR_INF)
    return format_long_double(result)


# -- x87 80-bit long doubles: 64-bit mantissa, exponents -16382..16383, subnormals below ---------
LONG_DOUBLE_MAX_CHARS = 5 * 1024  # string2ld's buffer (MAX_LONG_DOUBLE_CHARS)
_LONG_DOUBLE_MIN_EXPONENT = -16382
_LONG_DOUBLE_OVERFLOW = Fraction(2) ** 16384  # rounding to this or beyond gives infinity
_LONG_DOUBLE_DECIMAL = re.compile(rb"([+-]?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?\Z")
_LONG_DOUBLE_HEX = re.compile(rb"([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?\Z")
_INFINITY = re.compile(rb"[+-]?(inf|infinity)\Z", re.IGNORECASE)
# Decimal exponents (of the leading digit) certainly outside the long double range: above the
# largest value (about 1.19e4932) or below half the smallest subnormal (about 1.8e-4951).
_DECIMAL_EXPONENT_MAX = 4933
_DECIMAL_EXPONENT_MIN = -4953
_INT_CHUNK_DIGITS = 4000  # Python refuses int <-> str conversions beyond 4300 digits


def round_long_double(value: Fraction):
    """The x87 long double nearest to an exact value (ties to even, subnormals included), or
    math.inf / -math.inf when it rounds beyond the largest one."""
    if value == 0:
        return Fraction(0)
    magnitude = abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    quantum = Fraction(2) ** (max(exponent, _LONG_DOUBLE_MIN_EXPONENT) - 63)
    rounded = round(magnitude / quantum) * quantum  # round() on a Fraction: half to even
    if rounded >= _LONG_DOUBLE_OVERFLOW:
        return -math.inf if value < 0 else math.inf
    return -rounded if value < 0 else rounded


def to_long_double(raw: bytes):
    """What Redis's string2ld reads: a Fraction (already a long double), math.inf / -math.inf,
    or None when refused (strtold syntax on the whole argument, no leading space, no NaN, no
    overflow to infinity nor underflow to zero)."""
    if not raw or len(raw) >= LONG_DOUBLE_MAX_CHARS:
        return None
    if _INFINITY.match(raw):
        return -math.inf if raw.startswith(b"-") else math.inf
    decimal = _LONG_DOUBLE_DECIMAL.match(raw)
    if decimal:
        exact = _decimal_value(*decimal.groups())
    else:
        hexadecimal = _LONG_DOUBLE_HEX.match(raw)
        exact = _hexadecimal_value(*hexadecimal.groups()) if hexadecimal else None
    if exact is None:
        return None
    value = round_long_double(exact)
    if isinstance(value, float) or (value == 0 and exact != 0):
        return None  # ERANGE: overflow, or underflow to zero
    return value


def _decimal_value(sign: bytes, whole: bytes, fraction: bytes, exponent_text):
    """The exact value of a decimal number, None without digits; far out of range values
    become 0 or a huge stand-in before any huge power is computed."""
    if not whole and not fraction:
        return None
    digits = (whole + fraction).lstrip(b"0")
    if not digits:
        return Fraction(0)
    exponent = _exponent(exponent_text) - len(fraction)
    leading = exponent + len(digits) - 1  # the decimal exponent of the first digit
    if leading > _DECIMAL_EXPONENT_MAX:
        return -_LONG_DOUBLE_OVERFLOW if sign == b"-" else _LONG_DOUBLE_OVERFLOW
    if leading < _DECIMAL_EXPONENT_MIN:
        value = Fraction(1, 2**20000)  # rounds to zero: an underflow
    else:
        value = _decimal_int(digits) * Fraction(10) ** exponent
    return -value if sign == b"-" else value


def _hexadecimal_value(sign: bytes, whole: bytes, fraction: bytes, exponent_text):
    """The exact value of a hexadecimal float (binary exponent after p), as _decimal_value."""
    if not whole and not fraction:
        return None
    digits = (whole + fraction).lstrip(b"0")
    if not digits:
        return Fraction(0)
    exponent = _exponent(exponent_text) - 4 * len(fraction)
    leading = exponent + 4 * len(digits)  # the value is below 2 ** leading
    if leading > 16400:
        return -_LONG_DOUBLE_OVERFLOW if sign == b"-" else _LONG_DOUBLE_OVERFLOW
    if leading < -16500:
        value = Fraction(1, 2**20000)
    else:
        value = int(digits, 16) * Fraction(2) ** exponent
    return -value if sign == b"-" else value


def _exponent(text) -> int:
    """An exponent, clamped: beyond a few digits only its sign matters."""
    if not text:
        return 0
    negative = text.startswith(b"-")
    magnitude = text.lstrip(b"+-").lstrip(b"0") or b"0"
    number = 10**9 if len(magnitude) > 9 else int(magnitude)
    return -number if negative else number


def _decimal_int(digits: bytes) -> int:
    number = 0
    for start in range(0, len(digits), _INT_CHUNK_DIGITS):
        chunk = digits[start:start + _INT_CHUNK_DIGITS]
        number = number * 10 ** len(chunk) + int(chunk)
    return number


def _decimal_text(number: int) -> str:
    """str(number) for a non-negative int of any size."""
    if number < 10**_INT_CHUNK_DIGITS:
        return "%d" % number
    high, low = divmod(number, 10**_INT_CHUNK_DIGITS)
    return _decimal_text(high) + ("%d" % low).zfill(_INT_CHUNK_DIGITS)


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
    text = "%s%s.%017d" % (sign, _decimal_text(integer_part), fraction_part)
    text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.encode()


def upper(value: bytes) -> bytes:
    return value.upper()


def c_string(value: bytes) -> bytes:
    """What C string functions see of an argument: everything before the first NUL."""
    return value.split(b"\0", 1)[0]


def keyword(value: bytes) -> bytes:
    """An option word as Redis's strcasecmp compares it: upper-cased, ending at a NUL."""
    return c_string(value).upper()


def shown(value: bytes) -> str:
    """An argument as Redis prints it with %s in an error text (a C string: cut at a NUL)."""
    return c_string(value).decode("utf-8", "replace")


def parse_mpop_count(options) -> int:
    """The optional COUNT n of LMPOP/ZMPOP after the direction, at most once; 1 when absent."""
    count = None
    index = 0
    while index < len(options):
        if count is not None or keyword(options[index]) != b"COUNT" or index + 1 >= len(options):
            raise CommandError(errors.SYNTAX)
        count = to_int(options[index + 1])
        if count is None or count < 1:
            raise CommandError(errors.COUNT_NOT_POSITIVE)
        index += 2
    return 1 if count is None else count

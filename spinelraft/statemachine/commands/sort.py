"""SORT and SORT_RO (sort.c): sort a list, set or sorted set, by itself or by other keys.

Scores are parsed like Redis's strtod() call (leading spaces, hex floats and an empty string
are accepted; trailing garbage, NaN, overflow and underflow are not). ALPHA compares bytes,
which is what Redis's strcoll() does under the C locale it runs with by default.
"""
import math
import re
from collections import deque

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.statemachine.args import parse_int
from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue

# What strtod() consumes: spaces, a sign, then a hex or decimal number, inf[inity] or nan.
_STRTOD_PREFIX = re.compile(
    rb"[ \t\n\v\f\r]*[+-]?(?:"
    rb"0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?"
    rb"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    rb"|(?i:inf(?:inity)?)|(?i:nan(?:\([0-9A-Za-z_]*\))?))"
)
SMALLEST_NORMAL = 2.2250738585072014e-308
# Options of SORT with their argument count, for finding the STORE key (sortGetKeys).
SKIPPED_OPTIONS = {b"LIMIT": 2, b"GET": 1, b"BY": 1}
# BY and GET read arbitrary keys, hence @dangerous (as in Redis).
SORT_CATEGORIES = ("@set", "@sortedset", "@list", "@dangerous")


def sort_keys(argv) -> list:
    """The sorted key, plus the last STORE destination (sortGetKeys)."""
    keys = [1]
    store = None
    index = 2
    while index < len(argv):
        word = argv[index].upper()
        if word in SKIPPED_OPTIONS:
            index += SKIPPED_OPTIONS[word]
        elif word == b"STORE" and index + 1 < len(argv):
            store = index + 1
        index += 1
    return keys + ([store] if store is not None else [])


def strtod_score(value: bytes):
    """The double Redis's SORT reads from `value`, or None when it reports a conversion error."""
    text = value.split(b"\0", 1)[0]  # strtod stops at the first NUL
    match = _STRTOD_PREFIX.match(text)
    if match is None:
        return 0.0 if not text else None  # nothing parsed: fine only at the terminator
    if match.end() != len(text):
        return None
    number_text = match.group().strip(b" \t\n\v\f\r").decode()
    lowered = number_text.lower()
    if "nan" in lowered:
        return None
    if "inf" in lowered:
        return float(number_text)
    try:
        number = float.fromhex(number_text) if "0x" in lowered else float(number_text)
    except OverflowError:
        return None
    if math.isinf(number) or (number != 0 and abs(number) < SMALLEST_NORMAL):
        return None  # ERANGE
    if number == 0 and _has_nonzero_digit(lowered):
        return None  # underflow to zero is ERANGE too
    return number


def _has_nonzero_digit(text: str) -> bool:
    mantissa = re.split("[ep]", text[2:] if "0x" in text else text)[0]
    return any(character not in "0.+-x" for character in mantissa)


class SortOptions:
    __slots__ = ("descending", "alpha", "limit", "store", "by", "dont_sort", "gets")

    def __init__(self):
        self.descending = False
        self.alpha = False
        self.limit = (0, -1)
        self.store = None
        self.by = None
        self.dont_sort = False
        self.gets = []


def _parse_options(args, read_only: bool) -> SortOptions:
    options = SortOptions()
    index = 1
    while index < len(args):
        word = args[index].upper()
        remaining = len(args) - index - 1
        if word == b"ASC":
            options.descending = False
        elif word == b"DESC":
            options.descending = True
        elif word == b"ALPHA":
            options.alpha = True
        elif word == b"LIMIT" and remaining >= 2:
            options.limit = (parse_int(args[index + 1]), parse_int(args[index + 2]))
            index += 2
        elif word == b"STORE" and remaining >= 1 and not read_only:
            options.store = args[index + 1]
            index += 1
        elif word == b"BY" and remaining >= 1:
            options.by = args[index + 1]
            # A pattern without '*' names no key: the elements keep their order (for good:
            # a later BY with a '*' does not bring the sorting back, as in Redis).
            if b"*" not in options.by.split(b"\0", 1)[0]:
                options.dont_sort = True
            index += 1
        elif word == b"GET" and remaining >= 1:
            options.gets.append(args[index + 1])
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return options


def lookup_by_pattern(ctx, pattern: bytes, element: bytes):
    """lookupKeyByPattern: '#' is the element; 'pre*post' a string key; 'pre*post->f' a hash
    field. None when there is no such string or field (or no '*' in the pattern)."""
    c_pattern = pattern.split(b"\0", 1)[0]
    if c_pattern == b"#":
        return element
    star = c_pattern.find(b"*")
    if star < 0:
        return None
    arrow = c_pattern.find(b"->", star + 1)
    field = None
    end = len(pattern)
    if arrow >= 0 and arrow + 2 < len(c_pattern):
        field = pattern[arrow + 2 :]
        end = arrow
    value = ctx.get(pattern[:star] + element + pattern[star + 1 : end])
    if field is not None:
        return value.get(field) if type(value) is HashValue else None
    return value if type(value) is bytes else None


def _source(ctx, key: bytes):
    value = ctx.get(key)
    if value is not None and type(value) not in (deque, SetValue, ZSetValue):
        raise CommandError(errors.WRONGTYPE)
    return value


def _limit_window(limit, length: int):
    """Redis's LIMIT sanity checks -> inclusive (start, end); end < start means nothing."""
    offset, count = limit
    start = max(offset, 0)
    end = length - 1 if count < 0 else start + count - 1
    if start >= length:
        start, end = length - 1, length - 2
    return start, min(end, length - 1)


def _elements_in_native_order(value, options: SortOptions, window):
    """The window of a list or sorted set in its own order (BY without '*')."""
    start, end = window
    if end < start:
        return []
    if type(value) is deque:
        ordered = list(value)
    else:
        ordered = [member for _, member in value.ordered]
    if options.descending:
        ordered.reverse()
    return ordered[start : end + 1]


def _all_elements(value) -> list:
    if value is None:
        return []
    if type(value) is ZSetValue:
        return [member for _, member in value.ordered]
    return list(value)


def _sort_key(ctx, options: SortOptions):
    """A key function giving sortCompare's order (before DESC)."""
    if options.alpha:
        if options.by is None:
            return lambda element: element
        return lambda element: _alpha_weight(lookup_by_pattern(ctx, options.by, element))

    def numeric(element):
        weight = element
        if options.by is not None:
            weight = lookup_by_pattern(ctx, options.by, element)
            if weight is None:
                return (0.0, element)  # a missing weight key counts as 0
        score = strtod_score(weight)
        if score is None:
            raise CommandError(errors.SORT_SCORE_NOT_DOUBLE)
        return (score, element)  # equal scores: byte order of the elements, as Redis

    return numeric


def _alpha_weight(weight):
    """Missing BY values sort first."""
    return (False, b"") if weight is None else (True, weight)


def _sorted_window(ctx, value, options: SortOptions):
    """The elements to output, sorted (or not) and cut to the LIMIT window."""
    length = 0 if value is None else len(value)
    window = _limit_window(options.limit, length)
    if options.dont_sort and type(value) in (deque, ZSetValue):
        return _elements_in_native_order(value, options, window)
    elements = _all_elements(value)
    if not options.dont_sort:
        key = _sort_key(ctx, options)
        weights = {element: key(element) for element in elements}  # errors surface here
        elements.sort(key=weights.__getitem__, reverse=options.descending)
    start, end = window
    return elements[start : end + 1] if end >= start else []


def _output(ctx, elements, options: SortOptions, missing):
    """The reply (or stored list) rows: the element itself, or one value per GET pattern."""
    if not options.gets:
        return list(elements)
    rows = []
    for element in elements:
        for pattern in options.gets:
            found = lookup_by_pattern(ctx, pattern, element)
            rows.append(missing if found is None else found)
    return rows


def _sort(ctx, args, read_only: bool):
    options = _parse_options(args, read_only)
    value = _source(ctx, args[0])
    if options.dont_sort and type(value) is SetValue and options.store is not None:
        # Storing a set's members in hash order would not be reproducible: Redis sorts them.
        options.dont_sort, options.alpha, options.by = False, True, None
    elements = _sorted_window(ctx, value, options)
    if options.store is None:
        return _output(ctx, elements, options, None)
    rows = _output(ctx, elements, options, b"")
    if rows:
        ctx.set(options.store, deque(rows))
    else:
        ctx.delete(options.store)
    return len(rows)


@command("sort", -2, "write denyoom", keys=(1, 1, 1), keys_fn=sort_keys, group="generic",
         categories=SORT_CATEGORIES)
def sort(ctx, args):
    """Sort a list, set or sorted set: [BY pattern] [LIMIT offset count] [GET pattern ...]
    [ASC|DESC] [ALPHA] [STORE destination]."""
    return _sort(ctx, args, read_only=False)


@command("sort_ro", -2, "readonly movablekeys", keys=(1, 1, 1), group="generic",
         categories=SORT_CATEGORIES)
def sort_ro(ctx, args):
    """SORT without STORE, for read-only replicas."""
    return _sort(ctx, args, read_only=True)

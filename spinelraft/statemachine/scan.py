"""Deterministic cursor iteration for SCAN, HSCAN, SSCAN and ZSCAN.

The cursor is a position in a fixed order of 63-bit key hashes (blake2b, not Python's per-process
hash), so every replica answers the same cursor alike, and an element present during a whole
iteration is returned at least once whatever else is added or removed meanwhile.
"""
import hashlib
import heapq
import re

from spinelraft import errors
from spinelraft.errors import CommandError
from spinelraft.statemachine.args import c_string, keyword, to_int
from spinelraft.statemachine.glob import match

CURSOR_MAX = (1 << 63) - 1
# SCAN of the keyspace uses 59-bit positions: a cluster's node puts the shard in the 4 bits
# above them, so a cursor still fits Redis's 64-bit (here 63-bit) cursor, exactly.
KEYSPACE_HASH_BITS = 59
_STRTOUL = re.compile(rb"([+-]?)([0-9]*)")


def element_hash(element: bytes, bits: int = 63) -> int:
    return int.from_bytes(hashlib.blake2b(element, digest_size=8).digest(), "big") >> (64 - bits)


def parse_cursor(raw: bytes) -> int:
    """parseScanCursorOrReply: strtoul(buf, &end, 10), invalid when buf starts with a space,
    when anything is left before the C string's end (a NUL), or on overflow. So '', '+0', '-0'
    and '1\\0x' are cursors; a minus sign wraps around as in C."""
    text = c_string(raw)
    found = _STRTOUL.fullmatch(text)
    if found is None or (found.group(1) and not found.group(2)):
        raise CommandError(errors.INVALID_CURSOR)
    number = int(found.group(2) or b"0")
    if number >= 1 << 64:
        raise CommandError(errors.INVALID_CURSOR)
    if found.group(1) == b"-":
        number = -number % (1 << 64)
    return number & CURSOR_MAX


def parse_scan_options(args, allow_type: bool = False, allow_novalues: bool = False):
    """[MATCH pattern] [COUNT n] [TYPE t] [NOVALUES] -> (pattern, count, type, novalues)."""
    pattern = None
    count = 10
    type_filter = None
    novalues = False
    index = 0
    while index < len(args):
        option = keyword(args[index])
        has_value = index + 1 < len(args)
        if option == b"MATCH" and has_value:
            pattern = args[index + 1]
            index += 2
        elif option == b"COUNT" and has_value:
            count = to_int(args[index + 1])
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count < 1:
                raise CommandError(errors.SYNTAX)
            index += 2
        elif option == b"TYPE" and has_value and allow_type:
            type_filter = c_string(args[index + 1]).lower()
            index += 2
        elif option == b"NOVALUES" and allow_novalues:
            novalues = True
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
    return pattern, count, type_filter, novalues


def scan(elements, cursor: int, count: int, pattern=None, bits: int = 63):
    """One SCAN step over `elements` (an iterable of bytes), positions of `bits` bits.

    Returns (next cursor, elements visited in this step that match). `count` is how many
    elements to visit, as in Redis: MATCH filters after visiting, so a step may return fewer.
    """
    candidates = [(element_hash(e, bits), e) for e in elements]
    candidates = [item for item in candidates if item[0] >= cursor]
    if len(candidates) <= count:
        batch = sorted(candidates)
        next_cursor = 0
    else:
        batch = heapq.nsmallest(count, candidates)
        last_hash = batch[-1][0]
        # keep elements that share the last hash together, so none is skipped
        batch += [item for item in candidates if item[0] == last_hash and item not in batch]
        next_cursor = last_hash + 1 if last_hash < (1 << bits) - 1 else 0
    found = [element for _, element in batch if pattern is None or match(pattern, element)]
    return next_cursor, found

"""Redis glob-style pattern matching (util.c stringmatchlen) for KEYS, SCAN MATCH, PSUBSCRIBE.

Supports * ? [abc] [^abc] [a-z] and backslash escapes, byte-wise and case-sensitive.
Patterns are compiled once to a regular expression and cached.
"""
import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_pattern(pattern: bytes):
    out = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index : index + 1]
        if char == b"*":
            out.append(b".*")
        elif char == b"?":
            out.append(b".")
        elif char == b"\\" and index + 1 < length:
            index += 1
            out.append(re.escape(pattern[index : index + 1]))
        elif char == b"[":
            index, klass = _character_class(pattern, index + 1)
            out.append(klass)
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile(b"".join(out) + b"\\Z", re.DOTALL)


def _character_class(pattern: bytes, index: int):
    """Translate a [...] class starting after '['; returns (next index, regex)."""
    negate = pattern[index : index + 1] == b"^"
    if negate:
        index += 1
    members = []
    while index < len(pattern) and pattern[index : index + 1] != b"]":
        char = pattern[index : index + 1]
        if char == b"\\" and index + 1 < len(pattern):
            index += 1
            members.append(re.escape(pattern[index : index + 1]))
        elif pattern[index + 1 : index + 2] == b"-" and index + 2 < len(pattern) and pattern[index + 2 : index + 3] != b"]":
            start, end = pattern[index], pattern[index + 2]
            if start > end:
                start, end = end, start
            members.append(re.escape(bytes((start,))) + b"-" + re.escape(bytes((end,))))
            index += 2
        else:
            members.append(re.escape(char))
        index += 1
    index += 1  # skip ']' (an unterminated class ends at the pattern's end, as in Redis)
    body = b"".join(members)
    if not body:
        return index, b"[^\\s\\S]" if not negate else b"[\\s\\S]"
    return index, b"[" + (b"^" if negate else b"") + body + b"]"


def match(pattern: bytes, value: bytes) -> bool:
    if pattern == b"*":
        return True
    return compile_pattern(pattern).match(value) is not None

"""Value types stored in a database, and their Redis type and encoding names.

Strings are bytes, lists are deques. Hashes and sets are dicts (insertion ordered, so iteration
order is the same on every replica; a Python set's order depends on the per-process hash seed).
Sorted sets keep a dict member -> score and a SortedList of (score, member).
"""
from collections import deque

from sortedcontainers import SortedList


class HashValue(dict):
    """field (bytes) -> value (bytes)."""

    __slots__ = ()


class SetValue(dict):
    """member (bytes) -> None. A dict, never a set: see the module docstring."""

    __slots__ = ()


class ZSetValue:
    """member -> score, plus members ordered by (score, member) as Redis orders them."""

    __slots__ = ("scores", "ordered")

    def __init__(self):
        self.scores = {}
        self.ordered = SortedList()

    def __len__(self):
        return len(self.scores)

    def add(self, member: bytes, score: float):
        assert score == score, "a NaN score reached a sorted set"
        score += 0.0  # -0.0 becomes 0.0, as Redis's small (listpack) encoding stores it
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return
            self.ordered.remove((old, member))
        self.scores[member] = score
        self.ordered.add((score, member))

    def discard(self, member: bytes) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.ordered.remove((old, member))
        return True

    def rank(self, member: bytes):
        score = self.scores.get(member)
        if score is None:
            return None
        return self.ordered.index((score, member))

    def delete_range(self, start: int, end: int) -> int:
        """Remove the members at ranks [start, end); returns how many went."""
        if start >= end:
            return 0
        for _, member in self.ordered.islice(start, end):
            del self.scores[member]
        del self.ordered[start:end]
        return end - start

    def pop_at(self, index: int):
        """Remove and return (score, member) at rank `index` (0 lowest, -1 highest)."""
        score, member = self.ordered.pop(index)
        del self.scores[member]
        return score, member

    def uniform_score(self) -> bool:
        """True when every member has the same score (lex order is then rank order)."""
        return len(self.ordered) > 0 and self.ordered[0][0] == self.ordered[-1][0]

    def copy(self):
        clone = ZSetValue()
        clone.scores = dict(self.scores)
        clone.ordered = SortedList(self.ordered)
        return clone


TYPE_NAMES = {
    bytes: b"string",
    deque: b"list",
    HashValue: b"hash",
    SetValue: b"set",
    ZSetValue: b"zset",
}


def type_name(value) -> bytes:
    return TYPE_NAMES.get(type(value), b"none")


def register_type(cls, name: bytes):
    """Let later families (streams, JSON, ...) add their value class."""
    TYPE_NAMES[cls] = name


def copy_value(value):
    kind = type(value)
    if kind is bytes:
        return value
    if kind is deque:
        return deque(value)
    if kind is ZSetValue:
        return value.copy()
    if kind in (HashValue, SetValue):
        return kind(value)
    return value.copy()


def _is_int_string(value: bytes) -> bool:
    from spinelraft.statemachine.args import to_int

    return len(value) <= 20 and to_int(value) is not None


def encoding_name(value) -> bytes:
    """OBJECT ENCODING, following Redis 7.0's default thresholds."""
    kind = type(value)
    if kind is bytes:
        if _is_int_string(value):
            return b"int"
        return b"embstr" if len(value) <= 44 else b"raw"
    if kind is deque:
        return b"quicklist"  # Redis 7.0 reports quicklist for every list (listpack came in 7.2)
    if kind is HashValue:
        small = len(value) <= 128 and all(len(k) <= 64 and len(v) <= 64 for k, v in value.items())
        return b"listpack" if small else b"hashtable"
    if kind is SetValue:
        if len(value) <= 512 and all(_is_int_string(member) for member in value):
            return b"intset"
        return b"hashtable"
    if kind is ZSetValue:
        small = len(value) <= 128 and all(len(member) <= 64 for member in value.scores)
        return b"listpack" if small else b"skiplist"
    return getattr(value, "ENCODING", b"raw")

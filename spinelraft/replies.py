"""Reply values shared by every layer: handlers return them, the RESP encoder writes them.

Plain Python values map to the obvious RESP types:
  bytes -> bulk string, int -> integer, None -> null bulk, list/tuple -> array.
Everything else uses one of the small wrapper classes below so the encoder can choose
the RESP2 or RESP3 form (maps, sets, doubles, booleans, verbatim strings, push frames).
This module is a leaf: it imports nothing from the project.
"""


class Simple:
    """A simple string reply (+OK)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Simple) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return f"Simple({self.text!r})"


class ErrorReply:
    """An error reply: the message starts with its prefix (ERR, WRONGTYPE, ...)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, ErrorReply) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return f"ErrorReply({self.message!r})"


class Double:
    """A floating point reply: ',' in RESP3, a bulk string formatted like Redis in RESP2."""

    __slots__ = ("value",)

    def __init__(self, value: float):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, Double) and other.value == self.value

    def __repr__(self):
        return f"Double({self.value!r})"


class Map:
    """A map reply: '%' in RESP3, a flat array of key, value, ... in RESP2."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)  # list of (key, value) pairs, order kept

    def __eq__(self, other):
        return isinstance(other, Map) and other.items == self.items

    def __repr__(self):
        return f"Map({self.items!r})"


class Pairs:
    """Pairs such as member/score for WITHSCORES: a flat array in RESP2 (m1, s1, m2, s2) and an
    array of 2-element arrays in RESP3 ([m1, s1], [m2, s2]), as Redis 7 replies."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)  # list of (first, second)

    def __eq__(self, other):
        return isinstance(other, Pairs) and other.items == self.items

    def __repr__(self):
        return f"Pairs({self.items!r})"


class KeyedArray:
    """An array of [key, value] pairs in RESP2 that is a map in RESP3 (XREAD, XREADGROUP)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)  # list of (key, value)

    def __eq__(self, other):
        return isinstance(other, KeyedArray) and other.items == self.items

    def __repr__(self):
        return f"KeyedArray({self.items!r})"


class SetReply:
    """A set reply: '~' in RESP3, an array in RESP2."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)

    def __eq__(self, other):
        return isinstance(other, SetReply) and other.items == self.items

    def __repr__(self):
        return f"SetReply({self.items!r})"


class Verbatim:
    """A verbatim string: '=' in RESP3 (with a 3-letter format), a bulk string in RESP2."""

    __slots__ = ("text", "format")

    def __init__(self, text: bytes, format: str = "txt"):
        self.text = text
        self.format = format


class Push:
    """An out-of-band push frame: '>' in RESP3, an array in RESP2 (pub/sub messages)."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)


class _NullArray:
    """The null array (*-1 in RESP2, _ in RESP3): BLPOP timeouts, EXEC aborted by WATCH."""

    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()
OK = Simple("OK")
QUEUED = Simple("QUEUED")
PONG = Simple("PONG")


def format_double(value: float) -> bytes:
    """Format a double the way Redis 7.0 does in replies (%.17g, inf/-inf)."""
    if value == float("inf"):
        return b"inf"
    if value == float("-inf"):
        return b"-inf"
    if value != value:
        return b"nan"
    return b"%.17g" % value

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


# -- replies between nodes ------------------------------------------------------------------------
# A node proxying a command to the node that replicates its shard gets the reply back packed:
# the same objects on both sides, whatever protocol (RESP2/RESP3) the client speaks. Only
# built-in types go through marshal, and only replies from configured peers are unpacked.
_PACK_TAGS = {Simple: "S", ErrorReply: "E", Double: "D", Map: "M", Pairs: "P", KeyedArray: "K",
              SetReply: "T", Push: "U"}


def _to_plain(reply):
    kind = type(reply)
    if kind is bytes or kind is int or reply is None or kind is bool:
        return reply
    if kind is list:
        return [_to_plain(item) for item in reply]
    if kind is tuple:
        return ["t", [_to_plain(item) for item in reply]]
    if reply is NULL_ARRAY:
        return ("N",)
    if kind is Simple:
        return ("S", reply.text)
    if kind is ErrorReply:
        return ("E", reply.message)
    if kind is Double:
        return ("D", reply.value)
    if kind is Verbatim:
        return ("V", reply.text, reply.format)
    if kind in (Map, Pairs, KeyedArray):
        return (_PACK_TAGS[kind], [(_to_plain(k), _to_plain(v)) for k, v in reply.items])
    if kind in (SetReply, Push):
        return (_PACK_TAGS[kind], [_to_plain(item) for item in reply.items])
    if kind is float:
        return ("D", reply)
    if kind is str:
        return reply.encode()
    raise TypeError("cannot pack a %s reply" % kind.__name__)


_FROM_TAG = {"S": Simple, "E": ErrorReply, "D": Double}
_PAIRS_FROM_TAG = {"M": Map, "P": Pairs, "K": KeyedArray}
_ITEMS_FROM_TAG = {"T": SetReply, "U": Push}


def _from_plain(plain):
    kind = type(plain)
    if kind is list:
        if len(plain) == 2 and plain[0] == "t":
            return tuple(_from_plain(item) for item in plain[1])
        return [_from_plain(item) for item in plain]
    if kind is not tuple:
        return plain
    tag = plain[0]
    if tag == "N":
        return NULL_ARRAY
    if tag == "S" and plain[1] == "OK":
        return OK
    if tag in _FROM_TAG:
        return _FROM_TAG[tag](plain[1])
    if tag == "V":
        return Verbatim(plain[1], plain[2])
    if tag in _PAIRS_FROM_TAG:
        return _PAIRS_FROM_TAG[tag]([(_from_plain(k), _from_plain(v)) for k, v in plain[1]])
    return _ITEMS_FROM_TAG[tag]([_from_plain(item) for item in plain[1]])


def pack(reply) -> bytes:
    import marshal

    return marshal.dumps(_to_plain(reply))


def unpack(blob: bytes):
    import marshal

    return _from_plain(marshal.loads(blob))

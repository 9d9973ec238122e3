"""Run the same command sequence against redis-server and SpinelRaft and compare every reply.

Two dialects: redis-py over RESP2 with no response callbacks (replies stay as the wire gave
them) and a parser that keeps error texts whole ("ERR ..." stays "ERR ...", redis-py would strip
the prefix), so errors compare exactly; and a raw socket after HELLO 3 whose replies compare as
exact (type, payload) trees.  Only what is unordered by nature is normalised (sorted), and
TTL-like values are reduced to -2 / -1 / "positive".
"""
from dataclasses import dataclass, field

import redis
from redis._parsers import _HiredisParser, _RESP2Parser
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError
from redis.retry import Retry
from redis.utils import HIREDIS_AVAILABLE

from tests.differential.raw_resp import RawConnection

_BaseParser = _HiredisParser if HIREDIS_AVAILABLE else _RESP2Parser


class ExactErrorParser(_BaseParser):
    """Errors become ResponseError(full text), whatever their prefix."""

    @classmethod
    def parse_error(cls, response):
        return ResponseError(response)


def make_client(port: int) -> redis.Redis:
    """One connection, RESP2, bytes replies, no callbacks, no retries (a retry would replay)."""
    pool = redis.ConnectionPool(host="127.0.0.1", port=port, socket_timeout=30, protocol=2,
                                parser_class=ExactErrorParser, retry=Retry(NoBackoff(), 0))
    client = redis.Redis(connection_pool=pool, single_connection_client=True)
    client.response_callbacks.clear()
    return client


# ---------------------------------------------------------------------------------------------
# Normalisation of redis-py replies: errors become ("error", text); unordered replies are sorted.

UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"KEYS", b"HKEYS", b"HVALS"}
UNORDERED_PAIRS = {b"HGETALL"}
SCANS = {b"SCAN": False, b"SSCAN": False, b"HSCAN": True, b"ZSCAN": True}  # -> items are pairs
TTL_LIKE = {b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"}


def _command_name(argv) -> bytes:
    return bytes(argv[0]).upper()


def _sorted(items):
    return sorted(items, key=repr)


def _pairs(items):
    return list(zip(items[0::2], items[1::2]))


def _plain(reply):
    if isinstance(reply, ResponseError):
        return ("error", str(reply))
    if isinstance(reply, list):
        return [_plain(item) for item in reply]
    return reply


def _dump_contents(payload):
    """A DUMP payload as what it holds: Redis may LZF-compress long strings where SpinelRaft
    does not (both restore anywhere; tests/differential/test_more_families.py swaps payloads
    both ways), so the bytes themselves are not compared."""
    from spinelraft.statemachine import rdb
    from spinelraft.statemachine.values import HashValue, SetValue, ZSetValue, type_name

    if not isinstance(payload, bytes) or not rdb.verify_footer(payload):
        return payload
    try:
        value = rdb.load_value(payload)
    except Exception:  # noqa: BLE001 - an undecodable payload is compared as bytes
        return payload
    if isinstance(value, (HashValue,)):
        contents = sorted(value.items())
    elif isinstance(value, SetValue):
        contents = sorted(value)
    elif isinstance(value, ZSetValue):
        contents = sorted(value.scores.items())
    elif isinstance(value, bytes):
        contents = value
    else:
        contents = list(value)
    return ("dump", type_name(value), contents)


def normalise_resp2(argv, reply):
    reply = _plain(reply)
    name = _command_name(argv)
    if name == b"DUMP":
        return _dump_contents(reply)
    if isinstance(reply, list):
        if name in UNORDERED:
            return _sorted(reply)
        if name in UNORDERED_PAIRS:
            return _sorted(_pairs(reply))
        if name in SCANS and len(reply) == 2 and isinstance(reply[1], list):
            items = _pairs(reply[1]) if SCANS[name] else reply[1]
            return [reply[0], _sorted(items)]
    if name in TTL_LIKE and isinstance(reply, int) and reply >= 0:
        return "positive"  # TTL-like values depend on the clock: keep -2, -1 or "positive"
    return reply


def normalise_resp3(argv, tree):
    """The same rules on a raw (type, payload) tree; type markers are kept and compared."""
    kind, payload = tree
    name = _command_name(argv)
    if name == b"DUMP" and kind == b"$":
        return kind, _dump_contents(payload)
    if isinstance(payload, list):
        if name in UNORDERED:
            return kind, _sorted(payload)
        if name in UNORDERED_PAIRS:
            return kind, _sorted(_pairs(payload))
        if name in SCANS and len(payload) == 2 and isinstance(payload[1][1], list):
            items_kind, items = payload[1]
            items = _pairs(items) if SCANS[name] else items
            return kind, [payload[0], (items_kind, _sorted(items))]
    if name in TTL_LIKE and kind == b":" and int(payload) >= 0:
        return kind, "positive"
    return tree


# ---------------------------------------------------------------------------------------------
# Targets: one server behind one connection, in one protocol.

class Resp2Target:
    """redis-py over RESP2 (the library most users meet)."""

    def __init__(self, port: int):
        self.client = make_client(port)

    def call(self, argv):
        try:
            return self.client.execute_command(*argv)
        except ResponseError as error:
            return error

    def reset(self):
        """Fresh state for an example: leave MULTI/WATCH, db 0, empty dataset."""
        self.client.execute_command("RESET")
        self.client.execute_command("FLUSHALL")

    def close(self):
        self.client.close()

    normalise = staticmethod(normalise_resp2)

    @staticmethod
    def is_status(raw, word: bytes) -> bool:
        return raw == word

    @staticmethod
    def exec_items(raw):
        return raw if isinstance(raw, list) else None

    @staticmethod
    def exec_reply(items):
        return items


class Resp3Target:
    """A raw socket after HELLO 3: replies compared as exact (type, payload) trees."""

    def __init__(self, port: int):
        self.connection = RawConnection(port)

    def call(self, argv):
        return self.connection.call(*argv)[1]

    def reset(self):
        for argv in ((b"RESET",), (b"HELLO", b"3"), (b"FLUSHALL",)):
            self.connection.call(*argv)

    def close(self):
        self.connection.close()

    normalise = staticmethod(normalise_resp3)

    @staticmethod
    def is_status(raw, word: bytes) -> bool:
        return raw == (b"+", word)

    @staticmethod
    def exec_items(raw):
        kind, payload = raw
        return payload if kind == b"*" and isinstance(payload, list) else None

    @staticmethod
    def exec_reply(items):
        return b"*", items


# ---------------------------------------------------------------------------------------------
# Transactions: replies inside EXEC are normalised by the command that was queued.

@dataclass
class TransactionTracker:
    """Follows MULTI/EXEC on the reference server to know which command each EXEC reply answers."""
    dialect: object
    in_multi: bool = False
    queued: list = field(default_factory=list)

    def normalise(self, argv, raw):
        items = self.dialect.exec_items(raw)
        if _command_name(argv) == b"EXEC" and self.in_multi and items is not None:
            queued = self.queued + [(b"",)] * (len(items) - len(self.queued))
            return self.dialect.exec_reply(
                [self.dialect.normalise(q, item) for q, item in zip(queued, items)])
        return self.dialect.normalise(argv, raw)

    def observe(self, argv, reference_raw):
        """Update the state from the reference server's (redis-server's) raw reply."""
        name = _command_name(argv)
        if not self.in_multi:
            if name == b"MULTI" and self.dialect.is_status(reference_raw, b"OK"):
                self.in_multi, self.queued = True, []
            return
        if name in (b"EXEC", b"DISCARD"):
            self.in_multi, self.queued = False, []
        elif self.dialect.is_status(reference_raw, b"QUEUED"):
            self.queued.append(argv)


# ---------------------------------------------------------------------------------------------

def show(argv) -> str:
    return " ".join(_quote(a) for a in argv)


def _quote(part) -> str:
    text = part.decode("latin-1") if isinstance(part, bytes) else str(part)
    if text == "" or any(c in text for c in " \"'\\") or not text.isprintable():
        return repr(text)
    return text


@dataclass
class Mismatch:
    index: int
    argv: tuple
    expected: object
    actual: object
    history: list

    def describe(self) -> str:
        lines = ["reply mismatch at command #%d: %s" % (self.index, show(self.argv)),
                 "  redis-server: %r" % (self.expected,),
                 "  spinelraft:   %r" % (self.actual,),
                 "sequence (after FLUSHALL):"]
        lines += ["  %s" % show(a) for a in self.history]
        return "\n".join(lines)


def run_pair(reference, candidate, commands, on_reply=None):
    """Replay `commands` on both targets from an empty dataset; return the first Mismatch."""
    reference.reset()
    candidate.reset()
    tracker = TransactionTracker(dialect=reference)
    for index, argv in enumerate(commands):
        expected_raw = reference.call(argv)
        actual_raw = candidate.call(argv)
        expected = tracker.normalise(argv, expected_raw)
        actual = tracker.normalise(argv, actual_raw)
        tracker.observe(argv, expected_raw)
        if on_reply is not None:
            on_reply(argv, expected, actual)
        if expected != actual:
            return Mismatch(index, tuple(argv), expected, actual, list(commands[:index + 1]))
    return None

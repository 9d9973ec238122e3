"""What every workload shares: key rotation, unique values, and how errors are classified.

An operation ends `ok`, `fail` (it certainly did not take effect) or `info` (it may have: a
timeout, a dropped connection after sending, TRYAGAIN "outcome unknown", anything unexpected).
"""
import abc
import itertools
import threading

import redis

from jepsen.cluster import shard_of_key
from jepsen.history import FAIL, INFO, OK

# Errors that come back before anything was proposed: the write did not happen.
DEFINITE_ERRORS = ("CLUSTERDOWN", "BUSY", "NOAUTH", "WRONGTYPE", "EXECABORT", "LOADING",
                   "READONLY", "MOVED", "ASK", "NOPERM", "OOM", "CROSSSLOT")


class NotApplied(Exception):
    """Raised by a workload when its operation certainly did not take effect."""


def classify(error: Exception):
    """(kind, text) of an exception raised while an operation ran."""
    text = "%s: %s" % (type(error).__name__, error)
    if isinstance(error, NotApplied):
        return FAIL, str(error)
    if isinstance(error, redis.exceptions.WatchError):
        return FAIL, "EXEC aborted: a watched key changed"
    code = error_code(error)
    if code is not None:
        message = str(error)
        text = message if message.startswith(code) else "%s %s" % (code, message)
        return (FAIL if code in DEFINITE_ERRORS else INFO), text
    if isinstance(error, redis.exceptions.TimeoutError):
        return INFO, text
    if isinstance(error, redis.exceptions.ConnectionError):
        message = str(error)
        if "connecting to" in message or "Connection refused" in message:
            return FAIL, text  # never connected: nothing was sent
        return INFO, text
    return INFO, text


def error_code(error: Exception):
    """The error reply's code (redis-py strips known codes from the message into status_code)."""
    code = getattr(error, "status_code", None)
    if code:
        return code
    if isinstance(error, redis.exceptions.ResponseError):
        return str(error).split(" ", 1)[0]
    return None


def run_operation(workload, connection, f, key, value):
    """(kind, result, error text) of running one operation."""
    try:
        return OK, workload.invoke(connection, f, key, value), None
    except (redis.RedisError, NotApplied) as error:
        kind, text = classify(error)
        return kind, None, text


def decode_int(value):
    return None if value is None else int(value)


class KeyPool:
    """A few active keys; a key is retired after `budget` operations and replaced by a fresh
    one, which keeps every key's history small enough to check (Jepsen's independent keys).

    With several shards, active position i always holds a key of shard i mod shards (keys are
    numbered in order, skipping those of other shards), so every shard gets keys all the run;
    there are then at least as many active keys as shards."""

    def __init__(self, prefix: str, active: int, budget: int, shards: int = 1):
        self.prefix = prefix
        self.budget = budget
        self.shards = max(1, shards)
        self.lock = threading.Lock()
        self.counter = itertools.count()
        self.active = [self._fresh(position) for position in range(max(active, self.shards))]
        self.used = {key: 0 for key in self.active}
        self.all = list(self.active)

    def name(self, number: int) -> str:
        return "%s:%d" % (self.prefix, number)

    def shard_of(self, key: str) -> int:
        return shard_of_key(key, self.shards)

    def _fresh(self, position: int) -> int:
        number = next(self.counter)
        if self.shards > 1:
            while self.shard_of(self.name(number)) != position % self.shards:
                number = next(self.counter)
        return number

    def pick(self, rng) -> str:
        with self.lock:
            slot = rng.randrange(len(self.active))
            number = self.active[slot]
            self.used[number] += 1
            if self.used[number] >= self.budget:
                fresh = self._fresh(slot)
                self.active[slot] = fresh
                self.used[fresh] = 0
                self.all.append(fresh)
            return self.name(number)

    def every_key(self) -> list:
        with self.lock:
            return [self.name(number) for number in self.all]


class UniqueValues:
    def __init__(self):
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    def next(self) -> int:
        with self.lock:
            return next(self.counter)


class Workload(abc.ABC):
    name = ""
    description = ""

    def __init__(self, prefix: str, options):
        self.prefix = prefix
        self.options = options
        self.shards = max(1, options.get("shards", 1))  # the cluster's shards: spread keys over them

    @abc.abstractmethod
    def generate(self, rng):
        """(f, key, value) of the next operation."""

    @abc.abstractmethod
    def invoke(self, connection, f, key, value):
        """Run it; return the result for the history or raise."""

    def final_operations(self) -> list:
        """(f, key, value) operations to run after the cluster healed."""
        return []

    @abc.abstractmethod
    def check(self, ops, context) -> dict:
        """The checker's verdict on the history (valid, details)."""

"""SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest first."""
import time
from collections import deque

MAX_ARGS = 32
MAX_ARG_BYTES = 128


class SlowLog:
    def __init__(self, settings):
        self.settings = settings
        self.entries = deque()
        self.next_id = 0

    def threshold_s(self):
        threshold = self.settings.slowlog_log_slower_than
        return None if threshold < 0 else threshold / 1_000_000

    def observe_write(self, seconds: float, argv):
        """A replicated write, timed while it was applied here (no client: it may come from
        another node's client)."""
        self._add(seconds, argv, b"", b"")

    def observe(self, seconds: float, argv, session):
        self._add(seconds, argv, session.address.encode(), session.name)

    def _add(self, seconds: float, argv, address: bytes, name: bytes):
        threshold = self.settings.slowlog_log_slower_than
        micros = int(seconds * 1_000_000)
        if threshold < 0 or micros < threshold:
            return
        shown = [self._trim(arg) for arg in argv[:MAX_ARGS]]
        if len(argv) > MAX_ARGS:
            shown[-1] = b"... (%d more arguments)" % (len(argv) - MAX_ARGS + 1)
        entry = [self.next_id, int(time.time()), micros, shown, address, name]
        self.next_id += 1
        self.entries.appendleft(entry)
        while len(self.entries) > self.settings.slowlog_max_len:
            self.entries.pop()

    @staticmethod
    def _trim(arg: bytes) -> bytes:
        if len(arg) <= MAX_ARG_BYTES:
            return arg
        return arg[:MAX_ARG_BYTES] + b"... (%d more bytes)" % (len(arg) - MAX_ARG_BYTES)

    def get(self, count: int) -> list:
        return [list(entry) for entry in list(self.entries)[:count]]

    def reset(self):
        self.entries.clear()

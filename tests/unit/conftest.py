"""Unit-test harness: drive a StateMachine exactly as the node does, without a server.

`machine.run("SET", "k", "v")` encodes the command as a log entry when it is a write and applies
it, or serves it as a local read otherwise; the clock is `machine.now_ms`, moved by tests.
"""
import itertools

import pytest

import spinelraft.statemachine.commands  # noqa: F401  (registers the commands)
from spinelraft.command_table import COMMANDS
from spinelraft.replies import ErrorReply
from spinelraft.statemachine.machine import OP_COMMAND, OP_EXEC, StateMachine, encode_entry


class Harness:
    def __init__(self):
        self.machine = StateMachine()
        self.now_ms = 1_700_000_000_000
        self.db = 0
        self._seeds = itertools.count(1)

    @staticmethod
    def _argv(parts):
        return tuple(p if isinstance(p, bytes) else str(p).encode() for p in parts)

    def run(self, *parts):
        argv = self._argv(parts)
        spec = COMMANDS.get(argv[0].lower())
        if spec is not None and spec.kind == "data" and not spec.is_write:
            return self.machine.read(self.db, argv, self.now_ms, next(self._seeds))
        entry = encode_entry(self.now_ms, next(self._seeds), [(OP_COMMAND, self.db, argv)])
        return self.machine.apply_entry(entry)[0]

    def exec(self, commands, watches=()):
        ops = [(OP_EXEC, self.db, list(watches), [self._argv(c) for c in commands])]
        return self.machine.apply_entry(encode_entry(self.now_ms, next(self._seeds), ops))[0]

    def ok(self, *parts):
        reply = self.run(*parts)
        assert not isinstance(reply, ErrorReply), reply
        return reply

    def error(self, *parts) -> str:
        reply = self.run(*parts)
        assert isinstance(reply, ErrorReply), "expected an error, got %r" % (reply,)
        return reply.message


@pytest.fixture
def sm():
    return Harness()

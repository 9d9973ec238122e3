"""Differential test of the stream family: random XADD..XSETID sequences, redis-server vs
SpinelRaft over redis-py (RESP2), every reply compared, errors by their full text.

Times read from a clock differ by a few milliseconds between the two servers, so they are
masked: idle times (XPENDING details, XINFO CONSUMERS) and the delivery and seen times of
XINFO STREAM FULL. IDs are explicit (see stream_strategies), never `*`.
SPINELRAFT_DIFF_EXAMPLES=<n> sets the example count. RESP2 only: in RESP3 Redis answers
XREAD/XREADGROUP with a map, which SpinelRaft's reply types cannot express yet.
"""
import os

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings

pytest.importorskip("tests.differential.harness", reason="needs the differential harness")
from tests.differential.harness import (  # noqa: E402
    Resp2Target,
    normalise_resp2,
    run_pair,
    show,
)
from tests.differential.stream_strategies import stream_sequences  # noqa: E402

EXAMPLES = int(os.environ.get("SPINELRAFT_DIFF_EXAMPLES", "100"))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
MASK = "<time>"


def _fields(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2]))


def _mask_full_info(reply: list) -> list:
    groups = _fields(reply).get(b"groups")
    for group in groups if isinstance(groups, list) else []:
        fields = _fields(group)
        for pending in fields[b"pending"]:
            pending[2] = MASK  # [id, consumer, delivery time, deliveries]
        for consumer in fields[b"consumers"]:
            consumer[consumer.index(b"seen-time") + 1] = MASK
            for pending in _fields(consumer)[b"pending"]:
                pending[1] = MASK  # [id, delivery time, deliveries]
    return reply


def mask_times(argv, reply):
    """Replace clock readings in a normalised RESP2 reply (lists are changed in place)."""
    if not isinstance(reply, list):
        return reply
    name = bytes(argv[0]).upper()
    subcommand = bytes(argv[1]).upper() if len(argv) > 1 else b""
    if name == b"XPENDING" and len(argv) > 3:
        for row in reply:
            row[2] = MASK  # [id, consumer, idle, deliveries]
    elif name == b"XINFO" and subcommand == b"CONSUMERS":
        for consumer in reply:
            consumer[consumer.index(b"idle") + 1] = MASK
    elif name == b"XINFO" and subcommand == b"STREAM" and len(argv) > 3:
        _mask_full_info(reply)
    return reply


class StreamTarget(Resp2Target):
    """Resp2Target whose replies have their clock readings masked."""

    @staticmethod
    def normalise(argv, reply):
        return mask_times(argv, normalise_resp2(argv, reply))


@pytest.fixture(scope="module")
def stream_targets(redis_server, shared_server):
    """(reference, candidate): redis-server first, SpinelRaft second."""
    targets = StreamTarget(redis_server.port), StreamTarget(shared_server.port)
    yield targets
    for target in targets:
        target.close()


def _note_reply(argv, expected, actual):
    marker = "  " if expected == actual else "!!"
    note("%s %s\n     redis-server: %r\n     spinelraft:   %r"
         % (marker, show(argv), expected, actual))


@settings(max_examples=EXAMPLES, deadline=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(commands=stream_sequences)
def test_streams_match_redis(stream_targets, commands):
    reference, candidate = stream_targets
    mismatch = run_pair(reference, candidate, commands, on_reply=_note_reply)
    if mismatch is not None:
        raise AssertionError(mismatch.describe())

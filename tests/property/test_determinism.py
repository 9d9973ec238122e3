"""The same log gives the same state and the same replies in every process.

Two child processes with different PYTHONHASHSEED values replay each generated log on a fresh
StateMachine and report the snapshot digest and every reply. Anything that iterates a
hash-seeded container (a Python set, a dict built from one) or reads process state shows up as a
difference between them. The children are started once per module and serve many logs.
"""
import marshal
import os
import select
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinelraft.statemachine.machine import StateMachine
from spinelraft.statemachine.snapshot import digest
from tests.property.logs import (
    LOG_SETTINGS,
    check_log,
    describe_item,
    logs,
    minimal_log,
    operation_count,
    replay,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HASH_SEEDS = ("1", "2718281828")
REPLY_TIMEOUT_S = 60.0
LOGS_PER_EXAMPLE = 2
MINIMIZE_BUDGET_S = 60.0


class ReplayWorker:
    """A replay_worker.py child process with a fixed hash seed, spoken to in frames."""

    def __init__(self, hash_seed: str, stderr_path: str):
        environment = dict(os.environ, PYTHONHASHSEED=hash_seed)
        self.hash_seed = hash_seed
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.property.replay_worker"],
            cwd=REPO_ROOT, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr)

    def replay(self, batch: list) -> list:
        payload = marshal.dumps([list(log) for log in batch], 2)
        self.process.stdin.write(len(payload).to_bytes(4, "big") + payload)
        self.process.stdin.flush()
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        size = int.from_bytes(self._read(4, deadline), "big")
        return marshal.loads(self._read(size, deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        descriptor = self.process.stdout.fileno()
        chunks = []
        while size > 0:
            remaining_s = deadline - time.monotonic()
            if remaining_s <= 0:
                raise TimeoutError("replay worker (hash seed %s) did not answer" % self.hash_seed)
            ready, _, _ = select.select([descriptor], [], [], remaining_s)
            if not ready:
                continue
            chunk = os.read(descriptor, min(size, 1 << 20))
            if not chunk:
                raise EOFError("replay worker exited: see %s" % self.stderr_path)
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def stop(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process.stdout.close()
        self._stderr.close()


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    directory = tmp_path_factory.mktemp("replay-workers")
    started = [ReplayWorker(seed, str(directory / ("stderr-%s.txt" % seed))) for seed in HASH_SEEDS]
    yield started
    for worker in started:
        worker.stop()


def diverges(left, right) -> bool:
    return left[0] != right[0] or left[1] != right[1]


def diverging_flags(workers, candidates: list) -> list:
    left, right = (worker.replay(candidates) for worker in workers)
    return [diverges(a, b) for a, b in zip(left, right)]


def first_difference(log, left_replies, right_replies) -> str:
    for index, (left, right) in enumerate(zip(left_replies, right_replies)):
        if left != right:
            return "item %d: %s\n  replies %r\n  versus  %r" % (
                index, describe_item(log[index]), left, right)
    return "replies are equal; only the final digest differs"


def divergence_report(workers, log) -> str:
    minimal = minimal_log(log, lambda candidates: diverging_flags(workers, candidates),
                          MINIMIZE_BUDGET_S)
    (left, right), = zip(*(worker.replay([minimal]) for worker in workers))
    lines = ["hash seeds %s and %s diverge; a minimal log (%d items):" % (
        HASH_SEEDS[0], HASH_SEEDS[1], len(minimal))]
    lines += ["  " + describe_item(item) for item in minimal]
    lines.append("first difference: " + first_difference(minimal, left[2], right[2]))
    lines.append("digests: %s versus %s" % (left[0], right[0]))
    return "\n".join(lines)


@LOG_SETTINGS
@given(batch=st.lists(logs(), min_size=LOGS_PER_EXAMPLE, max_size=LOGS_PER_EXAMPLE))
def test_same_log_same_digest_and_replies_under_two_hash_seeds(workers, batch):
    left, right = (worker.replay(batch) for worker in workers)
    assert len(left) == len(right) == len(batch)
    for log, left_result, right_result in zip(batch, left, right):
        assert len(left_result[2]) == len(right_result[2]) == len(log)
        if diverges(left_result, right_result):
            pytest.fail(divergence_report(workers, log))


def child_difference(worker, log):
    """None when a child replays the log exactly like this process."""
    machine = StateMachine()
    replies = replay(machine, log)
    [(child_digest, _, child_replies)] = worker.replay([log])
    if child_replies != replies:
        return "replies differ: %s" % first_difference(log, replies, child_replies)
    if child_digest != digest(machine):
        return "digests differ"
    return None


def internal_error(log):
    """The first operation answered with 'internal error', or None."""
    for item, reply in zip(log, replay(StateMachine(), log)):
        if b"internal error" in reply:
            return "internal error: %r for %s" % (reply, describe_item(item))
    return None


@LOG_SETTINGS
@given(log=logs())
def test_replay_in_this_process_matches_a_child(workers, log):
    """The child replays exactly like this process, so the worker protocol hides nothing."""
    check_log(log, lambda candidate: child_difference(workers[0], candidate))


@settings(LOG_SETTINGS, max_examples=15)
@given(log=logs())
def test_commands_never_fail_internally(log):
    """An exception inside a handler becomes 'ERR internal error': deterministic, but a bug."""
    check_log(log, internal_error)


def test_generated_logs_are_large_enough():
    """The strategy should produce logs of about 200 operations, not trivial ones."""
    sizes = []

    @settings(max_examples=20, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(log=logs())
    def measure(log):
        sizes.append(operation_count(log))

    measure()
    assert max(sizes) >= 150, sizes

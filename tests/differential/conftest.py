"""Fixtures: one server pair (real redis-server, real SpinelRaft server) in two dialects."""
import pytest

from tests.differential.harness import Resp2Target, Resp3Target


def _pair(target_class, redis_server, shared_server):
    reference, candidate = target_class(redis_server.port), target_class(shared_server.port)
    return reference, candidate


@pytest.fixture(scope="session")
def resp2_targets(redis_server, shared_server):
    """(reference, candidate) over redis-py RESP2: redis-server first, SpinelRaft second."""
    pair = _pair(Resp2Target, redis_server, shared_server)
    yield pair
    for target in pair:
        target.close()


@pytest.fixture(scope="session")
def resp3_targets(redis_server, shared_server):
    """(reference, candidate) over raw sockets after HELLO 3."""
    pair = _pair(Resp3Target, redis_server, shared_server)
    yield pair
    for target in pair:
        target.close()

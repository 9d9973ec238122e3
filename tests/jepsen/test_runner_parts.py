"""Pieces of the jepsen runner that need no cluster: error classification, nemesis planning,
key rotation, fault intervals for the report, the command line."""
import random

import pytest
import redis
from redis._parsers.base import BaseParser

from jepsen.cli import build_parser, exit_code
from jepsen.report import fault_intervals
from jepsen.runner import parse_nemeses, plan_nemeses
from jepsen.workloads.base import KeyPool, NotApplied, classify


@pytest.mark.parametrize("reply, kind", [
    ("TRYAGAIN the outcome of this write is unknown (leader changed); check before retrying", "info"),
    ("CLUSTERDOWN no Raft leader for this shard yet; retry", "fail"),
    ("BUSY too many writes in flight; retry", "fail"),
    ("NOAUTH Authentication required.", "fail"),
    ("WRONGTYPE Operation against a key holding the wrong kind of value", "fail"),
    ("EXECABORT Transaction discarded because of previous errors.", "fail"),
    ("ERR something unexpected", "info"),
])
def test_error_replies_are_fail_only_when_nothing_was_applied(reply, kind):
    assert classify(BaseParser.parse_error(reply))[0] == kind


def test_transport_errors():
    assert classify(redis.exceptions.TimeoutError("Timeout reading from socket"))[0] == "info"
    refused = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.2:7000. Connection refused.")
    assert classify(refused)[0] == "fail"
    assert classify(redis.exceptions.ConnectionError("Connection closed by server."))[0] == "info"
    assert classify(redis.exceptions.WatchError("Watched variable changed."))[0] == "fail"
    assert classify(NotApplied("precondition"))[0] == "fail"


def test_partition_is_skipped_with_the_reason():
    names, skipped, unsupported = plan_nemeses(["kill", "partition", "member"], "not root")
    assert names == ["kill", "member"]
    assert skipped == {"partition": "not root"}
    assert unsupported == {}
    assert plan_nemeses(["partition"], None)[0] == ["partition"]
    assert parse_nemeses("none") == []
    with pytest.raises(SystemExit):
        parse_nemeses("kill,meteor")


def test_keys_are_retired_after_their_budget():
    pool = KeyPool("p", active=2, budget=3)
    rng = random.Random(1)
    picked = [pool.pick(rng) for _ in range(12)]
    counts = {key: picked.count(key) for key in set(picked)}
    assert max(counts.values()) <= 3
    assert set(pool.every_key()) >= set(picked)


def test_fault_intervals_pair_starts_and_stops():
    events = [{"time": 1e9, "type": "start", "fault": "kill"}, {"time": 2e9, "type": "start", "fault": "pause"},
              {"time": 3e9, "type": "stop", "fault": "pause"}, {"time": 4e9, "type": "stop", "fault": "kill"},
              {"time": 5e9, "type": "start", "fault": "partition"}]
    assert sorted(fault_intervals(events, 9.0)) == [("kill", 1.0, 4.0), ("partition", 5.0, 9.0),
                                                     ("pause", 2.0, 3.0)]


def test_command_line_defaults_match_the_documented_example():
    arguments = build_parser().parse_args(["run"])
    assert (arguments.nodes, arguments.workload, arguments.nemesis, arguments.time, arguments.clients,
            arguments.rate) == (5, "register", "partition,kill,pause", 120.0, 10, 200.0)
    assert [exit_code(True), exit_code(False), exit_code("unknown")] == [0, 1, 2]

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


# -- several shards -------------------------------------------------------------------------------
def test_cluster_configs_carry_shards_and_replication_factor(tmp_path):
    from jepsen.cluster import SHARD_PORT_STRIDE, Cluster
    from spinelraft.config import load
    from spinelraft.placement import place

    cluster = Cluster(str(tmp_path / "nodes"), str(tmp_path / "data"), 5, 200, random.Random(3), shards=2)
    settings = load(cluster.nodes[0].config_path)
    assert (settings.shards, settings.replication_factor) == (2, 3)
    assert cluster.nodes[0].raft_port + SHARD_PORT_STRIDE * 1 <= 65535
    layout = place([node.name for node in cluster.nodes], 2, 3)
    assert [len(members) for members in layout] == [3, 3] and len(set(layout[0] + layout[1])) == 5
    # one shard: every node replicates it, as before shards existed (comparable with old runs)
    single = Cluster(str(tmp_path / "one"), str(tmp_path / "data1"), 5, 201, random.Random(3))
    assert (load(single.nodes[0].config_path).shards, load(single.nodes[0].config_path).replication_factor) == (1, 5)
    chosen = Cluster(str(tmp_path / "rf"), str(tmp_path / "data2"), 5, 202, random.Random(3), shards=3,
                     replication_factor=5)
    assert load(chosen.nodes[4].config_path).replication_factor == 5


def test_key_shards_match_redis_cluster_slots():
    from jepsen.cluster import shard_of_key

    assert shard_of_key("foo", 2) == 1  # CLUSTER KEYSLOT foo = 12182, in the upper half
    assert shard_of_key("{user1000}.following", 3) == shard_of_key("{user1000}.followers", 3)
    assert shard_of_key("anything", 1) == 0


@pytest.mark.parametrize("name", ["register", "set", "counter", "list-append", "expire"])
def test_workload_keys_spread_over_shards_and_transactions_stay_in_one(name):
    from jepsen.cluster import shard_of_key
    from jepsen.workloads import WORKLOADS

    workload = WORKLOADS[name]("jepsen:%s:1" % name, {"keys": 4, "ops_per_key": 40, "shards": 2})
    rng = random.Random(2)
    ops_per_shard = {0: 0, 1: 0}
    for _ in range(600):
        f, key, value = workload.generate(rng)
        keys = [mop[1] for mop in value] if f == "txn" else [key]
        shards = {shard_of_key(k, 2) for k in keys}
        assert len(shards) == 1, keys  # a MULTI across shards would get -CROSSSLOT
        ops_per_shard[shards.pop()] += 1
    assert min(ops_per_shard.values()) > 150, ops_per_shard
    for f, key, value in workload.final_operations():
        keys = [mop[1] for mop in value] if f == "txn" else [key]
        assert len({shard_of_key(k, 2) for k in keys}) == 1


def test_one_shard_keys_are_named_as_before():
    pool = KeyPool("p", active=2, budget=3)
    rng = random.Random(1)
    assert [pool.pick(rng) for _ in range(4)][:1] and pool.every_key()[:2] == ["p:0", "p:1"]
    spread = KeyPool("p", active=1, budget=3, shards=2)
    assert len(spread.active) == 2
    assert [spread.shard_of(spread.name(number)) for number in spread.active] == [0, 1]


def test_command_line_takes_shards_and_replication_factor():
    arguments = build_parser().parse_args(["run", "--shards", "2", "--replication-factor", "3"])
    assert (arguments.shards, arguments.replication_factor) == (2, 3)
    assert build_parser().parse_args(["run"]).replication_factor is None
    matrix = build_parser().parse_args(["matrix", "--shards", "2"])
    assert (matrix.shards, matrix.replication_factor) == (2, None)

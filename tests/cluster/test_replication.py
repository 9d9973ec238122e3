"""A 3-node cluster (one shard, three replicas): replication, follower service, failover,
authentication of Raft traffic, and check-quorum (no stale reads from a cut-off leader)."""
import signal
import subprocess
import sys
import time

import pytest
import redis

from tests.conftest import REPO


def test_writes_and_linearizable_reads_on_every_node(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    for index in range(3):
        assert cluster.client(index).set("k%d" % index, "v%d" % index) is True
    for reader in range(3):
        client = cluster.client(reader)
        # a read on any node comes after every write acknowledged before it (read barrier)
        assert [client.get("k%d" % index) for index in range(3)] == [b"v0", b"v1", b"v2"]
    info = cluster.info_raft(0)
    assert info["shard0_commit_index"] >= 4


def test_leader_failure_keeps_acknowledged_writes(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = cluster.leader_index()
    client = cluster.client(leader)
    for number in range(200):
        client.set("key:%d" % number, number)
    cluster.kill9(leader)
    survivor = next(index for index in range(3) if index != leader)
    deadline = time.monotonic() + 30
    survivor_client = cluster.client(survivor)
    while True:  # the two survivors elect a new leader; writes resume
        try:
            survivor_client.set("after", "failover")
            break
        except redis.RedisError:
            assert time.monotonic() < deadline, "no new leader within 30 s"
            time.sleep(0.3)
    values = survivor_client.mget(["key:%d" % number for number in range(200)])
    assert values == [b"%d" % number for number in range(200)]


def test_a_node_with_the_wrong_secret_never_joins(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start(0, wait=False)
    cluster.start(1, wait=False)
    cluster.start(2, extra_args=["--cluster-secret", "wrong"], wait=False)
    cluster.wait_ready(0)
    cluster.wait_ready(1)
    cluster.client(0).set("secret", "kept")
    time.sleep(2)
    with pytest.raises(RuntimeError):  # it never learns a leader, so it never opens its port
        cluster.wait_ready(2, timeout_s=3)
    assert cluster.info_raft(0)["shard0_applied_index"] >= 3


def test_several_nodes_without_a_secret_refuse_to_start(cluster_factory, tmp_path):
    cluster = cluster_factory(3, secret="")
    result = subprocess.run([sys.executable, "-m", "spinelraft.server", "--config", cluster.configs[0]],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "cluster-secret" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_leader_cut_off_from_its_majority_serves_no_stale_read(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all(extra_args=["--proposal-timeout", "3"])
    leader = cluster.leader_index()
    followers = [index for index in range(3) if index != leader]
    old = cluster.client(leader)
    old.set("register", "before")
    for index in followers:
        cluster.signal(index, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(redis.RedisError):
            # neither a read nor a write can complete without a majority: the read waits for a
            # barrier entry that cannot commit, and is answered with an error, never a value
            old.get("register")
        assert time.monotonic() - started < 15
    finally:
        for index in followers:
            cluster.signal(index, signal.SIGCONT)
    new_leader_deadline = time.monotonic() + 30
    follower = cluster.client(followers[0])
    while True:
        try:
            follower.set("register", "after")
            break
        except redis.RedisError:
            assert time.monotonic() < new_leader_deadline
            time.sleep(0.3)
    assert cluster.client(leader).get("register") == b"after"

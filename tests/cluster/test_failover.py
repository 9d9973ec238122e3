"""Replica semantics on Raft: ROLE, WAIT, FAILOVER TO, REPLICAOF NO ONE."""
import time


def _wait_for_leader(cluster, expected: int, timeout_s: float = 20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cluster.info_raft(expected).get("shard0_role") == "leader":
            return
        time.sleep(0.2)
    raise AssertionError("node %d did not become leader" % expected)


def test_role_wait_and_leadership_transfer(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = cluster.leader_index()
    followers = [index for index in range(3) if index != leader]
    client = cluster.client(leader)
    client.set("k", "v")
    role = client.execute_command("ROLE")
    assert role[0] == b"master" and len(role[2]) == 2
    assert client.execute_command("WAIT", 2, 2000) == 2
    follower_role = cluster.client(followers[0]).execute_command("ROLE")
    assert follower_role[0] == b"slave" and follower_role[2] == cluster.port(leader)

    target = followers[0]
    assert client.execute_command("FAILOVER", "TO", "127.0.0.1", cluster.port(target)) == b"OK"
    _wait_for_leader(cluster, target)

    other = followers[1]
    assert cluster.client(other).execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    _wait_for_leader(cluster, other)
    assert cluster.client(leader).get("k") == b"v"

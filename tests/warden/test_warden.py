"""The Warden against a real 3-node cluster: redis-py's Sentinel client finds the Raft leader,
follows SENTINEL FAILOVER and a kill -9 of the leader, and hears +switch-master."""
import subprocess
import time

import pytest
import redis
from redis.sentinel import Sentinel

from tests.warden.conftest import wait_until

pytestmark = pytest.mark.timeout(120)
FOLLOW_TIMEOUT_S = 20.0


def _sentinel(warden, protocol=3):
    """redis-py's Sentinel client (RESP3 is redis-py 8's default; RESP2 is checked too)."""
    return Sentinel([("127.0.0.1", warden.port)], socket_timeout=2, protocol=protocol,
                    sentinel_kwargs={"protocol": protocol, "socket_timeout": 2})


def _subscriber(warden, channel="+switch-master"):
    pubsub = warden.client().pubsub()
    pubsub.subscribe(channel)
    first = pubsub.get_message(timeout=5)
    assert first["type"] == "subscribe" and first["channel"] == channel.encode()
    return pubsub


def _next_switch(pubsub, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message and message["type"] == "message":
            return message["data"].decode().split()
    raise AssertionError("no +switch-master in %.0f s" % timeout_s)


def _leader_port(cluster, warden, timeout_s=FOLLOW_TIMEOUT_S):
    """The leader's RESP port once the Warden reports that same node as master."""
    sentinel = _sentinel(warden)

    def agreed():
        leader = cluster.port(cluster.leader_index())
        return leader if sentinel.discover_master("shard-0") == ("127.0.0.1", leader) else None

    return wait_until(agreed, timeout_s, what="Warden reporting the Raft leader")


def test_sentinel_client_finds_the_leader_and_writes(warden_cluster):
    cluster, warden = warden_cluster
    leader = _leader_port(cluster, warden)
    sentinel = _sentinel(warden)
    others = sorted(cluster.port(index) for index in range(3) if cluster.port(index) != leader)
    assert sorted(port for _, port in wait_until(
        lambda: len(sentinel.discover_slaves("shard-0")) == 2 and sentinel.discover_slaves("shard-0"),
        10, what="two replicas")) == others

    assert _sentinel(warden, protocol=2).discover_master("shard-0") == ("127.0.0.1", leader)
    assert sorted(port for _, port in _sentinel(warden, protocol=2).discover_slaves("shard-0")) == others
    master = sentinel.master_for("shard-0", socket_timeout=5)
    assert master.set("warden-key", "v1") is True
    assert _sentinel(warden, protocol=2).master_for("shard-0", socket_timeout=5).get("warden-key") == b"v1"
    assert cluster.client(cluster.leader_index()).get("warden-key") == b"v1"
    assert sentinel.slave_for("shard-0", socket_timeout=5).get("warden-key") == b"v1"

    raw = warden.client()
    # GET-MASTER-ADDR-BY-NAME answers the port as a bulk string, as Redis Sentinel does
    assert raw.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "shard-0") == [b"127.0.0.1", b"%d" % leader]
    assert raw.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope") is None
    for command in (("SENTINEL", "MASTER", "nope"), ("SENTINEL", "REPLICAS", "nope"),
                    ("SENTINEL", "FAILOVER", "nope"), ("SENTINEL", "CKQUORUM", "nope")):
        with pytest.raises(redis.ResponseError, match="^No such master with that name$"):
            raw.execute_command(*command)
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'BOGUS'"):
        raw.execute_command("SENTINEL", "BOGUS")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'sentinel\\|master'"):
        raw.execute_command("SENTINEL", "MASTER")

    state = raw.sentinel_master("shard-0")
    assert state["is_master"] and not state["is_sdown"] and not state["is_odown"]
    assert state["port"] == leader and state["num-slaves"] == 2 and state["quorum"] == 2
    assert len(state["runid"]) == 40
    replicas = raw.sentinel_slaves("shard-0")
    assert sorted(replica["port"] for replica in replicas) == others
    assert all(replica["is_slave"] and replica["master-port"] == leader for replica in replicas)
    assert raw.sentinel_sentinels("shard-0") == []
    assert raw.execute_command("SENTINEL", "CKQUORUM", "shard-0") == \
        b"OK 3 usable Sentinels. Quorum and failover authorization can be reached"
    assert raw.execute_command("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", leader, 0, "*") == [0, b"*", 0]
    assert len(raw.execute_command("SENTINEL", "MYID")) == 40
    assert raw.execute_command("ROLE") == [b"sentinel", [b"shard-0"]]
    info = raw.info()
    assert info["redis_mode"] == "sentinel" and info["sentinel_masters"] == 1
    assert info["master0"]["name"] == "shard-0" and info["master0"]["status"] == "ok"
    assert info["master0"]["address"] == "127.0.0.1:%d" % leader and info["master0"]["slaves"] == 2

    # RESP2: flat arrays instead of maps, same content
    resp2 = warden.client(protocol=2)
    assert resp2.sentinel_masters()["shard-0"]["port"] == leader
    assert resp2.sentinel_master("shard-0")["is_master"]
    assert resp2.execute_command("HELLO", 3)[b"mode"] == b"sentinel"

    # redis-cli works against the Warden
    output = subprocess.run(["redis-cli", "-p", str(warden.port), "SENTINEL", "MASTERS"],
                            capture_output=True, text=True, timeout=10)
    assert output.returncode == 0 and "shard-0" in output.stdout and str(leader) in output.stdout
    output = subprocess.run(["redis-cli", "-p", str(warden.port), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "shard-0"],
                            capture_output=True, text=True, timeout=10)
    assert output.stdout.split() == ["127.0.0.1", str(leader)]


def test_sentinel_failover_moves_leadership(warden_cluster):
    cluster, warden = warden_cluster
    old = _leader_port(cluster, warden)
    pubsub = _subscriber(warden)
    patterns = warden.client().pubsub()
    patterns.psubscribe("*")
    assert warden.client().execute_command("SENTINEL", "FAILOVER", "shard-0") == b"OK"
    name, old_ip, old_port, new_ip, new_port = _next_switch(pubsub, FOLLOW_TIMEOUT_S)
    assert (name, old_ip, int(old_port), new_ip) == ("shard-0", "127.0.0.1", old, "127.0.0.1")
    new = int(new_port)
    assert new != old
    assert wait_until(lambda: _leader_port(cluster, warden) == new, FOLLOW_TIMEOUT_S, what="new leader")
    sentinel = _sentinel(warden)
    assert sentinel.master_for("shard-0", socket_timeout=5).set("after-failover", "1") is True
    # a pattern subscriber saw the failover's events too
    seen = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not {"+try-failover", "+switch-master"} <= seen:
        message = patterns.get_message(timeout=0.5)
        if message and message["type"] == "pmessage":
            seen.add(message["channel"].decode())
    assert {"+try-failover", "+switch-master"} <= seen


def test_clients_follow_a_killed_leader(warden_cluster):
    cluster, warden = warden_cluster
    old = _leader_port(cluster, warden)
    sentinel = _sentinel(warden)
    master = sentinel.master_for("shard-0", socket_timeout=2)
    for index in range(20):
        assert master.set("before-%d" % index, index) is True
    pubsub = _subscriber(warden)

    old_index = next(index for index in range(3) if cluster.port(index) == old)
    cluster.kill9(old_index)
    killed_at = time.monotonic()

    # the application's loop: retry each write until it is acknowledged, within a deadline
    written = []
    for index in range(20):
        deadline = time.monotonic() + FOLLOW_TIMEOUT_S
        while True:
            try:
                assert master.set("after-%d" % index, index) is True
                written.append(index)
                break
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    followed_in = time.monotonic() - killed_at

    name, _, old_port, _, new_port = _next_switch(pubsub, FOLLOW_TIMEOUT_S)
    assert name == "shard-0" and int(old_port) == old and int(new_port) != old
    new = int(new_port)
    assert master.connection_pool.get_master_address() == ("127.0.0.1", new)
    assert cluster.port(cluster.leader_index()) == new
    leader = cluster.client(cluster.leader_index())
    assert [leader.get("before-%d" % index) for index in range(20)] == [b"%d" % index for index in range(20)]
    assert [leader.get("after-%d" % index) for index in written] == [b"%d" % index for index in written]
    state = warden.client().sentinel_master("shard-0")
    assert state["port"] == new and state["config-epoch"] >= 1
    # the dead node is listed as a replica that is down (redis-py skips it)
    assert ("127.0.0.1", old) not in sentinel.discover_slaves("shard-0")
    down = [replica for replica in warden.client().sentinel_slaves("shard-0") if replica["port"] == old]
    assert down and down[0]["is_sdown"]
    assert followed_in < FOLLOW_TIMEOUT_S

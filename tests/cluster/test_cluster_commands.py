"""CLUSTER commands describe the live Raft topology; redis-py's RedisCluster routes with them."""
from redis.cluster import RedisCluster


def test_cluster_slots_and_redis_cluster_client(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = cluster.leader_index()
    slots = cluster.client(0).execute_command("CLUSTER", "SLOTS")
    assert slots[0][0] == 0 and slots[0][1] == 16383
    assert slots[0][2][1] == cluster.port(leader)  # the leader is the master of the range
    assert len(slots[0]) == 5  # master + 2 replicas
    info = cluster.client(1).execute_command("CLUSTER", "INFO").decode()
    assert "cluster_state:ok" in info and "cluster_known_nodes:3" in info
    assert cluster.client(2).execute_command("CLUSTER", "KEYSLOT", "foo") == 12182
    nodes = cluster.client(0).execute_command("CLUSTER", "NODES").decode().splitlines()
    assert sum("master" in line for line in nodes) == 1 and len(nodes) == 3
    client = RedisCluster(host="127.0.0.1", port=cluster.port((leader + 1) % 3))
    try:
        client.set("foo", "bar")
        assert client.get("foo") == b"bar"
        assert client.mget_nonatomic(["foo", "missing"]) == [b"bar", None]
    finally:
        client.close()
    assert cluster.client(0).execute_command("CLUSTER", "COUNTKEYSINSLOT", 12182) == 1
    assert cluster.client(0).execute_command("CLUSTER", "GETKEYSINSLOT", 12182, 10) == [b"foo"]

"""cluster-mode = redis: followers redirect with -MOVED as Redis Cluster replicas do."""
import pytest
import redis
from redis.cluster import RedisCluster


def test_followers_answer_moved_and_cluster_clients_follow(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all(extra_args=["--cluster-mode", "redis"])
    leader = cluster.leader_index()
    follower = next(index for index in range(3) if index != leader)
    plain = cluster.client(follower)
    with pytest.raises(redis.ResponseError) as error:
        plain.execute_command("SET", "foo", "bar")
    # redis-py strips the MOVED prefix into the exception type (as for a Redis Cluster replica)
    assert str(error.value).endswith("12182 127.0.0.1:%d" % cluster.port(leader))
    assert cluster.client(leader).set("foo", "bar") is True
    with pytest.raises(redis.ResponseError, match="12182"):
        plain.execute_command("GET", "foo")
    plain.execute_command("READONLY")  # the connection accepts stale reads: served here
    assert plain.execute_command("GET", "foo") in (b"bar", None)
    client = RedisCluster(host="127.0.0.1", port=cluster.port(follower))
    try:
        client.set("k", "v")
        assert client.get("k") == b"v"
    finally:
        client.close()


def test_moved_points_at_the_leader_of_the_keys_shard(cluster_factory):
    from spinelraft.slots import key_slot, slot_shard
    from tests.cluster.test_shards import leaders, wait_for

    cluster = cluster_factory(3, shards=3)
    cluster.start_all(extra_args=["--cluster-mode", "redis"])
    wait_for(lambda: len(leaders(cluster, range(3))) == 3, 30, "a leader for every shard")
    led = leaders(cluster, range(3))
    for key in ("foo", "bar", "baz", "qux", "{a}b"):
        slot = key_slot(key.encode())
        owner = led[slot_shard(slot, 3)]
        other = next(index for index in range(3) if index != owner)
        with pytest.raises(redis.ResponseError) as error:
            cluster.client(other).execute_command("SET", key, "v")
        assert str(error.value).endswith("%d 127.0.0.1:%d" % (slot, cluster.port(owner)))
        assert cluster.client(owner).set(key, "v") is True
    client = RedisCluster(host="127.0.0.1", port=cluster.port(0))
    try:
        for number in range(50):
            client.set("rc:%d" % number, number)
        assert client.mget_nonatomic(["rc:%d" % n for n in range(50)]) == [b"%d" % n for n in range(50)]
    finally:
        client.close()
    # keyless commands run on the node's own shards, leader or not, without -MOVED
    for index in range(3):
        plain = cluster.client(index)
        plain.execute_command("READONLY")
        wait_for(lambda: plain.dbsize() == 55, 10, "every write applied on node %d" % index)
        assert len(set(plain.scan_iter(count=7))) == 55

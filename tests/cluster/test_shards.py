"""Several shards per cluster: placement, routing, -CROSSSLOT, fan-out, proxying to shards
replicated elsewhere, leader spreading, failover of one shard, and redis-py's RedisCluster."""
import threading
import time

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from spinelraft.slots import key_slot, slot_shard


def keys_by_shard(shards: int, per_shard: int = 20) -> dict:
    found = {shard: [] for shard in range(shards)}
    number = 0
    while any(len(keys) < per_shard for keys in found.values()):
        key = "key:%d" % number
        shard = slot_shard(key_slot(key.encode()), shards)
        if len(found[shard]) < per_shard:
            found[shard].append(key)
        number += 1
    return found


def wait_for(predicate, timeout_s: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except redis.RedisError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def shards_here(info) -> list:
    """raft_shards_here as ints (redis-py parses "0,1,2" into a list and "1" into an int)."""
    value = info.get("raft_shards_here", "")
    if isinstance(value, list):
        return [int(v) for v in value]
    if isinstance(value, int):
        return [value]
    return [int(v) for v in str(value).split(",") if v != ""]


def leaders(cluster, indexes) -> dict:
    """shard -> index of the node that leads it (from each node's INFO raft)."""
    led = {}
    for index in indexes:
        info = cluster.info_raft(index)
        for shard in shards_here(info):
            if info.get("shard%d_role" % shard) == "leader":
                led[shard] = index
    return led


@pytest.fixture
def three_by_three(cluster_factory):
    cluster = cluster_factory(3, shards=3)
    cluster.start_all()
    return cluster


def test_three_shards_route_fan_out_and_refuse_crossslot(three_by_three):
    cluster = three_by_three
    keys = keys_by_shard(3)
    clients = [cluster.client(index) for index in range(3)]
    for shard, names in keys.items():
        for number, key in enumerate(names):
            assert clients[number % 3].set(key, "%d:%s" % (shard, key))
    for client in clients:
        for shard, names in keys.items():
            assert client.mget(names) == [("%d:%s" % (shard, key)).encode() for key in names]
    assert clients[1].dbsize() == 60
    assert sorted(clients[2].keys("key:*")) == sorted(k.encode() for names in keys.values() for k in names)
    cursor, seen = 0, set()
    while True:
        cursor, page = clients[0].scan(cursor, count=7)
        assert not seen & set(page)  # every key once
        seen.update(page)
        if cursor == 0:
            break
    assert seen == {k.encode() for names in keys.values() for k in names}

    with pytest.raises(redis.ResponseError, match="same slot"):
        clients[0].mset({keys[0][0]: 1, keys[1][0]: 2})
    assert clients[0].mset({"{user1}:a": 1, "{user1}:b": 2})
    assert clients[1].mget("{user1}:a", "{user1}:b") == [b"1", b"2"]

    pipe = clients[0].pipeline(transaction=True)
    pipe.set(keys[0][0], "x")
    pipe.set(keys[1][0], "y")
    with pytest.raises(redis.ResponseError, match="same slot|EXECABORT"):
        pipe.execute()
    pipe = clients[2].pipeline(transaction=True)
    pipe.incr("{t}:n")
    pipe.incr("{t}:n")
    assert pipe.execute() == [1, 2]

    info = cluster.info_raft(0)
    assert info["raft_shards"] == 3 and shards_here(info) == [0, 1, 2]
    slots = clients[0].execute_command("CLUSTER", "SLOTS")
    assert sorted((row[0], row[1]) for row in slots) == [(0, 5461), (5462, 10922), (10923, 16383)]
    assert clients[0].flushall()
    assert clients[2].dbsize() == 0


def test_leaders_spread_and_a_shard_fails_over(three_by_three):
    cluster = three_by_three
    wait_for(lambda: sorted(leaders(cluster, range(3)).values()) == [0, 1, 2], 40, "one leader per node")
    led = leaders(cluster, range(3))
    keys = keys_by_shard(3, per_shard=5)
    acked = []
    stop = threading.Event()

    def write():
        number = 0
        client = cluster.client(0 if led[1] != 0 else 1)
        deadline = time.monotonic() + 60
        while not stop.is_set() and time.monotonic() < deadline:
            key = keys[number % 3][number % 5] + ":%d" % number
            try:
                client.set(key, number)
                acked.append((key, number))
            except redis.RedisError:
                time.sleep(0.05)
            number += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(1)
    victim = led[1]
    cluster.kill9(victim)
    survivors = [index for index in range(3) if index != victim]
    wait_for(lambda: 1 in leaders(cluster, survivors), 30, "a new leader for shard 1")
    time.sleep(1)
    stop.set()
    writer.join(timeout=30)
    assert len(acked) > 20
    client = cluster.client(survivors[0])
    for key, number in acked:
        assert client.get(key) == b"%d" % number, key
    cluster.start(victim)  # it comes back, catches up, and leads a shard again
    wait_for(lambda: sorted(leaders(cluster, range(3)).values()) == [0, 1, 2], 40, "one leader per node again")


def test_redis_py_cluster_client(three_by_three):
    cluster = three_by_three
    client = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", cluster.port(0))], socket_timeout=10)
    try:
        for number in range(100):
            client.set("rc:%d" % number, number)
        assert [client.get("rc:%d" % number) for number in range(100)] == [b"%d" % n for n in range(100)]
    finally:
        client.close()


def test_five_nodes_three_shards_proxy_to_replicas_elsewhere(cluster_factory):
    cluster = cluster_factory(5, shards=3, replication_factor=3)
    cluster.start_all()
    hosted = {index: shards_here(cluster.info_raft(index)) for index in range(5)}
    subsets = [frozenset(i for i in range(5) if shard in hosted[i]) for shard in range(3)]
    assert [len(subset) for subset in subsets] == [3, 3, 3]
    assert len(set(subsets)) == 3  # shards sit on different subsets of the nodes
    keys = keys_by_shard(3, per_shard=10)
    outsider = {shard: next(i for i in range(5) if shard not in hosted[i]) for shard in range(3)}
    for shard in range(3):
        client = cluster.client(outsider[shard])  # does not replicate the shard: proxies
        for key in keys[shard]:
            assert client.set(key, key)
        assert client.mget(keys[shard]) == [key.encode() for key in keys[shard]]
        assert client.incr("{%s}:counter" % keys[shard][0]) == 1
        with client.pipeline(transaction=True) as pipe:
            pipe.watch(keys[shard][0])
            pipe.multi()
            pipe.set(keys[shard][0], "changed")
            pipe.get(keys[shard][0])
            assert pipe.execute() == [True, b"changed"]
        # a WATCHed key changed by another client: EXEC through the proxy fails
        with client.pipeline(transaction=True) as pipe:
            pipe.watch(keys[shard][1])
            cluster.client(next(iter(subsets[shard]))).set(keys[shard][1], "other")
            pipe.multi()
            pipe.set(keys[shard][1], "mine")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        # a blocking pop served by the shard's replicas, woken by a write through another node
        result = {}
        waiter = threading.Thread(target=lambda: result.setdefault(
            "reply", cluster.client(outsider[shard]).blpop("{%s}:queue" % keys[shard][0], timeout=20)))
        waiter.start()
        time.sleep(0.5)
        cluster.client(next(iter(subsets[shard]))).rpush("{%s}:queue" % keys[shard][0], "item")
        waiter.join(timeout=25)
        assert list(result["reply"]) == [("{%s}:queue" % keys[shard][0]).encode(), b"item"]
    assert cluster.client(0).dbsize() == 33  # 3 x (10 keys + a counter); the queues were emptied
    assert sorted(cluster.client(4).keys("{key:*}:counter")) == sorted(
        ("{%s}:counter" % keys[shard][0]).encode() for shard in range(3))
    members = cluster.client(4).execute_command("RAFT", "MEMBERS")
    assert len(members) == 5


def test_rebalance_moves_replicas_onto_a_new_node(cluster_factory):
    from tests.cluster.test_membership import admin

    cluster = cluster_factory(3, spare=1, shards=2)
    cluster.start_all()
    keys = keys_by_shard(2, per_shard=10)
    client = cluster.client(0)
    for names in keys.values():
        for key in names:
            client.set(key, key)
    cluster.grow(4)
    cluster.start(3, extra_args=("--join",))
    assert shards_here(cluster.info_raft(3)) == []
    added = admin("--port", str(cluster.port(1)), "add-node", "--id", "n4", "--node-port", str(cluster.port(3)),
                  "--raft-port", str(cluster.base_port + 103))  # joins every shard, catches up
    assert added.returncode == 0, added.stdout + added.stderr
    assert shards_here(cluster.info_raft(3)) == [0, 1]
    result = admin("--port", str(cluster.port(0)), "rebalance")  # back to 3 replicas per shard
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebalanced" in result.stdout
    # placement for n1..n4, 2 shards, RF 3: shard 0 on n1 n2 n3, shard 1 led by n2 on n2 n4 n1
    wait_for(lambda: shards_here(cluster.info_raft(3)) == [1], 30, "n4 replicating shard 1")
    assert shards_here(cluster.info_raft(2)) == [0]
    for index in range(4):
        reader = cluster.client(index)
        for names in keys.values():
            assert reader.mget(names) == [key.encode() for key in names]
    status = admin("--port", str(cluster.port(3)), "status")
    assert status.returncode == 0 and status.stdout.count("n4@") == 1, status.stdout
    moved = admin("--port", str(cluster.port(0)), "transfer-leader", "--shard", "1", "--to", "n4")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    wait_for(lambda: leaders(cluster, range(4)).get(1) == 3, 20, "n4 leading shard 1")


def test_all_nodes_killed_together_recover_every_acknowledged_write(cluster_factory):
    cluster = cluster_factory(3, shards=3)
    cluster.start_all()
    acked = []
    clients = [cluster.client(index) for index in range(3)]
    for number in range(300):
        key = "durable:%d" % number
        clients[number % 3].set(key, number)  # acknowledged: committed on a majority, fsynced
        acked.append(key)
    for index in range(3):
        cluster.kill9(index)
    cluster.start_all()
    reader = cluster.client(1)
    pipe = reader.pipeline(transaction=False)
    for key in acked:
        pipe.get(key)
    assert pipe.execute() == [b"%d" % number for number in range(300)]
    assert reader.dbsize() == 300


def test_a_node_restarts_the_shards_it_was_given(cluster_factory):
    """After add-node, the newcomer replicates shards its config's placement does not give it;
    it restarts them from data-dir/shards.json."""
    from tests.cluster.test_membership import admin

    cluster = cluster_factory(3, spare=1, shards=2)
    cluster.start_all()
    cluster.grow(4)
    cluster.start(3, extra_args=("--join",))
    added = admin("--port", str(cluster.port(0)), "add-node", "--id", "n4", "--node-port", str(cluster.port(3)),
                  "--raft-port", str(cluster.base_port + 103))
    assert added.returncode == 0, added.stdout + added.stderr
    keys = keys_by_shard(2, per_shard=5)
    for names in keys.values():
        for key in names:
            cluster.client(0).set(key, key)
    cluster.kill9(3)
    cluster.start(3, extra_args=("--join",))
    assert shards_here(cluster.info_raft(3)) == [0, 1]
    readonly = cluster.client(3)
    readonly.execute_command("READONLY")  # its own replicas: local (possibly stale) reads
    wait_for(lambda: all(readonly.mget(names) == [k.encode() for k in names] for names in keys.values()),
             30, "the restarted newcomer holding every key locally")


def test_a_proxied_blocking_pop_ends_when_its_client_leaves(cluster_factory):
    """The wait on the node replicating the shard ends with the client's connection: a later
    push is not taken by a client that is gone."""
    cluster = cluster_factory(5, shards=3, replication_factor=3)
    cluster.start_all()
    hosted = {index: shards_here(cluster.info_raft(index)) for index in range(5)}
    key = keys_by_shard(3, per_shard=1)[0][0]
    outsider = next(i for i in range(5) if 0 not in hosted[i])
    replica = next(i for i in range(5) if 0 in hosted[i])
    import socket

    with socket.create_connection(("127.0.0.1", cluster.port(outsider))) as conn:
        conn.sendall(b"*3\r\n$5\r\nBLPOP\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(key), key.encode()))
        time.sleep(0.5)
    time.sleep(0.5)
    cluster.client(replica).rpush(key, "item")
    time.sleep(0.5)
    assert cluster.client(replica).lrange(key, 0, -1) == [b"item"]


def test_a_shard_with_every_replica_down_gets_clusterdown_not_a_hang(cluster_factory):
    cluster = cluster_factory(5, shards=3, replication_factor=3)
    cluster.start_all()
    hosted = {index: shards_here(cluster.info_raft(index)) for index in range(5)}
    replicas = [index for index in range(5) if 0 in hosted[index]]
    outsider = next(index for index in range(5) if 0 not in hosted[index])
    key = keys_by_shard(3, per_shard=1)[0][0]
    client = cluster.client(outsider)
    assert client.set(key, "before")
    for index in replicas:
        cluster.kill9(index)
    for attempt in range(2):  # the broken peer connection, then fresh connections refused
        with pytest.raises(redis.RedisError) as error:
            client.set(key, "after")
        # -CLUSTERDOWN (redis-py: ClusterDownError), or -TRYAGAIN "outcome unknown" for a write
        # sent on a connection that broke
        assert isinstance(error.value, redis.exceptions.ClusterDownError) or "unknown" in str(error.value)
    live = next(index for index in range(5) if index not in replicas)
    assert cluster.client(live).ping()  # the node itself keeps serving

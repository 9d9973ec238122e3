"""A follower that missed entries the leader has compacted away catches up from a snapshot."""
import time


def _wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


def test_lagging_follower_installs_the_leaders_snapshot(cluster_factory):
    cluster = cluster_factory(3)
    cluster.start_all()
    leader = cluster.leader_index()
    lagging = next(index for index in range(3) if index != leader)
    cluster.kill9(lagging)
    client = cluster.client(leader)
    pipe = client.pipeline(transaction=False)
    for number in range(3000):
        pipe.set("key:%d" % number, number)
    pipe.execute()
    client.rpush("list", *range(100))
    client.bgsave()
    _wait_for(lambda: client.info("persistence")["snapshots_completed"] >= 1, 60, "the leader's snapshot")
    client.set("after-snapshot", "yes")
    cluster.start(lagging)
    lagging_client = cluster.client(lagging)
    assert lagging_client.get("after-snapshot") == b"yes"
    assert lagging_client.mget(["key:%d" % n for n in range(3000)]) == [b"%d" % n for n in range(3000)]
    assert lagging_client.lrange("list", 0, -1) == [b"%d" % n for n in range(100)]
    log = open(cluster.configs[lagging].replace("spinelraft.toml", "server.log")).read()
    assert "loaded snapshot" in log

"""The Warden over a cluster of several shards: one monitored master per shard, and SENTINEL
FAILOVER of one shard moves that shard's leader only (RAFT TRANSFER)."""
import time

from redis.sentinel import Sentinel

from tests.cluster.conftest import Cluster
from tests.warden.conftest import WardenProcess, wait_until


def _leader_ports(warden) -> dict:
    return {name: int(warden.client().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)[1])
            for name in ("shard-0", "shard-1")}


def test_each_shard_is_a_master_and_fails_over_alone(tmp_path):
    cluster = Cluster(str(tmp_path / "cluster"), 3, shards=2)
    warden = None
    try:
        cluster.start_all()
        warden = WardenProcess(str(tmp_path / "warden"), [cluster.port(1)]).start()
        names = sorted(row[b"name"].decode() if isinstance(row, dict) else dict(zip(row[::2], row[1::2]))[b"name"].decode()
                       for row in warden.client().execute_command("SENTINEL", "MASTERS"))
        assert names == ["shard-0", "shard-1"]
        assert wait_until(lambda: len(set(_leader_ports(warden).values())) == 2, 30,
                          what="leaders spread over two nodes")
        before = _leader_ports(warden)
        assert warden.client().execute_command("SENTINEL", "FAILOVER", "shard-1") == b"OK"
        assert wait_until(lambda: _leader_ports(warden)["shard-1"] != before["shard-1"], 20, what="shard-1 moved")
        assert _leader_ports(warden)["shard-0"] == before["shard-0"]
        sentinel = Sentinel([("127.0.0.1", warden.port)], socket_timeout=5)
        master = sentinel.master_for("shard-1", socket_timeout=5)
        assert master.set("{x}after", "1") is True
        time.sleep(0.1)
        assert cluster.client(0).get("{x}after") == b"1"
    finally:
        if warden is not None:
            warden.stop()
        cluster.stop_all()


def test_warden_built_into_every_node(tmp_path):
    """sentinel-port: each node answers the Sentinel API itself; a Sentinel client given every
    node's Sentinel port follows a kill -9 of the leader."""
    from tests.conftest import free_port

    cluster = Cluster(str(tmp_path / "cluster"), 3)
    sentinel_ports = [free_port() for _ in range(3)]
    try:
        for index in range(3):
            cluster.start(index, extra_args=["--sentinel-port", str(sentinel_ports[index])], wait=False)
        for index in range(3):
            cluster.wait_ready(index)
        sentinel = Sentinel([("127.0.0.1", port) for port in sentinel_ports], socket_timeout=2)
        assert wait_until(lambda: sentinel.discover_master("shard-0")[1] in [cluster.port(i) for i in range(3)],
                          20, what="a master for shard-0")
        old = sentinel.discover_master("shard-0")[1]
        master = sentinel.master_for("shard-0", socket_timeout=2)
        assert master.set("k", "v") is True
        victim = [cluster.port(i) for i in range(3)].index(old)
        cluster.kill9(victim)

        def moved():
            try:
                return sentinel.discover_master("shard-0")[1] != old and master.set("k2", "v2") is True
            except Exception:  # noqa: BLE001 - the dead node's Sentinel and the old leader refuse
                return False

        assert wait_until(moved, 30, what="the new leader found through the built-in Wardens")
    finally:
        cluster.stop_all()

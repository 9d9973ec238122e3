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

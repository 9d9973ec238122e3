"""Acknowledged writes survive kill -9: from the Raft journal alone, and from a RocksDB snapshot
(BGSAVE) plus the journal written after it."""
import re
import time

import pytest

KEYS = 2000
SNAPSHOT_TIMEOUT_S = 60


def _write_acknowledged(client, prefix: str, count: int, start: int = 0) -> dict:
    """SETs answered one by one and in pipelines: every key written here got its OK back."""
    expected = {}
    for index in range(start, start + count, 100):
        batch = range(index, min(index + 100, start + count))
        if (index // 100) % 2:
            for number in batch:
                assert client.set("%s:%d" % (prefix, number), "value-%d" % number) is True
        else:
            pipe = client.pipeline(transaction=False)
            for number in batch:
                pipe.set("%s:%d" % (prefix, number), "value-%d" % number)
            assert pipe.execute() == [True] * len(batch)
        expected.update({("%s:%d" % (prefix, number)).encode(): b"value-%d" % number for number in batch})
    return expected


def _assert_all_present(client, expected: dict):
    keys = list(expected)
    found = []
    for index in range(0, len(keys), 500):
        found += client.mget(keys[index:index + 500])
    missing = [key for key, value in zip(keys, found) if value != expected[key]]
    assert missing == [], "%d acknowledged keys lost, e.g. %r" % (len(missing), missing[:5])


def _ready_lines(server) -> list:
    with open(server.log_path) as log:
        return re.findall(r"shard 0 ready in ([0-9.]+) s: term (\d+), applied index (\d+), (\d+) keys",
                          log.read())


def _snapshots_completed(client) -> int:
    return int(client.info("persistence")["snapshots_completed"])


@pytest.mark.parametrize("appendfsync", ["always", "everysec"])
def test_acknowledged_writes_survive_kill9(server_factory, appendfsync):
    server = server_factory(extra_args=["--appendfsync", appendfsync])
    client = server.client()
    expected = _write_acknowledged(client, "k", KEYS)
    client.hset("hash", mapping={"f1": "v1", "f2": "v2"})
    client.rpush("list", "a", "b", "c")
    client.set("ttl", "x", ex=3600)
    client.close()
    server.kill9()
    server.start()
    client = server.client()
    _assert_all_present(client, expected)
    assert client.hgetall("hash") == {b"f1": b"v1", b"f2": b"v2"}
    assert client.lrange("list", 0, -1) == [b"a", b"b", b"c"]
    assert 3500 < client.ttl("ttl") <= 3600
    assert client.dbsize() == KEYS + 3
    ready = _ready_lines(server)
    assert len(ready) == 2  # one line per start, in the log the restarted server appended to
    seconds, _, applied, keys = ready[-1]
    assert float(seconds) < 30 and int(applied) >= 1 and int(keys) == KEYS + 3
    client.close()


def test_snapshot_then_more_writes_survive_kill9(server_factory):
    server = server_factory()
    client = server.client()
    expected = _write_acknowledged(client, "before", KEYS)
    completed = _snapshots_completed(client)
    assert client.bgsave() is True
    deadline = time.monotonic() + SNAPSHOT_TIMEOUT_S
    while _snapshots_completed(client) <= completed:
        assert time.monotonic() < deadline, "BGSAVE did not complete in %d s" % SNAPSHOT_TIMEOUT_S
        time.sleep(0.05)
    assert client.lastsave().timestamp() > time.time() - 120
    expected.update(_write_acknowledged(client, "after", 500))
    for number in range(0, KEYS, 10):  # overwrite some snapshotted keys; delete others
        key = "before:%d" % number
        if number % 20:
            client.set(key, "changed")
            expected[key.encode()] = b"changed"
        else:
            client.delete(key)
            del expected[key.encode()]
    client.close()
    server.kill9()
    server.start()
    client = server.client()
    _assert_all_present(client, expected)
    assert client.dbsize() == len(expected)
    assert len(_ready_lines(server)) == 2
    with open(server.log_path) as log:
        assert re.search(r"loaded snapshot snap-\d+-\d+ \(%d keys\)" % KEYS, log.read())
    client.close()


def test_clean_restart_keeps_everything(server_factory):
    server = server_factory()
    client = server.client()
    expected = _write_acknowledged(client, "clean", 300)
    client.select(7)
    client.set("in-db-7", "yes")
    client.close()
    server.restart()  # SIGTERM, then start on the same data dir
    client = server.client()
    _assert_all_present(client, expected)
    assert server.client(db=7).get("in-db-7") == b"yes"
    client.close()

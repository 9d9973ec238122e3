"""The gRPC API on a server with several shards: keys route like RESP, Txn refuses keys of
several shards naming them, MGet/Delete work per shard, Scan merges every shard in order."""
import grpc
import pytest

from spinelraft.client import SpinelRaftError, put, value_equals
from spinelraft.slots import key_slot, slot_shard


def _key_in(shard: int, prefix: str) -> str:
    number = 0
    while slot_shard(key_slot(("%s%d" % (prefix, number)).encode()), 3) != shard:
        number += 1
    return "%s%d" % (prefix, number)


@pytest.fixture
def sharded(grpc_factory):
    server = grpc_factory(extra_args=["--shards", "3"])
    client = server.grpc_client()
    yield client
    client.close()


def test_txn_across_shards_names_the_crossing_keys(sharded):
    a, b = _key_in(0, "a"), _key_in(1, "b")
    with pytest.raises(SpinelRaftError) as error:
        sharded.txn([value_equals(a, "1")], [put(b, "2")])
    assert error.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert a in error.value.message and b in error.value.message and "CROSSSLOT" in error.value.message
    reply = sharded.txn([value_equals("{t}x", "")], [put("{t}x", "1"), put("{t}y", "2")], [put("{t}x", "1"), put("{t}y", "2")])
    assert reply.results and sharded.mget(["{t}x", "{t}y"]) == [b"1", b"2"]


def test_mget_delete_and_scan_span_every_shard(sharded):
    keys = [_key_in(shard, "k%d-" % shard) for shard in range(3)] + ["plain%d" % n for n in range(20)]
    for key in keys:
        sharded.set(key, key)
    assert sharded.mget(keys + ["missing"]) == [key.encode() for key in keys] + [None]
    scanned = [entry.key for entry in sharded.scan(page_size=4)]
    assert scanned == sorted(key.encode() for key in keys)  # byte order across shards, each once
    assert [entry.key for entry in sharded.scan(prefix="plain", page_size=3)] == \
        sorted(("plain%d" % n).encode() for n in range(20))
    assert sharded.delete(*keys) == len(keys)
    assert sharded.execute("DBSIZE") == 0


def test_watch_follows_the_shard_of_its_key_or_the_one_named(sharded):
    import threading

    key = _key_in(2, "w")
    other = _key_in(1, "w")
    received = {}

    def watch(name, **kwargs):
        events = []
        for event in sharded.watch(timeout=10, **kwargs):
            events.append(event)
            if len(events) == 2:
                break
        received[name] = events

    threads = [threading.Thread(target=watch, args=("key",), kwargs={"key": key}),
               threading.Thread(target=watch, args=("prefix",), kwargs={"prefix": "w", "shard": 1})]
    for thread in threads:
        thread.start()
    import time

    time.sleep(1)
    for name in (key, other, key, other):
        sharded.set(name, "v")
    for thread in threads:
        thread.join(timeout=15)
    assert [(e.key, e.position.shard) for e in received["key"]] == [(key.encode(), 2)] * 2
    assert [(e.key, e.position.shard) for e in received["prefix"]] == [(other.encode(), 1)] * 2
    positions = [e.position.revision for e in received["key"]]
    assert positions[0] < positions[1]
    with pytest.raises(SpinelRaftError) as error:
        next(iter(sharded.watch(prefix="w", shard=7, timeout=5)))
    assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT

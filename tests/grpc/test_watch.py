"""Watch: a resumable change feed, against real server processes."""
import threading
import time

import grpc
import pytest

from spinelraft.client import SpinelRaftError
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb

SET, DEL, EXPIRED, RESET = pb.Event.SET, pb.Event.DEL, pb.Event.EXPIRED, pb.Event.RESET


def collect(stream, count: int, timeout_s: float = 10.0) -> list:
    """The next `count` events of a client.watch() iterator (bounded in time by the RPC)."""
    events = []
    deadline = time.monotonic() + timeout_s
    for event in stream:
        events.append(event)
        if len(events) >= count or time.monotonic() > deadline:
            break
    return events


def responses(stub, request, timeout_s=2.0) -> list:
    """Every WatchResponse until the deadline ends the stream."""
    got = []
    with pytest.raises(grpc.RpcError) as error:
        for response in stub.Watch(request, timeout=timeout_s):
            got.append(response)
    assert error.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    return got


def test_key_events_with_values(client):
    client.set("other", "x")
    start = client.status().position.revision
    client.set("k", "1")
    client.set("other", "y")
    client.set("k", "2", ttl_ms=50)
    client.delete("k")
    client.set("k", "3")
    events = collect(client.watch(key="k", start_after=start, include_values=True, timeout=10), 4)
    assert [(e.kind, e.value) for e in events] == [(SET, b"1"), (SET, b"2"), (DEL, b""), (SET, b"3")]
    assert all(e.key == b"k" and e.db == 0 for e in events)
    positions = [e.position.revision for e in events]
    assert positions == sorted(positions) and positions[-1] == client.get_info("k").version


def test_prefix_watch_sees_every_type_and_expiry(client):
    start = client.status().position.revision
    client.execute("RPUSH", "app:list", "x")
    client.set("elsewhere", "1")
    client.set("app:ttl", "v", ttl_ms=100)
    events = collect(client.watch(prefix="app:", start_after=start, timeout=10), 3)
    assert [(e.kind, e.key, e.type) for e in events] == [
        (SET, b"app:list", "list"), (SET, b"app:ttl", "string"), (EXPIRED, b"app:ttl", "")]
    assert events[1].value == b""  # values only with include_values


def test_watch_from_now_sees_only_later_changes(client, stubs):
    client.set("k", "before")
    results = []

    def watch():
        request = pb.WatchRequest(key=b"k", include_values=True)
        results.extend(responses(stubs.watch, request, timeout_s=1.5))

    worker = threading.Thread(target=watch)
    worker.start()
    time.sleep(0.5)
    client.set("k", "after")
    worker.join(timeout=10)
    assert results[0].created and not results[0].events
    values = [e.value for r in results for e in r.events]
    assert values == [b"after"]


def test_resume_after_reconnect(client):
    start = client.status().position.revision
    for index in range(3):
        client.set("r", str(index))
    first = collect(client.watch(key="r", start_after=start, include_values=True, timeout=10), 2)
    assert [e.value for e in first] == [b"0", b"1"]
    client.set("r", "3")
    rest = collect(client.watch(key="r", start_after=first[-1].position.revision, include_values=True,
                                timeout=10), 2)
    assert [e.value for e in rest] == [b"2", b"3"]


def test_watch_from_a_version_read_with_get(client):
    client.set("v", "a")
    version = client.get_info("v").version
    client.set("v", "b")
    [event] = collect(client.watch(key="v", start_after=version, include_values=True, timeout=10), 1)
    assert event.value == b"b"


def test_flush_is_a_reset_event(client):
    start = client.status().position.revision
    client.set("x", "1")
    client.execute("FLUSHDB")
    events = collect(client.watch(prefix="", start_after=start, timeout=10), 2)
    assert [e.kind for e in events] == [SET, RESET]


def test_other_databases_are_not_seen(client):
    start = client.status().position.revision
    client.set("k", "db5", db=5)
    client.set("k", "db0")
    [event] = collect(client.watch(key="k", start_after=start, include_values=True, timeout=10), 1)
    assert event.value == b"db0"
    [event] = collect(client.watch(key="k", start_after=start, include_values=True, db=5, timeout=10), 1)
    assert (event.value, event.db) == (b"db5", 5)


def test_progress_notifications_move_the_position(client, stubs):
    start = client.status().position.revision
    results = []

    def watch():
        request = pb.WatchRequest(key=b"quiet", start_after=pb.Position(revision=start), progress_notify=True)
        results.extend(responses(stubs.watch, request, timeout_s=2.5))

    worker = threading.Thread(target=watch)
    worker.start()
    time.sleep(0.3)
    client.set("noise", "1")
    worker.join(timeout=10)
    assert not any(r.events for r in results)
    assert results[-1].position.revision >= client.get_info("noise").version


def test_position_older_than_the_history_is_out_of_range(grpc_factory, tmp_path):
    config = tmp_path / "small.toml"
    config.write_text("watch-history = 5\n")
    server = grpc_factory(extra_args=["--config", str(config)])
    with server.grpc_client() as small:
        small.status()  # the feed records history from the first Watch or Status call on
        for index in range(10):
            small.set("k%d" % index, "v")
        with pytest.raises(SpinelRaftError) as error:
            collect(small.watch(prefix="", start_after=0, timeout=10), 1)
        assert error.value.code == grpc.StatusCode.OUT_OF_RANGE
        assert "older than the history" in error.value.message
        head = small.status().position.revision
        assert len(collect(small.watch(prefix="", start_after=head - 5, timeout=10), 5)) == 5


def test_watch_resumes_across_a_server_restart(grpc_factory, tmp_path):
    config = tmp_path / "from-start.toml"
    config.write_text("watch-from-start = true\n")  # record the journal replay after the restart
    server = grpc_factory(extra_args=["--config", str(config)])
    writer = server.grpc_client()
    start = writer.status().position.revision
    seen = []
    errors = []

    def watch():
        with server.grpc_client(retries=40) as watcher:
            try:
                for event in watcher.watch(prefix="w:", start_after=start, include_values=True, timeout=30):
                    seen.append(event.value)
                    if len(seen) == 6:
                        return
            except Exception as error:  # reported below
                errors.append(error)

    worker = threading.Thread(target=watch)
    worker.start()
    for index in range(3):
        writer.set("w:%d" % index, str(index))
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.restart()  # the journal is replayed: positions are the same after the restart
    writer.close()
    writer = server.grpc_client()  # a fresh channel (the old one may still be backing off)
    for index in range(3, 6):
        writer.set("w:%d" % index, str(index))
    worker.join(timeout=40)
    writer.close()
    assert not errors
    assert seen == [b"0", b"1", b"2", b"3", b"4", b"5"]

"""SHUTDOWN stops the server as SIGTERM does: the client sees the connection close, the process
exits 0, and every acknowledged write is there after a restart. A single node with several
shards routes keys and refuses keys of several shards as a cluster does."""
import pytest
import redis


def test_shutdown_closes_the_connection_and_keeps_the_data(server_factory):
    server = server_factory()
    client = server.client()
    client.set("kept", "yes")
    with pytest.raises(redis.ResponseError, match="syntax"):
        client.execute_command("SHUTDOWN", "SAVE", "NOSAVE")
    with pytest.raises(redis.ResponseError, match="No shutdown in progress"):
        client.execute_command("SHUTDOWN", "ABORT")
    client.shutdown(nosave=True)  # redis-py expects the connection to close: no error
    assert server.process.wait(timeout=15) == 0
    server.start()
    assert server.client().get("kept") == b"yes"


def test_one_node_with_three_shards(server_factory):
    server = server_factory(extra_args=["--shards", "3"])
    client = server.client()
    with pytest.raises(redis.ResponseError, match="same slot"):
        client.mset({"a": 1, "b": 2})
    assert client.mset({"{a}1": 1, "{a}2": 2})
    for key in "abcdefg":
        client.set(key, key)
    assert client.dbsize() == 9
    keys = list(client.scan_iter(count=2))  # exact cursors: every key once
    assert sorted(keys) == sorted([b"{a}1", b"{a}2"] + [k.encode() for k in "abcdefg"])
    info = client.info("raft")
    assert info["raft_shards"] == 3
    server.restart()
    assert [server.client().get(k) for k in "abcdefg"] == \
        [k.encode() for k in "abcdefg"]

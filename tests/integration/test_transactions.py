"""MULTI / EXEC / DISCARD / WATCH against a real server process, compared with redis-server."""
import threading
import time

import pytest
import redis

from tests.integration.resp_socket import RawConnection, encode, exchange_all

EXECABORT = "EXECABORT Transaction discarded because of previous errors."

CONVERSATIONS = [
    [("MULTI",), ("SET", "t:a", "1"), ("INCR", "t:a"), ("LPUSH", "t:a", "x"), ("GET", "t:a"),
     ("EXEC",), ("DEL", "t:a")],
    [("MULTI",), ("MULTI",), ("SET", "t:b", "1"), ("EXEC",), ("GET", "t:b"), ("DEL", "t:b")],
    [("MULTI",), ("SET", "t:c", "1"), ("NOSUCH", "x"), ("SET", "t:c", "2"), ("EXEC",), ("GET", "t:c")],
    [("MULTI",), ("SET", "t:d", "1"), ("GET",), ("EXEC",), ("EXISTS", "t:d")],
    [("EXEC",), ("DISCARD",), ("MULTI",), ("WATCH", "x"), ("DISCARD",), ("UNWATCH",)],
    [("MULTI",), ("SET", "t:e", "1"), ("DISCARD",), ("EXISTS", "t:e")],
    [("MULTI",), ("EXEC", "extra"), ("EXEC",)],
    [("MULTI",), ("SAVE",), ("EXEC",)],
    [("MULTI",), ("PING",), ("ECHO", "e"), ("SET", "t:f", "v"), ("SELECT", "4"), ("SET", "t:f", "four"),
     ("EXEC",), ("GET", "t:f"), ("DEL", "t:f"), ("SELECT", "0"), ("GET", "t:f"), ("DEL", "t:f")],
    [("MULTI",), ("SELECT", "99"), ("PING", "a", "b"), ("EXEC",)],
    [("MULTI",), ("SELECT", "x"), ("GET", "t:g"), ("EXEC",)],
    [("SET", "t:w", "1"), ("WATCH", "t:w"), ("SET", "t:w", "2"), ("MULTI",), ("GET", "t:w"),
     ("EXEC",), ("DEL", "t:w")],
    [("WATCH", "t:u"), ("MULTI",), ("SET", "t:u", "1"), ("EXEC",), ("GET", "t:u"), ("DEL", "t:u")],
    [("MULTI",), ("INCR", "t:n"), ("INCRBY", "t:n", "x"), ("HSET", "t:n", "f", "v"), ("INCR", "t:n"),
     ("EXEC",), ("DEL", "t:n")],
]


def test_transactions_match_redis_server(shared_server, redis_server):
    requests = [b"".join(encode(*command) for command in conversation) for conversation in CONVERSATIONS]
    ours = exchange_all(shared_server.port, requests)
    theirs = exchange_all(redis_server.port, requests)
    for conversation, our_reply, their_reply in zip(CONVERSATIONS, ours, theirs):
        assert our_reply == their_reply, conversation


def test_multi_exec_replies_in_order(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        assert conn.call("MULTI") == "OK"
        assert conn.call("SET", "a", "1") == "QUEUED"
        assert conn.call("INCRBY", "a", "41") == "QUEUED"
        assert conn.call("GET", "a") == "QUEUED"
        assert conn.call("EXEC") == ["OK", 42, b"42"]
    assert r.get("a") == b"42"


def test_exec_is_atomic_for_other_clients(r, shared_server):
    """A reader never sees the state between two commands of one transaction."""
    r.mset({"left": 0, "right": 0})
    stop = threading.Event()
    torn = []

    def read_until_stopped():
        reader = shared_server.client()
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            left, right = reader.mget("left", "right")
            if left != right:
                torn.append((left, right))
        reader.close()

    thread = threading.Thread(target=read_until_stopped)
    thread.start()
    try:
        for _ in range(150):
            pipe = r.pipeline(transaction=True)
            pipe.incr("left").incr("right")
            pipe.execute()
    finally:
        stop.set()
        thread.join(timeout=30)
    assert torn == []
    assert r.mget("left", "right") == [b"150", b"150"]


def test_queued_error_aborts_whole_transaction(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.call("MULTI")
        assert conn.call("SET", "x", "1") == "QUEUED"
        assert conn.call("NOSUCH") == "ERR unknown command 'NOSUCH', with args beginning with: "
        assert conn.call("EXEC") == EXECABORT
        conn.call("MULTI")
        assert conn.call("SET", "x", "1") == "QUEUED"
        assert conn.call("GET") == "ERR wrong number of arguments for 'get' command"
        assert conn.call("EXEC") == EXECABORT
        assert conn.call("EXEC") == "ERR EXEC without MULTI"
    assert r.exists("x") == 0


def test_runtime_errors_are_returned_per_command(r, shared_server):
    r.set("str", "abc")
    with RawConnection(shared_server.port) as conn:
        conn.call("MULTI")
        for command in (("INCR", "str"), ("LPUSH", "str", "x"), ("SET", "after", "1"), ("APPEND", "str", "d")):
            assert conn.call(*command) == "QUEUED"
        replies = conn.call("EXEC")
    assert replies == ["ERR value is not an integer or out of range",
                       "WRONGTYPE Operation against a key holding the wrong kind of value", "OK", 4]
    assert r.get("after") == b"1" and r.get("str") == b"abcd"


def test_discard(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.call("MULTI")
        conn.call("SET", "gone", "1")
        assert conn.call("DISCARD") == "OK"
        assert conn.call("DISCARD") == "ERR DISCARD without MULTI"
        assert conn.call("GET", "gone") is None


def test_watch_detects_another_client(r, shared_server):
    r.set("balance", 100)
    other = shared_server.client()
    try:
        with r.pipeline(transaction=True) as pipe:
            pipe.watch("balance")
            current = int(pipe.get("balance"))
            other.set("balance", 5)  # another client changes it between WATCH and EXEC
            pipe.multi()
            pipe.set("balance", current - 10)
            with pytest.raises(redis.WatchError):
                pipe.execute()
    finally:
        other.close()
    assert r.get("balance") == b"5"


def test_watch_raw_exec_returns_nil(r, shared_server):
    r.set("w", "1")
    with RawConnection(shared_server.port) as conn, RawConnection(shared_server.port) as other:
        assert conn.call("WATCH", "w", "w2") == "OK"
        assert other.call("DEL", "w") == 1
        conn.call("MULTI")
        conn.call("SET", "w2", "x")
        conn.send(encode("EXEC"))
        assert conn.read_line() == b"*-1"
        assert conn.call("UNWATCH") == "OK"
    assert r.exists("w2") == 0


def test_watch_untouched_key_succeeds(r):
    r.set("counter", 1)
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("counter", "never-written")
        value = int(pipe.get("counter"))
        pipe.multi()
        pipe.set("counter", value + 1)
        pipe.get("counter")
        assert pipe.execute() == [True, b"2"]


def test_watch_in_another_db_is_not_triggered_by_same_name(r, shared_server):
    with RawConnection(shared_server.port) as conn, RawConnection(shared_server.port) as other:
        conn.call("WATCH", "samename")
        other.call("SELECT", "2")
        other.call("SET", "samename", "elsewhere")
        conn.call("MULTI")
        conn.call("SET", "samename", "here")
        assert conn.call("EXEC") == ["OK"]
        other.call("DEL", "samename")


def test_redis_py_transaction_pipeline(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("p1", "a").rpush("plist", "x", "y").lrange("plist", 0, -1).incr("pn").get("p1")
        assert pipe.execute() == [True, 2, [b"x", b"y"], 1, b"a"]
    with r.pipeline(transaction=True) as pipe:
        pipe.set("p2", "v").lpush("p2", "boom").get("p2")
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True and results[2] == b"v"
    assert isinstance(results[1], redis.ResponseError)


def test_transaction_with_node_commands(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        own_id = conn.call("CLIENT", "ID")
        conn.call("MULTI")
        for command in (("PING",), ("CLIENT", "ID"), ("SET", "mixed", "1"), ("ECHO", "e"), ("SELECT", "6"),
                        ("SET", "mixed", "6"), ("CLIENT", "SETNAME", "tx")):
            assert conn.call(*command) == "QUEUED"
        assert conn.call("EXEC") == ["PONG", own_id, "OK", b"e", "OK", "OK", "OK"]
        assert conn.call("GET", "mixed") == b"6"  # SELECT inside MULTI outlives the EXEC
        assert conn.call("CLIENT", "GETNAME") == b"tx"
        conn.call("DEL", "mixed")
    assert r.get("mixed") == b"1"

"""Blocking commands against a real server: clients (redis-py, in threads) wait in BLPOP & co
until another client writes, in arrival order, with Redis's timeouts; reply shapes compared
byte for byte with redis-server. Multi-node behaviour is in tests/cluster/test_blocking.py."""
import threading
import time

import pytest
import redis

from tests.integration.resp_socket import RawConnection, RespError, encode, exchange_all

JOIN_TIMEOUT_S = 10.0


def wait_until(predicate, timeout_s: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("%s not reached in %.0f s" % (what, timeout_s))


def blocked_clients(client) -> int:
    return client.info("clients")["blocked_clients"]


def wait_blocked(client, count: int):
    wait_until(lambda: blocked_clients(client) == count, what="%d blocked clients" % count)


class Background:
    """Run one command on its own connection in a thread; `result` holds its reply (or the
    exception it raised)."""

    def __init__(self, server, call, protocol=3, db=0):
        self.client = server.client(protocol=protocol, db=db)
        self.result = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call):
        try:
            self.result = call(self.client)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            self.result = error
        finally:
            self.done.set()

    def join(self):
        assert self.done.wait(JOIN_TIMEOUT_S), "the blocked command did not return"
        self.client.close()
        return self.result


# -- waking up ------------------------------------------------------------------------------------
def test_blpop_waits_for_a_push_from_another_client(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blpop(["q1", "q2"], 0))
    wait_blocked(r, 1)
    assert not waiter.done.is_set()
    r.rpush("q2", "v1", "v2")
    assert waiter.join() == [b"q2", b"v1"]
    assert r.lrange("q2", 0, -1) == [b"v2"]
    assert blocked_clients(r) == 0


def test_waiters_of_a_key_are_served_in_arrival_order(r, shared_server):
    waiters = []
    for index in range(3):
        waiters.append(Background(shared_server, lambda c: c.brpop("fifo", 0)))
        wait_blocked(r, index + 1)
    r.lpush("fifo", "a", "b", "c")  # the list is c b a: BRPOP takes a, then b, then c
    assert [waiter.join() for waiter in waiters] == [[b"fifo", b"a"], [b"fifo", b"b"],
                                                     [b"fifo", b"c"]]


def test_one_element_wakes_only_the_first_waiter(r, shared_server):
    first = Background(shared_server, lambda c: c.blpop("one", 0))
    wait_blocked(r, 1)
    second = Background(shared_server, lambda c: c.blpop("one", 0))
    wait_blocked(r, 2)
    r.rpush("one", "x")
    assert first.join() == [b"one", b"x"]
    wait_blocked(r, 1)
    assert not second.done.is_set()
    r.rpush("one", "y")
    assert second.join() == [b"one", b"y"]


def test_fractional_timeout_returns_none(r):
    started = time.monotonic()
    assert r.blpop("never", 0.3) is None
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 3.0
    assert r.execute_command("BZPOPMIN", "never", "0.01") is None
    assert r.blmove("never", "dst", 0.01, "LEFT", "RIGHT") is None
    assert blocked_clients(r) == 0


def test_zero_waits_forever_until_woken(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blpop("later", 0))
    wait_blocked(r, 1)
    time.sleep(1.2)
    assert not waiter.done.is_set()
    r.rpush("later", "finally")
    assert waiter.join() == [b"later", b"finally"]


def test_blmove_and_brpoplpush_wake_and_move(r, shared_server):
    mover = Background(shared_server, lambda c: c.blmove("src", "dst", 0, "LEFT", "RIGHT"))
    wait_blocked(r, 1)
    r.rpush("src", "a", "b")
    assert mover.join() == b"a"
    assert r.lrange("dst", 0, -1) == [b"a"]
    r.delete("src")
    mover = Background(shared_server, lambda c: c.brpoplpush("src", "dst", 0))
    wait_blocked(r, 1)
    r.rpush("src", "c")
    assert mover.join() == b"c"
    assert r.lrange("dst", 0, -1) == [b"c", b"a"]


def test_blmove_chain_wakes_a_waiter_on_its_destination(r, shared_server):
    downstream = Background(shared_server, lambda c: c.blpop("stage2", 0))
    wait_blocked(r, 1)
    mover = Background(shared_server, lambda c: c.blmove("stage1", "stage2", 0, "LEFT", "LEFT"))
    wait_blocked(r, 2)
    r.rpush("stage1", "item")
    assert mover.join() == b"item"
    assert downstream.join() == [b"stage2", b"item"]


def test_bzpopmin_bzpopmax_bzmpop_wake(r, shared_server):
    waiter = Background(shared_server, lambda c: c.bzpopmin(["z0", "z1"], 0), protocol=2)
    wait_blocked(r, 1)
    r.zadd("z1", {"low": 1.5, "high": 9})
    assert waiter.join() == (b"z1", b"low", 1.5)
    waiter = Background(shared_server, lambda c: c.bzpopmax("z1", 0), protocol=2)
    assert waiter.join() == (b"z1", b"high", 9.0)  # data there: no wait
    waiter = Background(shared_server, lambda c: c.execute_command(
        "BZMPOP", 0, 1, "z2", "MIN", "COUNT", 2))
    wait_blocked(r, 1)
    r.zadd("z2", {"a": 1, "b": 2, "c": 3})
    assert waiter.join() == [b"z2", [[b"a", 1.0], [b"b", 2.0]]]


def test_blmpop_wakes_on_its_second_key(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blmpop(0, 2, "m1", "m2", direction="RIGHT",
                                                           count=5))
    wait_blocked(r, 1)
    r.rpush("m2", "x", "y")
    assert waiter.join() == [b"m2", [b"y", b"x"]]


def test_a_key_of_another_type_keeps_the_client_waiting(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blpop("typed", 0))
    wait_blocked(r, 1)
    r.set("typed", "string")
    time.sleep(0.3)
    assert not waiter.done.is_set()
    r.delete("typed")
    r.rpush("typed", "list-again")
    assert waiter.join() == [b"typed", b"list-again"]


def test_blmove_woken_with_a_wrong_type_destination_gets_wrongtype(r, shared_server):
    r.set("dst-string", "x")
    mover = Background(shared_server, lambda c: c.blmove("src3", "dst-string", 0, "LEFT", "LEFT"))
    wait_blocked(r, 1)
    r.rpush("src3", "kept")
    result = mover.join()
    assert isinstance(result, redis.ResponseError) and str(result).startswith("WRONGTYPE")
    assert r.lrange("src3", 0, -1) == [b"kept"]  # nothing was popped


def test_waiters_in_other_databases_are_not_woken(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blpop("dbkey", 0), db=3)
    wait_blocked(r, 1)
    r.rpush("dbkey", "db0")
    time.sleep(0.3)
    assert not waiter.done.is_set()
    r.move("dbkey", 3)
    assert waiter.join() == [b"dbkey", b"db0"]


def test_push_inside_exec_wakes_the_waiter(r, shared_server):
    waiter = Background(shared_server, lambda c: c.blpop("txkey", 0))
    wait_blocked(r, 1)
    with r.pipeline(transaction=True) as pipe:
        pipe.rpush("txkey", "1", "2")
        pipe.lpop("txkey")
        pipe.execute()
    assert waiter.join() == [b"txkey", b"2"]


def _late_arrival_after_push(port: int):
    """A waits on a key; another connection pipelines a push and its own BLPOP of that key."""
    with RawConnection(port) as waiting, RawConnection(port) as late:
        late.call("DEL", "late")
        waiting.send(encode("BLPOP", "late", "5"))
        time.sleep(0.3)
        late.send(encode("RPUSH", "late", "x") + encode("BLPOP", "late", "0.5"))
        return waiting.read_reply(), late.read_reply(), late.read_reply()


def test_a_client_arriving_after_a_push_does_not_take_it_from_a_waiter(shared_server,
                                                                       redis_server):
    """In Redis the push serves the waiting client before the next command runs; here the
    late BLPOP's first attempt is made under WATCH of the key and steps back."""
    expected = ([b"late", b"x"], 1, None)
    assert _late_arrival_after_push(redis_server.port) == expected
    assert _late_arrival_after_push(shared_server.port) == expected


def test_consumer_groups_are_served_independently(r, shared_server):
    r.xgroup_create("s3", "g1", "$", mkstream=True)
    r.xgroup_create("s3", "g2", "$")
    readers = []
    for group in ("g1", "g1", "g2"):
        readers.append(Background(shared_server, lambda c, g=group: c.xreadgroup(
            g, "c", {"s3": ">"}, block=0), protocol=2))
        wait_blocked(r, len(readers))
    r.xadd("s3", {"f": "v"}, id="1-1")
    entry = [[b"s3", [(b"1-1", {b"f": b"v"})]]]
    assert readers[0].join() == entry
    assert readers[2].join() == entry  # another group: it gets the same entry
    wait_blocked(r, 1)
    assert not readers[1].done.is_set()  # same group as the first: nothing left for it
    r.xadd("s3", {"f": "w"}, id="2-1")
    assert readers[1].join() == [[b"s3", [(b"2-1", {b"f": b"w"})]]]


def test_competing_consumers_get_every_element_exactly_once(r, shared_server):
    consumers, items = 8, 200

    def consume(client):
        got = []
        while True:
            reply = client.blpop(["work", "work:other"], 10)
            if reply is None or reply[1] == b"stop":
                return got
            got.append(reply[1])

    workers = [Background(shared_server, consume) for _ in range(consumers)]
    wait_blocked(r, consumers)
    for start in range(0, items, 20):
        r.rpush("work", *range(start, start + 20))
    r.rpush("work", *["stop"] * consumers)
    received = []
    for worker in workers:
        result = worker.join()
        assert isinstance(result, list), result
        received += result
    assert sorted(int(item) for item in received) == list(range(items))
    assert r.exists("work") == 0


# -- not blocking -------------------------------------------------------------------------------
def test_inside_multi_they_do_not_block(r):
    started = time.monotonic()
    with r.pipeline(transaction=True) as pipe:
        pipe.blpop("empty", 0)
        pipe.blmove("empty", "other", 0, "LEFT", "LEFT")
        pipe.execute_command("BZPOPMAX", "empty", 0)
        replies = pipe.execute()
    assert replies == [None, None, None]
    assert time.monotonic() - started < 2.0


def test_a_pipelined_command_waits_behind_the_blocked_one(shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.call("DEL", "piped")
        conn.send(encode("BLPOP", "piped", "0.3") + encode("RPUSH", "piped", "x"))
        assert conn.read_reply() is None  # the RPUSH did not run while BLPOP waited
        assert conn.read_reply() == 1
        assert conn.call("LPOP", "piped") == b"x"


def test_errors_do_not_block(r):
    r.set("str", "x")
    for command, message in [
        (("BLPOP", "str", "0"), "WRONGTYPE"),
        (("BLPOP", "k", "abc"), "timeout is not a float or out of range"),
        (("BLPOP", "k", "-1"), "timeout is negative"),
        (("BLMPOP", "0", "0", "k", "LEFT"), "numkeys should be greater than 0"),
    ]:
        with pytest.raises(redis.ResponseError, match=message):
            r.execute_command(*command)


# -- leaving the wait ---------------------------------------------------------------------------
def test_a_disconnected_client_leaves_the_queue(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.send(encode("BLPOP", "gone", "0"))
        wait_blocked(r, 1)
    wait_blocked(r, 0)
    r.rpush("gone", "kept")
    time.sleep(0.2)
    assert r.lrange("gone", 0, -1) == [b"kept"]


def test_client_kill_of_a_blocked_client(r, shared_server):
    with RawConnection(shared_server.port) as conn:  # redis-py would reconnect and block again
        client_id = conn.call("CLIENT", "ID")
        conn.send(encode("BLPOP", "killed", "0"))
        wait_blocked(r, 1)
        victim = next(entry for entry in r.client_list() if entry["id"] == str(client_id))
        assert victim["flags"] == "b" and victim["cmd"] == "blpop"
        assert r.client_kill_filter(_id=client_id) == 1
        assert conn.read_all_until_closed() == b""
    wait_blocked(r, 0)
    r.rpush("killed", "kept")
    time.sleep(0.2)
    assert r.llen("killed") == 1


def test_client_unblock(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        client_id = conn.call("CLIENT", "ID")
        conn.send(encode("BLPOP", "ub", "0"))
        wait_blocked(r, 1)
        assert r.client_unblock(client_id) == 1
        assert conn.read_reply() is None
        conn.send(encode("BRPOPLPUSH", "ub", "x", "0"))
        wait_blocked(r, 1)
        assert r.client_unblock(client_id, error=True) == 1
        assert conn.read_reply() == RespError("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        assert r.client_unblock(client_id) == 0
    with pytest.raises(redis.ResponseError, match="reason should be TIMEOUT or ERROR"):
        r.execute_command("CLIENT", "UNBLOCK", "1", "SOON")


def test_blocked_clients_are_not_closed_as_idle(server_factory):
    server = server_factory()
    client = server.client()
    client.config_set("timeout", 1)
    waiter = Background(server, lambda c: c.blpop("idle", 4))
    wait_blocked(client, 1)
    assert waiter.join() is None  # answered by its own timeout, not closed after 1 s


# -- streams ------------------------------------------------------------------------------------
def test_xread_block_wakes_on_xadd_after_dollar(r, shared_server):
    r.xadd("s1", {"old": "1"}, id="5-1")
    reader = Background(shared_server, lambda c: c.xread({"s0": "$", "s1": "$"}, block=0),
                        protocol=2)
    wait_blocked(r, 1)
    r.xadd("s1", {"new": "2"}, id="6-1")
    assert reader.join() == [[b"s1", [(b"6-1", {b"new": b"2"})]]]
    started = time.monotonic()
    assert not r.xread({"s1": "$"}, block=200)  # the null array (redis-py shows it as [])
    assert time.monotonic() - started >= 0.15


def test_xreadgroup_block_and_group_destroy(r, shared_server):
    r.xgroup_create("s2", "g", "$", mkstream=True)
    reader = Background(shared_server, lambda c: c.xreadgroup("g", "c", {"s2": ">"}, block=0),
                        protocol=2)
    wait_blocked(r, 1)
    r.xadd("s2", {"f": "v"}, id="1-1")
    assert reader.join() == [[b"s2", [(b"1-1", {b"f": b"v"})]]]
    assert r.xpending("s2", "g")["pending"] == 1
    reader = Background(shared_server, lambda c: c.xreadgroup("g", "c", {"s2": ">"}, block=0),
                        protocol=2)
    wait_blocked(r, 1)
    r.xgroup_destroy("s2", "g")
    error = reader.join()
    assert isinstance(error, redis.ResponseError)
    assert "the consumer group this client was blocked on no longer exists" in str(error)


# -- reply shapes, byte for byte with redis-server -----------------------------------------------
SHAPES = [
    [("BLPOP", "b1:a", "0.05"), ("BRPOP", "b1:a", "b1:b", "0.01")],
    [("BLMOVE", "b2:a", "b2:b", "LEFT", "LEFT", "0.05"), ("BRPOPLPUSH", "b2:a", "b2:b", "0.01")],
    [("BZPOPMIN", "b3:a", "0.05"), ("BZMPOP", "0.01", "1", "b3:a", "MAX"),
     ("BLMPOP", "0.01", "1", "b3:a", "LEFT")],
    [("RPUSH", "b4:l", "x", "y", "z"), ("BLPOP", "b4:none", "b4:l", "0"),
     ("BLMPOP", "0", "1", "b4:l", "RIGHT", "COUNT", "5"), ("EXISTS", "b4:l")],
    [("ZADD", "b5:z", "1.5", "a", "2", "b", "3", "c"), ("BZPOPMIN", "b5:z", "0"),
     ("BZPOPMAX", "b5:z", "0"), ("BZMPOP", "0", "1", "b5:z", "MIN", "COUNT", "3")],
    [("MULTI",), ("BLPOP", "b6:a", "0"), ("BLMOVE", "b6:a", "b6:b", "LEFT", "LEFT", "0"),
     ("BRPOPLPUSH", "b6:a", "b6:b", "0"), ("BZPOPMIN", "b6:a", "0"),
     ("BLMPOP", "0", "1", "b6:a", "LEFT"),
     ("BZMPOP", "0", "1", "b6:a", "MIN"), ("BZPOPMAX", "b6:a", "0"), ("EXEC",)],
    [("SET", "b7:s", "x"), ("BLPOP", "b7:s", "0"), ("BLPOP", "b7:s", "x"), ("BLPOP", "b7:s", "-1"),
     ("BLPOP", "b7:s", "inf"), ("BLPOP", "b7:s", "nan"),
     ("BLMOVE", "b7:a", "b7:s", "UP", "LEFT", "0"),
     ("BLMPOP", "x", "1", "b7:a", "LEFT", "COUNT", "0"), ("BZMPOP", "0", "-1", "b7:a", "MIN"),
     ("BLPOP", "b7:a"), ("BLMOVE", "b7:a", "b7:b", "LEFT", "LEFT"), ("DEL", "b7:s")],
    [("XADD", "b8:s", "1-1", "f", "v"), ("XREAD", "BLOCK", "50", "STREAMS", "b8:s", "$"),
     ("XREAD", "BLOCK", "50", "STREAMS", "b8:s", "0"),
     ("XREAD", "BLOCK", "-1", "STREAMS", "b8:s", "0"),
     ("XREAD", "BLOCK", "x", "STREAMS", "b8:s", "0"), ("DEL", "b8:s")],
]


def test_reply_shapes_match_redis_server(shared_server, redis_server):
    requests = [b"".join(encode(*command) for command in conversation) for conversation in SHAPES]
    ours = exchange_all(shared_server.port, requests)
    theirs = exchange_all(redis_server.port, requests)
    for conversation, our_reply, their_reply in zip(SHAPES, ours, theirs):
        assert our_reply == their_reply, conversation


def _after_hello(port: int, commands) -> bytes:
    """The bytes of the replies to `commands` on a RESP3 connection."""
    with RawConnection(port) as conn:
        conn.call("HELLO", "3")
        conn.send(b"".join(encode(*command) for command in commands))
        received, deadline = b"", time.monotonic() + JOIN_TIMEOUT_S
        while time.monotonic() < deadline and conn.is_open_after(0.3) and conn.buffer:
            received, conn.buffer = received + conn.buffer, b""  # until 0.3 s of silence
        return received


def test_resp3_shapes_match_redis_server(shared_server, redis_server):
    commands = [("DEL", "r3:l", "r3:z"), ("BLPOP", "r3:l", "0.05"),
                ("BLMOVE", "r3:l", "r3:m", "LEFT", "LEFT", "0.05"),
                ("ZADD", "r3:z", "2.5", "m"), ("BZPOPMIN", "r3:z", "0"),
                ("ZADD", "r3:z", "1", "n"), ("BZMPOP", "0", "1", "r3:z", "MAX"),
                ("MULTI",), ("BLPOP", "r3:l", "0"), ("BRPOPLPUSH", "r3:l", "r3:m", "0"), ("EXEC",)]
    assert _after_hello(shared_server.port, commands) == _after_hello(redis_server.port, commands)

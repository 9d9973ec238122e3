"""Byte-for-byte wire comparison with redis-server, over RESP3 (after HELLO 3) and RESP2.

Each case runs some setup commands on an empty dataset, then one command whose reply bytes must
equal redis-server's.  Replies whose order is unordered by nature (several hash fields or set
members) compare as parsed trees with the elements sorted, but keep every type marker.
"""
import pytest

from tests.differential.raw_resp import RawConnection

ZSET = [b"ZADD", b"z", b"1", b"a", b"1.5", b"b", b"0.1", b"c", b"inf", b"d", b"-inf", b"e",
        b"1e20", b"f", b"-0.5", b"g"]

ORDERED_CASES = {
    "hgetall-one-field": ([[b"HSET", b"h", b"f", b"v"]], [b"HGETALL", b"h"]),
    "hgetall-missing": ([], [b"HGETALL", b"h"]),
    "smembers-one": ([[b"SADD", b"s", b"m"]], [b"SMEMBERS", b"s"]),
    "smembers-missing": ([], [b"SMEMBERS", b"s"]),
    "zscore-1.5": ([ZSET], [b"ZSCORE", b"z", b"b"]),
    "zscore-integer": ([ZSET], [b"ZSCORE", b"z", b"a"]),
    "zscore-0.1": ([ZSET], [b"ZSCORE", b"z", b"c"]),
    "zscore-inf": ([ZSET], [b"ZSCORE", b"z", b"d"]),
    "zscore-minus-inf": ([ZSET], [b"ZSCORE", b"z", b"e"]),
    "zscore-1e20": ([ZSET], [b"ZSCORE", b"z", b"f"]),
    "zscore-missing-member": ([ZSET], [b"ZSCORE", b"z", b"nosuch"]),
    "zscore-missing-key": ([], [b"ZSCORE", b"z", b"a"]),
    "zrange-withscores": ([ZSET], [b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]),
    "zrange-withscores-empty": ([], [b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]),
    "zrangebyscore-withscores": ([ZSET], [b"ZRANGEBYSCORE", b"z", b"-inf", b"+inf",
                                          b"WITHSCORES", b"LIMIT", b"1", b"3"]),
    "zunion-withscores": ([ZSET, [b"ZADD", b"y", b"2", b"a"]],
                          [b"ZUNION", b"2", b"z", b"y", b"WITHSCORES"]),
    "zmscore": ([ZSET], [b"ZMSCORE", b"z", b"a", b"nosuch", b"c"]),
    "zincrby": ([ZSET], [b"ZINCRBY", b"z", b"0.2", b"c"]),
    "zadd-incr": ([ZSET], [b"ZADD", b"z", b"INCR", b"2.5", b"a"]),
    "zadd-incr-nx-existing": ([ZSET], [b"ZADD", b"z", b"NX", b"INCR", b"2.5", b"a"]),
    "zpopmin-count": ([ZSET], [b"ZPOPMIN", b"z", b"2"]),
    "zpopmax-one": ([ZSET], [b"ZPOPMAX", b"z"]),
    "zmpop": ([ZSET], [b"ZMPOP", b"1", b"z", b"MIN", b"COUNT", b"2"]),
    "zmpop-missing": ([], [b"ZMPOP", b"1", b"z", b"MIN"]),
    "zrank-missing": ([ZSET], [b"ZRANK", b"z", b"nosuch"]),
    "zrank-withscore-is-7.2": ([ZSET], [b"ZRANK", b"z", b"a", b"WITHSCORE"]),
    "zpopmin-count-one": ([ZSET], [b"ZPOPMIN", b"z", b"1"]),
    "zpopmin-count-zero": ([ZSET], [b"ZPOPMIN", b"z", b"0"]),
    "zpopmin-missing": ([], [b"ZPOPMIN", b"z"]),
    "zrevrange-withscores": ([ZSET], [b"ZREVRANGE", b"z", b"0", b"2", b"WITHSCORES"]),
    "zrevrangebyscore-withscores": ([ZSET], [b"ZREVRANGEBYSCORE", b"z", b"+inf", b"0",
                                             b"WITHSCORES"]),
    "zinter-withscores": ([ZSET, [b"ZADD", b"y", b"2", b"a"]],
                          [b"ZINTER", b"2", b"z", b"y", b"WITHSCORES"]),
    "zdiff-withscores": ([ZSET, [b"ZADD", b"y", b"2", b"a"]],
                         [b"ZDIFF", b"2", b"z", b"y", b"WITHSCORES"]),
    "zrandmember-withscores": ([[b"ZADD", b"z", b"2.5", b"m"]],
                               [b"ZRANDMEMBER", b"z", b"-3", b"WITHSCORES"]),
    "hrandfield-withvalues": ([[b"HSET", b"h", b"f", b"v"]],
                              [b"HRANDFIELD", b"h", b"-2", b"WITHVALUES"]),
    "xread": ([[b"XADD", b"s", b"1-1", b"f", b"v"], [b"XADD", b"t", b"1-1", b"g", b"w"]],
              [b"XREAD", b"STREAMS", b"s", b"t", b"0", b"0"]),
    "xread-nothing": ([[b"XADD", b"s", b"1-1", b"f", b"v"]], [b"XREAD", b"STREAMS", b"s", b"$"]),
    "xreadgroup": ([[b"XADD", b"s", b"1-1", b"f", b"v"], [b"XGROUP", b"CREATE", b"s", b"g", b"0"]],
                   [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"s", b">"]),
    "incrbyfloat": ([], [b"INCRBYFLOAT", b"k", b"1.5"]),
    "incrbyfloat-0.1-plus-0.2": ([[b"SET", b"k", b"0.1"]], [b"INCRBYFLOAT", b"k", b"0.2"]),
    "incrbyfloat-exponent": ([[b"SET", b"k", b"1"]], [b"INCRBYFLOAT", b"k", b"5.0e3"]),
    "hincrbyfloat": ([], [b"HINCRBYFLOAT", b"h", b"f", b"10.50"]),
    "incrbyfloat-beyond-double": ([[b"SET", b"k", b"1e400"]], [b"INCRBYFLOAT", b"k", b"0"]),
    "hincrbyfloat-beyond-double": ([], [b"HINCRBYFLOAT", b"h", b"f", b"-1e4000"]),
    "set-repeated-expire": ([], [b"SET", b"k", b"v", b"EX", b"x", b"EX", b"100", b"GET", b"GET"]),
    "getex-missing-bad-expire": ([], [b"GETEX", b"k", b"EX", b"x"]),
    "scan-signed-cursor": ([], [b"SCAN", b"+0"]),
    "get-missing": ([], [b"GET", b"nosuch"]),
    "get-present": ([[b"SET", b"k", b"v"]], [b"GET", b"k"]),
    "exists": ([[b"SET", b"k", b"v"]], [b"EXISTS", b"k", b"k", b"nosuch"]),
    "set-ok": ([], [b"SET", b"k", b"v"]),
    "set-nx-fails": ([[b"SET", b"k", b"v"]], [b"SET", b"k", b"w", b"NX"]),
    "set-get-missing": ([], [b"SET", b"k", b"v", b"GET"]),
    "type": ([[b"RPUSH", b"l", b"x"]], [b"TYPE", b"l"]),
    "wrongtype": ([[b"RPUSH", b"l", b"x"]], [b"GET", b"l"]),
    "unknown-command": ([], [b"NOSUCHCMD", b"a"]),
    "wrong-arity": ([], [b"GET"]),
    "mget": ([[b"SET", b"k", b"v"]], [b"MGET", b"k", b"nosuch"]),
    "hmget": ([[b"HSET", b"h", b"f", b"v"]], [b"HMGET", b"h", b"f", b"nosuch"]),
    "lpop-count-missing": ([], [b"LPOP", b"l", b"2"]),
    "lpop-missing": ([], [b"LPOP", b"l"]),
    "lrange": ([[b"RPUSH", b"l", b"x", b"y"]], [b"LRANGE", b"l", b"0", b"-1"]),
    "lpos-count": ([[b"RPUSH", b"l", b"x", b"y", b"x"]], [b"LPOS", b"l", b"x", b"COUNT", b"0"]),
    "sismember": ([[b"SADD", b"s", b"m"]], [b"SISMEMBER", b"s", b"m"]),
    "smismember": ([[b"SADD", b"s", b"m"]], [b"SMISMEMBER", b"s", b"m", b"n"]),
    "ttl-no-expiry": ([[b"SET", b"k", b"v"]], [b"TTL", b"k"]),
    "echo": ([], [b"ECHO", b"hi"]),
    "ping": ([], [b"PING"]),
    "dbsize": ([[b"SET", b"k", b"v"]], [b"DBSIZE"]),
}

UNORDERED_CASES = {
    "hgetall-three-fields": ([[b"HSET", b"h", b"f1", b"1", b"f2", b"2.5", b"f3", b""]],
                             [b"HGETALL", b"h"]),
    "smembers-mixed": ([[b"SADD", b"s", b"1", b"x", b"-3", b""]], [b"SMEMBERS", b"s"]),
    "smembers-integers": ([[b"SADD", b"s", b"3", b"1", b"2"]], [b"SMEMBERS", b"s"]),
    "sunion": ([[b"SADD", b"s", b"1", b"x"], [b"SADD", b"t", b"y"]], [b"SUNION", b"s", b"t"]),
    "hkeys": ([[b"HSET", b"h", b"f1", b"1", b"f2", b"2"]], [b"HKEYS", b"h"]),
}

TRANSACTION = [[b"SET", b"k", b"1"], [b"MULTI"], [b"INCR", b"k"], [b"GET", b"nosuch"],
               [b"ZADD", b"z", b"INCR", b"1.5", b"m"], [b"LPUSH", b"k", b"x"], [b"HGETALL", b"h"]]


def _connect(port: int, protocol: int) -> RawConnection:
    connection = RawConnection(port)
    if protocol == 3:
        raw, _ = connection.call(b"HELLO", b"3")
        assert raw.startswith(b"%"), raw
    connection.call(b"FLUSHALL")
    return connection


@pytest.fixture(params=[3, 2], ids=["resp3", "resp2"])
def wire_pair(request, redis_server, shared_server):
    """(reference, candidate) raw connections in the requested protocol, on an empty dataset."""
    reference = _connect(redis_server.port, request.param)
    candidate = _connect(shared_server.port, request.param)
    yield reference, candidate
    reference.close()
    candidate.close()


def _run_setup(pair, setup):
    for argv in setup:
        for connection in pair:
            connection.call(*argv)


def _sorted_tree(tree):
    kind, value = tree
    if not isinstance(value, list):
        return tree
    children = [_sorted_tree(child) for child in value]
    if kind in (b"%", b"|"):
        return kind, sorted(zip(children[0::2], children[1::2]))
    if kind == b"~" or kind == b"*":
        return kind, sorted(children)
    return kind, children


@pytest.mark.parametrize("case", sorted(ORDERED_CASES))
def test_reply_bytes_match_redis(wire_pair, case):
    setup, argv = ORDERED_CASES[case]
    _run_setup(wire_pair, setup)
    expected, _ = wire_pair[0].call(*argv)
    actual, _ = wire_pair[1].call(*argv)
    assert actual == expected, "%s: redis-server %r, spinelraft %r" % (case, expected, actual)


@pytest.mark.parametrize("case", sorted(UNORDERED_CASES))
def test_unordered_reply_matches_redis(wire_pair, case):
    setup, argv = UNORDERED_CASES[case]
    _run_setup(wire_pair, setup)
    expected = _sorted_tree(wire_pair[0].call(*argv)[1])
    actual = _sorted_tree(wire_pair[1].call(*argv)[1])
    assert actual == expected, "%s: redis-server %r, spinelraft %r" % (case, expected, actual)


def test_exec_reply_bytes_match_redis(wire_pair):
    _run_setup(wire_pair, TRANSACTION)
    expected, _ = wire_pair[0].call(b"EXEC")
    actual, _ = wire_pair[1].call(b"EXEC")
    assert actual == expected


def test_exec_after_touched_watch_matches_redis(wire_pair):
    _run_setup(wire_pair, [[b"WATCH", b"k"], [b"SET", b"k", b"1"], [b"MULTI"], [b"GET", b"k"]])
    expected, _ = wire_pair[0].call(b"EXEC")
    actual, _ = wire_pair[1].call(b"EXEC")
    assert actual == expected


def _hello_shape(port: int):
    connection = RawConnection(port)
    try:
        raw, (kind, items) = connection.call(b"HELLO", b"3")
    finally:
        connection.close()
    assert kind == b"%", raw
    fields = {key[1]: value for key, value in zip(items[0::2], items[1::2])}
    shape = [(key[0], key[1], value[0]) for key, value in zip(items[0::2], items[1::2])]
    return shape, fields


def test_hello3_reply_shape_matches_redis(redis_server, shared_server):
    """Same keys in the same order with the same value types; values (id, version...) may differ."""
    expected_shape, expected_fields = _hello_shape(redis_server.port)
    actual_shape, actual_fields = _hello_shape(shared_server.port)
    assert actual_shape == expected_shape
    assert actual_fields[b"proto"] == expected_fields[b"proto"] == (b":", b"3")

"""The RESP front end on the wire: malformed input, limits, inline commands, pipelining, big
values and requests split into many writes. Raw sockets against a real server process; where
Redis defines the answer, the same bytes go to a real redis-server and the replies must match."""
import socket
import time

import pytest

from tests.integration.resp_socket import RawConnection, encode, exchange, exchange_all, vm_rss_kib

MALFORMED = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1a\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"* 1\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*01\r\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*1\r\n+foo\r\n", b"-ERR Protocol error: expected '$', got '+'\r\n"),
    (b"*2\r\n$4\r\nECHO\r\n:12\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$+4\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$04\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$1_0\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$600000000\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b'SET a "hello\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"SET a 'x\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b'SET a "x"y\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
]


@pytest.mark.parametrize("request_bytes,expected", MALFORMED, ids=[repr(m[0])[2:22] for m in MALFORMED])
def test_malformed_request_gets_redis_error_and_close(shared_server, request_bytes, expected):
    with RawConnection(shared_server.port) as bystander:
        assert bystander.call("PING") == "PONG"
        received, closed = exchange(shared_server.port, request_bytes)
        assert received == expected
        assert closed
        assert bystander.call("ECHO", "still here") == b"still here"


def test_malformed_matches_redis_server(shared_server, redis_server):
    requests = [request_bytes for request_bytes, _ in MALFORMED]
    ours = exchange_all(shared_server.port, requests)
    theirs = exchange_all(redis_server.port, requests)
    for request_bytes, our_reply, their_reply in zip(requests, ours, theirs):
        assert our_reply == their_reply, request_bytes


def test_replies_before_a_protocol_error_are_sent(shared_server):
    data = encode("PING") + b"ECHO hi\r\n" + b"*1\r\n$x\r\n" + encode("PING")
    received, closed = exchange(shared_server.port, data)
    assert received == b"+PONG\r\n$2\r\nhi\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert closed


def test_unterminated_headers_are_refused_past_64k(shared_server):
    cases = [
        (b"A" * 70_000, b"-ERR Protocol error: too big inline request\r\n"),
        (b"*" * 70_000, b"-ERR Protocol error: too big mbulk count string\r\n"),
        (b"*1\r\n" + b"$" * 70_000, b"-ERR Protocol error: too big bulk count string\r\n"),
    ]
    for data, expected in cases:
        assert exchange(shared_server.port, data) == (expected, True)


def test_oversize_bulk_length_is_refused_without_allocating(shared_server):
    pid = shared_server.process.pid
    before = vm_rss_kib(pid)
    received, closed = exchange(shared_server.port, b"*1\r\n$600000000\r\n")
    assert (received, closed) == (b"-ERR Protocol error: invalid bulk length\r\n", True)
    assert vm_rss_kib(pid) - before < 30_000


def test_big_counts_announced_but_not_sent_allocate_nothing(shared_server):
    """Redis 7.0 accepts a multibulk count up to INT_MAX and a bulk up to proto-max-bulk-len,
    and waits for the data: the server must not reserve memory for what is only announced."""
    pid = shared_server.process.pid
    before = vm_rss_kib(pid)
    with RawConnection(shared_server.port) as many, RawConnection(shared_server.port) as big, \
            RawConnection(shared_server.port) as bystander:
        many.send(b"*2000000\r\n$4\r\nECHO\r\n")
        big.send(b"*2\r\n$4\r\nECHO\r\n$500000000\r\nabc")
        assert many.is_open_after(0.3) and big.is_open_after(0.1)
        assert bystander.call("PING") == "PONG"
        assert vm_rss_kib(pid) - before < 30_000


def test_big_counts_match_redis_server(shared_server, redis_server):
    requests = [b"*2000000\r\n", b"*1048577\r\n", b"*1\r\n$500000000\r\n"]
    assert exchange_all(shared_server.port, requests) == [(b"", False)] * 3
    assert exchange_all(redis_server.port, requests) == [(b"", False)] * 3


# -- inline commands ---------------------------------------------------------------------------
def test_inline_commands(r, shared_server):
    with RawConnection(shared_server.port) as conn:
        conn.send(b"PING\r\n")
        assert conn.read_reply() == "PONG"
        conn.send(b'SET a "hello world"\r\n')
        assert conn.read_reply() == "OK"
        conn.send(b"GET a\n")  # a bare \n ends an inline command too
        assert conn.read_reply() == b"hello world"
        conn.send(b"SET b 'it\\'s'\r\nGET b\r\n")
        assert [conn.read_reply(), conn.read_reply()] == ["OK", b"it's"]
        conn.send(b'ECHO "\\x41\\n\\t"\r\n')
        assert conn.read_reply() == b"A\n\t"
        conn.send(b"\r\n   \r\nPING\r\n")  # empty lines are ignored
        assert conn.read_reply() == "PONG"


INLINE_LINES = [
    b"PING\r\n",
    b"ping   \r\n",
    b'SET sp:q "hello world"\r\nGET sp:q\r\n',
    b"SET sp:s 'single \"quoted\"'\r\nGET sp:s\r\n",
    b'ECHO "tab\\there" "\\x41\\x4a" "\\xZZ" \'\\n\'\r\n',
    b'ECHO ""\r\n',
    b"ECHO a b\r\n",
    b'ECHO "a"b\r\n',
    b"ECHO 'a\r\n",
    b"NOSUCH x 'y z'\r\n",
    b"$4\r\nPING\r\n",
    b"*-1\r\n*0\r\nPING\r\n",
    b"*1\r\n$4\r\nPINGxx",
]


def test_inline_commands_match_redis_server(shared_server, redis_server):
    ours = exchange_all(shared_server.port, INLINE_LINES)
    theirs = exchange_all(redis_server.port, INLINE_LINES)
    for data, our_reply, their_reply in zip(INLINE_LINES, ours, theirs):
        assert our_reply == their_reply, data


# -- throughput shapes -------------------------------------------------------------------------
def test_pipeline_of_1000_commands_in_one_write(r, shared_server):
    requests = []
    expected = []
    for index in range(500):
        requests.append(encode("SET", "p:%d" % index, "v%d" % index))
        requests.append(encode("GET", "p:%d" % index))
        expected += ["OK", b"v%d" % index]
    with RawConnection(shared_server.port) as conn:
        conn.send(b"".join(requests))
        replies = [conn.read_reply() for _ in range(1000)]
    assert replies == expected
    assert r.dbsize() == 500


def test_ten_megabyte_value_round_trips(r, shared_server):
    value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    assert r.set("big", value) is True
    assert r.get("big") == value
    assert r.strlen("big") == len(value)
    with RawConnection(shared_server.port) as conn:
        assert conn.call("GET", "big") == value
        assert conn.call("SET", "big2", value) == "OK"
    assert r.get("big2") == value


def test_request_split_byte_by_byte(r, shared_server):
    data = (encode("SET", "split", "hello\r\nworld") + b'SET inline "a b"\r\n'
            + encode("GET", "split") + b"GET inline\r\n")
    with RawConnection(shared_server.port) as conn:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for index in range(len(data)):
            conn.send(data[index:index + 1])
            time.sleep(0.001)
        replies = [conn.read_reply() for _ in range(4)]
    assert replies == ["OK", "OK", b"hello\r\nworld", b"a b"]


def test_big_value_split_across_many_writes(r, shared_server):
    value = b"0123456789" * 100_000
    data = encode("SET", "chunks", value)
    with RawConnection(shared_server.port) as conn:
        for start in range(0, len(data), 7_919):
            conn.send(data[start:start + 7_919])
        assert conn.read_reply() == "OK"
    assert r.get("chunks") == value

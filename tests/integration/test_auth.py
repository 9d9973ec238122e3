"""A server started with --requirepass: NOAUTH before AUTH, WRONGPASS, AUTH and HELLO AUTH,
Redis's pre-auth request limits; the same conversations go to redis-server --requirepass."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import free_port
from tests.integration.cli import run_script
from tests.integration.resp_socket import RawConnection, encode, exchange_all

PASSWORD = "s3cret"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    from tests.conftest import ServerProcess

    server = ServerProcess(str(tmp_path_factory.mktemp("auth")), extra_args=["--requirepass", PASSWORD])
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_with_password(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis-auth")), "--requirepass", PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield port
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def test_noauth_before_auth(auth_server):
    with RawConnection(auth_server.port) as conn:
        assert conn.call("PING") == NOAUTH
        assert conn.call("SET", "k", "v") == NOAUTH
        assert conn.call("GET", "k") == NOAUTH
        assert conn.call("CLIENT", "ID") == NOAUTH
        assert conn.call("NOSUCHCOMMAND") == \
            "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: "
        conn.send(b"PING\r\n")  # inline commands too
        assert conn.read_reply() == NOAUTH


def test_wrongpass_then_auth(auth_server):
    with RawConnection(auth_server.port) as conn:
        assert conn.call("AUTH", "nope") == WRONGPASS
        assert conn.call("AUTH", "default", "nope") == WRONGPASS
        assert conn.call("AUTH", "someone", PASSWORD) == WRONGPASS
        assert conn.call("PING") == NOAUTH
        assert conn.call("AUTH", PASSWORD) == "OK"
        assert conn.call("SET", "auth:k", "v") == "OK"
        assert conn.call("GET", "auth:k") == b"v"
        assert conn.call("AUTH", "default", PASSWORD) == "OK"


def test_reset_forgets_authentication(auth_server):
    with RawConnection(auth_server.port) as conn:
        assert conn.call("AUTH", PASSWORD) == "OK"
        assert conn.call("RESET") == "RESET"
        assert conn.call("PING") == NOAUTH


def test_hello_3_with_auth(auth_server):
    with RawConnection(auth_server.port) as conn:
        assert conn.call("HELLO", "3").startswith("NOAUTH HELLO must be called with the client")
        assert conn.call("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
        reply = conn.call("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "authed")
        assert reply[b"proto"] == 3 and reply[b"server"] == b"redis"
        assert conn.call("CLIENT", "GETNAME") == b"authed"
        assert conn.call("PING") == "PONG"


def test_redis_py_clients(auth_server):
    no_retry = Retry(NoBackoff(), 0)  # redis-py retries auth failures with a backoff by default
    anonymous = auth_server.client(retry=no_retry)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    anonymous.close()
    for protocol in (2, 3):
        client = auth_server.client(password=PASSWORD, protocol=protocol)
        assert client.set("py:%d" % protocol, "x") is True
        assert client.get("py:%d" % protocol) == b"x"
        client.close()
    wrong = auth_server.client(password="wrong", retry=no_retry)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()
    wrong.close()


def test_admin_status_with_password(auth_server):
    result = run_script("spinelraft-admin", "--port", str(auth_server.port), "--password", PASSWORD, "status")
    assert result.returncode == 0, result.stderr
    assert "leader" in result.stdout


def test_unauthenticated_request_limits(auth_server):
    with RawConnection(auth_server.port) as conn:
        conn.send(b"*11\r\n")
        assert conn.read_all_until_closed() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    with RawConnection(auth_server.port) as conn:
        conn.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n")
        assert conn.read_all_until_closed() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    with RawConnection(auth_server.port) as conn:  # after AUTH, in the same write: no limits
        big = "v" * 100_000
        conn.send(encode("AUTH", PASSWORD) + encode("MSET", *["k", big] * 6) + encode("STRLEN", "k"))
        assert [conn.read_reply() for _ in range(3)] == ["OK", "OK", 100_000]


CONVERSATIONS = [
    [("PING",), ("GET", "x"), ("AUTH", "bad"), ("AUTH", "default", "bad"), ("AUTH", "a", "b", "c"),
     ("HELLO", "3"), ("HELLO", "3", "AUTH", "default", "bad"), ("HELLO", "2", "AUTH", "default", PASSWORD),
     ("PING",), ("RESET",), ("PING",), ("QUIT",)],
    [("AUTH", PASSWORD), ("ECHO", "1", "2"), ("SELECT", "99")],
]


def test_auth_conversations_match_redis_server(auth_server, redis_with_password):
    requests = [b"".join(encode(*command) for command in conversation) for conversation in CONVERSATIONS]
    requests += [b"*11\r\n", b"*10\r\n", b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", b"*2\r\n$4\r\nAUTH\r\n$16384\r\n",
                 b"*2000000\r\n", b"PING\r\n", encode("AUTH", PASSWORD) + b"*11\r\n"]
    ours = exchange_all(auth_server.port, requests)
    theirs = exchange_all(redis_with_password, requests)
    for request, our_reply, their_reply in zip(requests, ours, theirs):
        if b"HELLO" in request:  # the HELLO map carries the connection id: compare around it
            our_reply = (_without_ids(our_reply[0]), our_reply[1])
            their_reply = (_without_ids(their_reply[0]), their_reply[1])
        assert our_reply == their_reply, request[:60]


def _without_ids(data: bytes) -> bytes:
    head, separator, rest = data.partition(b"$2\r\nid\r\n:")
    if not separator:
        return data
    return head + separator + rest.split(b"\r\n", 1)[1]

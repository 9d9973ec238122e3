"""The Warden process without a cluster: config validation, --help, AUTH, pub/sub basics."""
import socket
import subprocess
import sys

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import REPO
from tests.warden.conftest import WardenProcess, wait_until

pytestmark = pytest.mark.timeout(60)


def _run(*args, timeout=20):
    return subprocess.run([sys.executable, "-m", "spinelraft.server", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("content, message", [
    ("nodes = []\n", "nodes must list at least one cluster node"),
    ('nodes = ["nohost"]\n', "is not host:port"),
    ('nodes = ["127.0.0.1:7000"]\nport = 70000\n', "port must be a TCP port"),
    ('nodes = ["127.0.0.1:7000"]\npoll-interval = "fast"\n', "must be float"),
    ('nodes = ["127.0.0.1:7000"]\nbogus = 1\n', "unknown setting 'bogus'"),
    ('nodes = ["127.0.0.1:7000"]\nquorum = -1\n', "quorum must be"),
    ("nodes = [\n", "invalid TOML"),
])
def test_bad_config_is_one_line_and_non_zero(tmp_path, content, message):
    path = tmp_path / "warden.toml"
    path.write_text(content)
    result = _run("--warden", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("spinelraft-server --warden: ")


def test_missing_config_and_help(tmp_path):
    result = _run("--warden", str(tmp_path / "missing.toml"))
    assert result.returncode == 2 and "config file not found" in result.stderr
    assert "--warden FILE" in _run("--help").stdout
    result = subprocess.run([sys.executable, "-m", "spinelraft.warden", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 0 and "Sentinel" in result.stdout


def test_busy_port_is_reported(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = tmp_path / "warden.toml"
        path.write_text('nodes = ["127.0.0.1:1"]\nport = %d\n' % port)
        result = _run("--warden", str(path))
    assert result.returncode == 1 and "cannot listen on 127.0.0.1:%d" % port in result.stderr


def test_auth_pubsub_and_no_cluster(tmp_path):
    """With no reachable node the Warden still answers (no masters yet); requirepass guards it."""
    warden = WardenProcess(str(tmp_path), [1], 'requirepass = "s3cret"\n').start()
    try:
        no_retry = Retry(NoBackoff(), 0)  # redis-py retries AuthenticationError (a ConnectionError)
        with pytest.raises(redis.AuthenticationError):
            warden.client(retry=no_retry).execute_command("SENTINEL", "MASTERS")
        with pytest.raises(redis.AuthenticationError):
            warden.client(password="wrong", retry=no_retry).ping()
        with pytest.raises(redis.AuthenticationError, match="Authentication required"):
            warden.client(protocol=2, retry=no_retry).execute_command("SENTINEL", "MASTERS")
        client = warden.client(password="s3cret")
        assert client.ping() is True
        assert client.execute_command("SENTINEL", "MASTERS") == []
        assert client.execute_command("ROLE") == [b"sentinel", []]
        assert client.info("sentinel")["sentinel_masters"] == 0
        pubsub = client.pubsub()
        pubsub.subscribe("+switch-master", "+sdown")
        assert [pubsub.get_message(timeout=5)["channel"] for _ in range(2)] == [b"+switch-master", b"+sdown"]
        pubsub.psubscribe("+*")
        assert pubsub.get_message(timeout=5)["type"] == "psubscribe"
        pubsub.unsubscribe()
        kinds = [pubsub.get_message(timeout=5)["type"] for _ in range(2)]
        assert kinds == ["unsubscribe", "unsubscribe"]
        pubsub.close()
        # a RESP2 connection in subscribed context refuses other commands, as Redis does
        with socket.create_connection(("127.0.0.1", warden.port), timeout=5) as conn:
            conn.sendall(b"AUTH s3cret\r\nPSUBSCRIBE x\r\nSENTINEL MASTERS\r\nPING\r\n")
            expected = (b"+OK\r\n*3\r\n$10\r\npsubscribe\r\n$1\r\nx\r\n:1\r\n-ERR Can't execute 'sentinel': "
                        b"only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
                        b"\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n")
            received = b""
            while len(received) < len(expected):
                data = conn.recv(4096)
                if not data:
                    break
                received += data
            assert received == expected
        pubsub.close()
        with pytest.raises(redis.ResponseError, match="No such master"):
            client.execute_command("SENTINEL", "MASTER", "shard-0")
        assert wait_until(lambda: "unreachable" in warden.log(), 10, what="the log naming the dead node")
    finally:
        warden.stop()
    assert warden.process.returncode == 0

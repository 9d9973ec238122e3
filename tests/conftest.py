"""Shared fixtures: real spinelraft-server processes (and redis-server when installed) on 127.0.0.1."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from hypothesis import settings as hypothesis_settings

# In CI (CI=true) every property and differential test replays the same examples, so a red run
# is reproducible and never depends on luck; run without CI (or with --hypothesis-seed) to explore.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A port that is free now, avoiding the +100 Raft port of another picked port."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 <= 65535 and _is_free(port + 100):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ServerProcess:
    """One spinelraft-server process that a test starts, kills, restarts and stops by PID."""

    def __init__(self, data_dir: str, port: int = None, extra_args=()):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.process = None
        self.log_path = os.path.join(data_dir, "server.log")

    @property
    def command(self):
        return [sys.executable, "-m", "spinelraft.server", "--port", str(self.port),
                "--data-dir", self.data_dir, "--metrics-port", "0", "--grpc-port", "0",
                "--logfile", self.log_path,
                *self.extra_args]

    def start(self, wait: bool = True):
        os.makedirs(self.data_dir, exist_ok=True)
        self.process = subprocess.Popen(self.command, cwd=REPO, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited (%s): %s" % (self.process.returncode, self.stderr()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith((b"+PONG", b"-NOAUTH")):  # NOAUTH: up, with --requirepass
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server on port %d not ready in %.0f s" % (self.port, START_TIMEOUT_S))

    def stderr(self) -> str:
        try:
            return self.process.stderr.read() if self.process and self.process.stderr else ""
        except ValueError:
            return ""

    def kill9(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill9()
        for stream in (self.process.stdout, self.process.stderr) if self.process else ():
            if stream:
                stream.close()

    def restart(self):
        self.stop()
        return self.start()

    def client(self, **kwargs):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30, **kwargs)


@pytest.fixture
def server_factory(tmp_path):
    """Start servers with `server_factory(extra_args=[...])`; all are stopped at the end."""
    started = []

    def make(extra_args=(), name=None):
        directory = str(tmp_path / (name or "node%d" % len(started)))
        server = ServerProcess(directory, extra_args=extra_args)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory):
    """One server for tests that only need a clean database (they FLUSHALL first)."""
    server = ServerProcess(str(tmp_path_factory.mktemp("shared")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def r(shared_server):
    client = shared_server.client()
    client.flushall()
    yield client
    client.close()


class RedisServerProcess:
    """A real redis-server for differential tests (skips when not installed)."""

    def __init__(self, data_dir: str):
        self.port = free_port()
        self.data_dir = data_dir
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.data_dir, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServerProcess(str(tmp_path_factory.mktemp("redis")))
    server.start()
    yield server
    server.stop()

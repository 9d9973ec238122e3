"""A real 3-node cluster on 127.0.0.1 plus a Warden process watching it."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.cluster.conftest import Cluster
from tests.conftest import REPO, free_port

WARDEN_START_TIMEOUT_S = 20.0


class WardenProcess:
    def __init__(self, directory: str, nodes, extra_settings: str = ""):
        self.port = free_port()
        self.config = os.path.join(directory, "warden.toml")
        self.log_path = os.path.join(directory, "warden.log")
        os.makedirs(directory, exist_ok=True)
        with open(self.config, "w") as handle:
            handle.write('port = %d\nnodes = [%s]\npoll-interval = 0.1\ndown-after-milliseconds = 1000\n'
                         'logfile = "%s"\nloglevel = "debug"\n%s'
                         % (self.port, ", ".join('"127.0.0.1:%d"' % port for port in nodes), self.log_path,
                            extra_settings))
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-m", "spinelraft.server", "--warden", self.config],
                                        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + WARDEN_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("warden exited: %s" % self.process.stderr.read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.3) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith((b"+PONG", b"-NOAUTH")):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("warden not ready")

    def client(self, **kwargs):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=15, **kwargs)

    def log(self) -> str:
        try:
            with open(self.log_path) as handle:
                return handle.read()
        except OSError:
            return ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()


def wait_until(predicate, timeout_s: float, interval_s: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - retried until the deadline
            last_error = error
        time.sleep(interval_s)
    raise AssertionError("%s not reached in %.0f s (last error: %r)" % (what, timeout_s, last_error))


@pytest.fixture
def warden_cluster(tmp_path):
    """(cluster, warden): 3 nodes, the Warden configured with the first node only (it discovers
    the others from CLUSTER SHARDS)."""
    cluster = Cluster(str(tmp_path / "cluster"), 3)
    warden = None
    try:
        cluster.start_all()
        warden = WardenProcess(str(tmp_path / "warden"), [cluster.port(0)]).start()
        yield cluster, warden
    finally:
        if warden is not None:
            warden.stop()
        cluster.stop_all()

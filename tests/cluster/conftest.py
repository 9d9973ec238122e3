"""Real multi-node clusters on 127.0.0.1, built from the same configs spinelraft-admin writes."""
import os
import signal
import subprocess
import sys
import time

import pytest

from spinelraft.local_cluster import free_port_block, port_offsets, write_configs
from tests.conftest import REPO, free_port


def cluster_port_block(count: int, shards: int = 1) -> int:
    """A base port such that every port of `count` nodes and `shards` shards is free (RESP,
    Raft per shard, metrics, gRPC: local_cluster.port_offsets), starting from a random one so
    that tests running side by side do not collide."""
    offsets = port_offsets(shards)
    for _ in range(200):
        base = free_port()
        if base + max(offsets) + count >= 65536:
            continue
        try:
            return free_port_block(count, offsets, start=base, step=65536)
        except RuntimeError:
            continue
    raise RuntimeError("no free port block")


class Cluster:
    def __init__(self, directory: str, nodes: int, secret: str = "test-secret", spare: int = 0,
                 shards: int = 1, replication_factor: int = None):
        self.directory = directory
        self.secret = secret
        self.shards = shards
        self.replication_factor = replication_factor
        self.base_port = cluster_port_block(nodes + spare, shards)
        self.configs = write_configs(directory, nodes, self.base_port, secret, shards, replication_factor)
        self.processes = {}

    def grow(self, nodes: int):
        """Rewrite every config for `nodes` members (running nodes keep what they loaded)."""
        self.configs = write_configs(self.directory, nodes, self.base_port, self.secret, self.shards,
                                     self.replication_factor)

    def port(self, index: int) -> int:
        return self.base_port + index

    def start(self, index: int, extra_args=(), wait=True):
        command = [sys.executable, "-m", "spinelraft.server", "--config", self.configs[index],
                   "--metrics-port", "0", *extra_args]
        self.processes[index] = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.PIPE, text=True)
        if wait:
            self.wait_ready(index)

    def start_all(self, extra_args=()):
        for index in range(len(self.configs)):
            self.start(index, extra_args, wait=False)
        for index in range(len(self.configs)):
            self.wait_ready(index)

    def wait_ready(self, index: int, timeout_s: float = 60.0) -> bool:
        import socket

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            process = self.processes[index]
            if process.poll() is not None:
                raise RuntimeError("node %d exited: %s" % (index, process.stderr.read()))
            try:
                with socket.create_connection(("127.0.0.1", self.port(index)), timeout=0.3) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("node %d not ready" % index)

    def client(self, index: int, **kwargs):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port(index), socket_timeout=30, **kwargs)

    def info_raft(self, index: int) -> dict:
        return self.client(index).info("raft")

    def leader_index(self, timeout_s: float = 30.0) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for index, process in self.processes.items():
                if process.poll() is not None:
                    continue
                try:
                    if self.info_raft(index).get("shard0_role") == "leader":
                        return index
                except Exception:  # noqa: BLE001 - a node may be down or paused
                    continue
            time.sleep(0.2)
        raise RuntimeError("no leader")

    def signal(self, index: int, signum):
        os.kill(self.processes[index].pid, signum)

    def kill9(self, index: int):
        process = self.processes[index]
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self):
        for index, process in self.processes.items():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
            if process.stderr:
                process.stderr.close()


@pytest.fixture
def cluster_factory(tmp_path):
    made = []

    def make(nodes=3, secret="test-secret", spare=0, shards=1, replication_factor=None):
        cluster = Cluster(str(tmp_path / ("cluster%d" % len(made))), nodes, secret, spare, shards,
                          replication_factor)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop_all()

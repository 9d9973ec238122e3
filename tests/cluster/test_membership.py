"""A 4th node joins a live 3-node cluster and catches up; then a node is removed; writes keep
going throughout and none that was acknowledged is lost."""
import os
import subprocess
import sys
import threading
import time

import redis

from tests.conftest import REPO


class Writer(threading.Thread):
    """Writes key:N = N through the given ports until told to stop; records what was acked."""

    def __init__(self, ports):
        super().__init__(daemon=True)
        self.ports = list(ports)
        self.acked = []
        self.stop_at = None
        self.halt = threading.Event()

    def run(self):
        number = 0
        deadline = time.monotonic() + 120  # bounded whatever happens
        while not self.halt.is_set() and time.monotonic() < deadline:
            port = self.ports[number % len(self.ports)]
            try:
                client = redis.Redis(port=port, socket_timeout=5)
                client.set("key:%d" % number, number)
                self.acked.append(number)
            except redis.RedisError:
                time.sleep(0.05)
            number += 1
            time.sleep(0.005)


def admin(*args):
    return subprocess.run([sys.executable, "-m", "spinelraft.admin", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_add_then_remove_a_node_while_writing(cluster_factory):
    cluster = cluster_factory(3, spare=1)
    cluster.start_all()
    leader = cluster.leader_index()
    writer = Writer([cluster.port(leader)])
    writer.start()
    time.sleep(1)

    cluster.grow(4)
    cluster.start(3, extra_args=("--join",), wait=False)
    result = admin("--port", str(cluster.port(leader)), "add-node", "--id", "n4", "--node-port",
                   str(cluster.port(3)), "--raft-port", str(cluster.base_port + 103))
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr
    cluster.wait_ready(3)
    members = cluster.client(3).execute_command("RAFT", "MEMBERS")
    assert len(members) == 4

    victim = next(index for index in range(3) if index != leader)
    result = admin("--port", str(cluster.port(3)), "remove-node", "--id", "n%d" % (victim + 1))
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr
    cluster.kill9(victim)
    time.sleep(1)
    writer.halt.set()
    writer.join(timeout=30)
    assert len(writer.acked) > 50

    newcomer = cluster.client(3)
    values = newcomer.mget(["key:%d" % number for number in writer.acked])
    missing = [n for n, value in zip(writer.acked, values) if value != b"%d" % n]
    assert not missing, "acknowledged writes lost: %r" % missing[:10]
    assert len(newcomer.execute_command("RAFT", "MEMBERS")) == 3
    assert os.path.exists(cluster.configs[3])

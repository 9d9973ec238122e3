"""A fresh cluster of real spinelraft-server processes, one per loopback address.

Node i listens on 127.0.S.(i+1), where the subnet octet S is chosen per run, so that network
rules matching a pair of node addresses touch this run's nodes only (spinelraft binds its
outgoing Raft connections to its own address, so every packet names both ends).
"""
import os
import signal
import socket
import subprocess
import sys
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def no_retry_client(host: str, port: int, timeout_s: float, **kwargs) -> redis.Redis:
    """A client that never retries on its own (a retried write could apply twice)."""
    return redis.Redis(host=host, port=port, socket_timeout=timeout_s,
                       socket_connect_timeout=min(1.0, timeout_s), retry=Retry(NoBackoff(), 0),
                       **kwargs)


def pick_subnet(seed: int) -> int:
    """A 127.0.S.0/24 subnet for this run (differs between concurrent runs on one machine)."""
    return 2 + (os.getpid() * 31 + seed) % 250


def ports_free(host: str, ports) -> bool:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def pick_base_port(hosts, rng, attempts: int = 200) -> int:
    for _ in range(attempts):
        base = rng.randrange(20000, 60000)
        if all(ports_free(host, (base, base + 100)) for host in hosts):
            return base
    raise RuntimeError("no free port for the cluster")


class Node:
    def __init__(self, index: int, host: str, port: int, raft_port: int, directory: str, data_dir: str):
        self.index = index
        self.name = "n%d" % (index + 1)
        self.host = host
        self.port = port
        self.raft_port = raft_port
        self.directory = directory
        self.data_dir = data_dir
        self.config_path = os.path.join(directory, "spinelraft.toml")
        self.log_path = os.path.join(directory, "server.log")
        self.process = None
        self.paused = False
        self.removed = False  # taken out of the Raft membership by the member nemesis

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, timeout_s: float = 1.0) -> redis.Redis:
        return no_retry_client(self.host, self.port, timeout_s)


class Cluster:
    def __init__(self, directory: str, data_root: str, count: int, subnet: int, rng, server_args=()):
        self.directory = directory
        hosts = ["127.0.%d.%d" % (subnet, index + 1) for index in range(count)]
        base = pick_base_port(hosts, rng)
        self.nodes = [Node(index, hosts[index], base, base + 100,
                           os.path.join(directory, "n%d" % (index + 1)),
                           os.path.join(data_root, "n%d" % (index + 1))) for index in range(count)]
        self.server_args = list(server_args)
        self.secret = "jepsen-%016x" % rng.getrandbits(64)
        self.pids = []  # every server process started, for the record
        for node in self.nodes:
            os.makedirs(node.directory, exist_ok=True)
            self._write_config(node)

    def _write_config(self, node: Node):
        members = "".join('[[members]]\nid = "%s"\nhost = "%s"\nport = %d\nraft-port = %d\n\n'
                          % (other.name, other.host, other.port, other.raft_port) for other in self.nodes)
        with open(node.config_path, "w") as handle:
            handle.write('node-id = "%s"\ncluster-secret = "%s"\ndata-dir = "%s"\nmetrics-port = 0\n'
                         'grpc-port = 0\n'
                         'logfile = "%s"\n\n%s' % (node.name, self.secret, node.data_dir, node.log_path, members))

    # -- processes ----------------------------------------------------------------------------
    def start(self, node: Node):
        command = [sys.executable, "-m", "spinelraft.server", "--config", node.config_path, *self.server_args]
        with open(os.path.join(node.directory, "stdout.log"), "ab") as output:
            node.process = subprocess.Popen(command, cwd=REPO, stdout=output, stderr=output,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.pids.append(node.process.pid)
        node.paused = False

    def start_all(self):
        for node in self.nodes:
            self.start(node)
        deadline = time.monotonic() + READY_TIMEOUT_S
        for node in self.nodes:
            if not self.wait_ready(node, deadline):
                raise RuntimeError("%s did not become ready; see %s" % (node.name, node.log_path))

    def wait_ready(self, node: Node, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if not node.alive():
                return False
            try:
                if node.client(0.5).ping():
                    return True
            except redis.RedisError:
                pass
            time.sleep(0.2)
        return False

    def kill(self, node: Node):
        if node.alive():
            os.kill(node.process.pid, signal.SIGKILL)
            node.process.wait(timeout=10)
        node.paused = False

    def pause(self, node: Node):
        if node.alive():
            os.kill(node.process.pid, signal.SIGSTOP)
            node.paused = True

    def resume(self, node: Node):
        if node.alive():
            os.kill(node.process.pid, signal.SIGCONT)
        node.paused = False

    def restart_if_dead(self, node: Node) -> bool:
        if node.alive() or node.removed:  # a removed node comes back through RAFT ADDNODE
            return False
        self.start(node)
        return True

    def stop_all(self):
        """SIGCONT then SIGTERM every node this cluster started; SIGKILL what does not exit."""
        for node in self.nodes:
            if node.alive():
                for signum in (signal.SIGCONT, signal.SIGTERM):
                    try:
                        os.kill(node.process.pid, signum)
                    except ProcessLookupError:
                        pass
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.kill(node.process.pid, signal.SIGKILL)
                node.process.wait(timeout=10)

    # -- roles --------------------------------------------------------------------------------
    def role(self, node: Node):
        if not node.alive() or node.paused:
            return None
        try:
            return node.client(0.5).execute_command("ROLE")[0]
        except (redis.RedisError, IndexError):
            return None

    def leader(self):
        """The node that says it leads (a majority's leader when several think so), or None."""
        leaders = [node for node in self.nodes if self.role(node) in (b"master", "master")]
        return leaders[0] if len(leaders) == 1 else (leaders[-1] if leaders else None)

    def followers(self):
        leader = self.leader()
        return [node for node in self.nodes if node is not leader]

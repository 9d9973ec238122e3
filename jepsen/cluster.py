"""A fresh cluster of real spinelraft-server processes, one per loopback address.

Node i listens on 127.0.S.(i+1), where the subnet octet S is chosen per run, so that network
rules matching a pair of node addresses touch this run's nodes only (spinelraft binds its
outgoing Raft connections to its own address, so every packet names both ends).

With `shards` > 1 the slots are split into that many Raft groups, each replicated on
`replication_factor` nodes (shard s of a node listens for Raft on raft-port + 1000 x s); any node
serves any key, proxying to a replica of the key's shard. "The leader" is then per shard.
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

from spinelraft.slots import key_slot, slot_shard

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_TIMEOUT_S = 60.0
SHARD_PORT_STRIDE = 1000  # spinelraft.config.SHARD_PORT_STRIDE: shard s's Raft port is raft-port + 1000 s
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


def pick_base_port(hosts, rng, attempts: int = 200, shards: int = 1) -> int:
    """RESP on base, Raft of shard s on base + 100 + 1000 s: all free on every node address."""
    top = 60000 - SHARD_PORT_STRIDE * (shards - 1)
    for _ in range(attempts):
        base = rng.randrange(20000, top)
        ports = [base] + [base + 100 + SHARD_PORT_STRIDE * shard for shard in range(shards)]
        if all(ports_free(host, ports) for host in hosts):
            return base
    raise RuntimeError("no free port for the cluster")


def shard_of_key(key, shards: int) -> int:
    """The shard that owns a key: its Redis Cluster slot (CRC16 of the key or its {hash tag})
    split into `shards` contiguous ranges, as the server routes it."""
    if isinstance(key, str):
        key = key.encode()
    return slot_shard(key_slot(key), shards)


def effective_replication_factor(nodes: int, shards: int, replication_factor=None) -> int:
    """One shard: every node replicates it (as before shards existed). Several: 3 by default;
    never more than the nodes."""
    if replication_factor is None:
        replication_factor = nodes if shards == 1 else 3
    return max(1, min(replication_factor, nodes))


def _info_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


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
        self.joins = False  # start with --join (cluster-state = existing): after being wiped

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, timeout_s: float = 1.0) -> redis.Redis:
        return no_retry_client(self.host, self.port, timeout_s)


class Cluster:
    def __init__(self, directory: str, data_root: str, count: int, subnet: int, rng, server_args=(),
                 shards: int = 1, replication_factor=None):
        self.directory = directory
        self.shards = shards
        self.replication_factor = effective_replication_factor(count, shards, replication_factor)
        hosts = ["127.0.%d.%d" % (subnet, index + 1) for index in range(count)]
        base = pick_base_port(hosts, rng, shards=shards)
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
                         'grpc-port = 0\nshards = %d\nreplication-factor = %d\n'
                         'logfile = "%s"\n\n%s' % (node.name, self.secret, node.data_dir, self.shards,
                                                   self.replication_factor, node.log_path, members))

    # -- processes ----------------------------------------------------------------------------
    def start(self, node: Node):
        command = [sys.executable, "-m", "spinelraft.server", "--config", node.config_path, *self.server_args]
        if node.joins:
            command.append("--join")
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
    def raft_info(self, node: Node):
        """INFO raft of a live, running node as a dict of str -> str, or None."""
        if not node.alive() or node.paused:
            return None
        try:
            info = node.client(0.5).info("raft")
        except redis.RedisError:
            return None
        return {_info_text(key): _info_text(value) for key, value in info.items()}

    def roles(self) -> dict:
        """{node name: {shard: (role, term)}} of every node that answers."""
        answers = {}
        for node in self.nodes:
            info = self.raft_info(node)
            if info is None:
                continue
            answers[node.name] = {shard: (info.get("shard%d_role" % shard), int(info.get("shard%d_term" % shard) or 0))
                                  for shard in range(self.shards) if "shard%d_role" % shard in info}
        return answers

    def leaders(self) -> dict:
        """{shard: the node leading it (the highest term's when several think so), or None}."""
        answers = self.roles()
        result = {}
        for shard in range(self.shards):
            claims = [(roles[shard][1], name) for name, roles in answers.items()
                      if shard in roles and roles[shard][0] == "leader"]
            result[shard] = self.node_named(max(claims)[1]) if claims else None
        return result

    def leader(self, shard: int = 0):
        """The node leading a shard (by default shard 0, the only one of a one-shard cluster)."""
        return self.leaders().get(shard)

    def shard_members(self) -> dict:
        """{shard: [names of the nodes that replicate it now]} as the nodes report it."""
        members = {shard: [] for shard in range(self.shards)}
        for name, roles in self.roles().items():
            for shard in roles:
                members[shard].append(name)
        return members

    def node_named(self, name: str):
        return next((node for node in self.nodes if node.name == name), None)

    def followers(self, shard: int = None):
        """Nodes leading no shard (or, given a shard, not leading that one)."""
        leaders = self.leaders()
        busy = set(leaders.values()) if shard is None else {leaders.get(shard)}
        return [node for node in self.nodes if node not in busy]

    def shard_of(self, key) -> int:
        return shard_of_key(key, self.shards)

"""spinelraft-admin local-cluster: start N nodes on 127.0.0.1 for trying things out (like Redis's
create-cluster utility). Each node gets DIR/nodeI/ with its config, data, log and pid file."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import time

READY_TIMEOUT_S = 60.0


def node_dirs(directory: str) -> list:
    if not os.path.isdir(directory):
        return []
    names = sorted((n for n in os.listdir(directory) if n.startswith("node")), key=lambda n: int(n[4:] or 0))
    return [os.path.join(directory, name) for name in names]


def port_offsets(shards: int = 1) -> tuple:
    """Offsets from a cluster's base port that its nodes use: RESP, Raft (and Raft of each
    further shard), metrics, gRPC (see write_configs)."""
    return (0, 100, 200, 300) + tuple(100 + 1000 * shard for shard in range(1, shards))


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_block(count: int, offsets=(0, 100, 200, 300), start: int = 20000, step: int = 500) -> int:
    """A base port such that base + offset + i is free on 127.0.0.1 for every offset and i < count."""
    for base in range(start, 65536 - max(offsets) - count, step):
        if all(_bindable(base + offset + index) for offset in offsets for index in range(count)):
            return base
    raise RuntimeError("no free block of %d ports from %d" % (count, start))


def write_configs(directory: str, nodes: int, base_port: int, secret: str, shards: int = 1,
                  replication_factor: int = None) -> list:
    """Configs for `nodes` members on 127.0.0.1: RESP base+i, Raft base+100+i (shard s adds
    1000 x s), metrics base+200+i, gRPC base+300+i."""
    members = "".join(
        '[[members]]\nid = "n%d"\nhost = "127.0.0.1"\nport = %d\nraft-port = %d\ngrpc-port = %d\n\n'
        % (index + 1, base_port + index, base_port + 100 + index, base_port + 300 + index)
        for index in range(nodes))
    paths = []
    for index in range(nodes):
        node_dir = os.path.join(directory, "node%d" % (index + 1))
        os.makedirs(node_dir, exist_ok=True)
        path = os.path.join(node_dir, "spinelraft.toml")
        with open(path, "w") as handle:
            handle.write('node-id = "n%d"\ncluster-secret = "%s"\ndata-dir = "%s"\nmetrics-port = %d\n'
                         'logfile = "%s"\nshards = %d\n%s\n%s'
                         % (index + 1, secret, os.path.join(node_dir, "data"), base_port + 200 + index,
                            os.path.join(node_dir, "server.log"), shards,
                            "replication-factor = %d\n" % replication_factor if replication_factor else "",
                            members))
        paths.append(path)
    return paths


def start(directory: str, nodes: int, base_port: int, shards: int = 1, replication_factor: int = None) -> int:
    if any(os.path.exists(os.path.join(d, "pid")) for d in node_dirs(directory)):
        print("a local cluster already runs in %s (stop it first)" % directory, file=sys.stderr)
        return 1
    secret = secrets.token_hex(16)
    configs = write_configs(os.path.abspath(directory), nodes, base_port, secret, shards, replication_factor)
    for index, config in enumerate(configs):
        node_dir = os.path.dirname(config)
        with open(os.path.join(node_dir, "stdout.log"), "ab") as output:
            process = subprocess.Popen([sys.executable, "-m", "spinelraft.server", "--config", config],
                                       stdout=output, stderr=output, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        with open(os.path.join(node_dir, "pid"), "w") as handle:
            handle.write(str(process.pid))
        print("started n%d (pid %d): RESP 127.0.0.1:%d" % (index + 1, process.pid, base_port + index), flush=True)
    for index in range(nodes):
        port = base_port + index
        if not _wait_ready(port):
            print("node n%d on port %d did not become ready; see %s" % (index + 1, port, directory), file=sys.stderr)
            return 1
    print("cluster of %d nodes, %d shard%s ready: redis-cli -p %d"
          % (nodes, shards, "" if shards == 1 else "s", base_port))
    return 0


def _wait_ready(port: int) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop(directory: str) -> int:
    stopped = 0
    for node_dir in node_dirs(directory):
        pid_path = os.path.join(node_dir, "pid")
        if not os.path.exists(pid_path):
            continue
        with open(pid_path) as handle:
            pid = int(handle.read().strip())
        _terminate(pid)
        os.unlink(pid_path)
        stopped += 1
        print("stopped %s (pid %d)" % (os.path.basename(node_dir), pid))
    if not stopped:
        print("no local cluster running in %s" % directory)
    return 0


def _terminate(pid: int):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)

"""The server-side hooks the jepsen suite relies on, against real server processes."""
import os
import random
import subprocess

import pytest
import redis

from jepsen.cluster import Cluster
from jepsen.nemesis import set_clock_skew
from jepsen.net import Network, remove_orphan_chains

NOT_ALLOWED = ("DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
               "you can run it from a local connection, otherwise you need to set this option in the "
               "configuration file, and then restart the server.")


def test_debug_is_refused_without_the_flag_as_redis_does(server_factory, redis_server):
    client = server_factory().client()
    with pytest.raises(redis.ResponseError) as ours:
        client.execute_command("DEBUG", "SET-CLOCK-SKEW", "10")
    with pytest.raises(redis.ResponseError) as theirs:
        redis.Redis(port=redis_server.port).execute_command("DEBUG", "SLEEP", "0")
    assert str(ours.value) == str(theirs.value) == NOT_ALLOWED


def test_clock_skew_shifts_the_expiry_stamped_by_the_proposer(server_factory):
    client = server_factory(extra_args=["--enable-debug-command"]).client()
    assert client.execute_command("DEBUG", "CLOCK-SKEW") == 0
    assert client.execute_command("DEBUG", "SET-CLOCK-SKEW", "5000") == b"OK"
    assert client.execute_command("DEBUG", "CLOCK-SKEW") == 5000
    client.set("k", "v", px=3000)
    assert client.execute_command("DEBUG", "SET-CLOCK-SKEW", "0") == b"OK"
    assert 6000 < client.pttl("k") <= 8000
    with pytest.raises(redis.ResponseError, match="not an integer"):
        client.execute_command("DEBUG", "SET-CLOCK-SKEW", "soon")
    with pytest.raises(redis.ResponseError, match="unknown subcommand"):
        client.execute_command("DEBUG", "SLEEP", "0")


def test_raft_connections_leave_from_each_nodes_own_address(tmp_path):
    """Nodes on 127.0.S.1-3: every established Raft connection names two node addresses."""

    cluster = Cluster(str(tmp_path / "c"), str(tmp_path / "data"), 3, 77, random.Random(1),
                      ["--enable-debug-command"])
    try:
        cluster.start_all()
        hosts = {node.host for node in cluster.nodes}
        raft_port = cluster.nodes[0].raft_port
        pairs = set()
        for pid in cluster.pids:
            for local, remote in _tcp_connections(pid):
                if raft_port in (local[1], remote[1]):
                    pairs.add((local[0], remote[0]))
        assert pairs and all(local in hosts and remote in hosts and local != remote
                             for local, remote in pairs), pairs
        assert set_clock_skew(cluster.nodes[0], 10)
    finally:
        cluster.stop_all()


def _tcp_connections(pid: int):
    """(local (ip, port), remote (ip, port)) of the process's established IPv4 TCP sockets."""

    inodes = set()
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, name))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    with open("/proc/%d/net/tcp" % pid) as handle:
        rows = handle.read().splitlines()[1:]
    for row in rows:
        fields = row.split()
        if fields[3] == "01" and fields[9] in inodes:
            yield _address(fields[1]), _address(fields[2])


def _address(text: str):
    host, port = text.split(":")
    octets = [str(int(host[index:index + 2], 16)) for index in (6, 4, 2, 0)]
    return ".".join(octets), int(port, 16)


def test_chains_of_runs_killed_outright_are_removed_by_the_next_run():
    if Network.unavailable_reason() is not None:
        pytest.skip(Network.unavailable_reason())
    with open("/proc/sys/kernel/pid_max") as handle:
        dead_pid = int(handle.read()) + os.getpid() % 1000  # above pid_max: no such process
    chain = "JEPSEN-%d" % dead_pid
    subprocess.run(["iptables", "-w", "5", "-N", chain], check=True)
    subprocess.run(["iptables", "-w", "5", "-I", "INPUT", "-j", chain], check=True)
    remove_orphan_chains()
    assert chain not in subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout

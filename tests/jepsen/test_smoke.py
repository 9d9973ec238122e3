"""End to end: `python -m jepsen run` against real spinelraft-server processes.

A short register run under kill and partition (kill and pause where iptables is unavailable)
must be valid; with the planted bug (--unsafe-stale-reads: followers answer reads from their
local state without the Raft barrier) and one follower cut off while the majority takes writes,
the checker must find the stale reads and report the history invalid.
"""
import json
import os
import subprocess
import sys

from jepsen.net import Network

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_jepsen(store, *arguments, timeout_s=150):
    command = [sys.executable, "-m", "jepsen", "run", "--store", str(store), "--nodes", "3",
               "--clients", "6", "--rate", "60", *arguments]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    runs = [os.path.join(store, name) for name in os.listdir(store)]
    assert len(runs) == 1, completed.stdout + completed.stderr
    with open(os.path.join(runs[0], "results.json")) as handle:
        results = json.load(handle)
    return completed, runs[0], results


def test_short_register_run_under_faults_is_valid(tmp_path):
    faults = "kill,partition" if Network.unavailable_reason() is None else "kill,pause"
    completed, run_dir, results = run_jepsen(tmp_path, "--workload", "register", "--nemesis", faults,
                                             "--time", "40", "--seed", "11", "--nemesis-interval", "4",
                                             "--fault-duration", "5")
    assert results["valid"] is True, completed.stdout[-3000:]
    assert completed.returncode == 0
    assert results["faults"] >= 2 and results["ok"] > 200
    assert results["shards"]["run"] == 1
    for name in ("history.jsonl", "nemesis.jsonl", "report.html", "nodes/n1/server.log"):
        assert os.path.exists(os.path.join(run_dir, name)), name
    assert "seed 11" in completed.stdout
    assert_cleaned_up(results)


def assert_cleaned_up(results):
    """The run's server processes are gone and its iptables chain deleted."""
    for pid in results["resources"]["pids"]:
        assert not os.path.exists("/proc/%d" % pid) or _is_zombie(pid), pid
    chain = results["resources"]["iptables_chain"]
    if chain:
        listing = subprocess.run(["iptables", "-S"], capture_output=True, text=True).stdout
        assert chain not in listing


def _is_zombie(pid: int) -> bool:
    with open("/proc/%d/stat" % pid) as handle:
        return handle.read().split(")")[-1].split()[0] == "Z"


def test_planted_stale_reads_are_caught(tmp_path):
    completed, run_dir, results = run_jepsen(tmp_path, "--workload", "register", "--nemesis", "lag",
                                             "--unsafe-stale-reads", "--time", "20", "--seed", "3",
                                             "--nemesis-interval", "3", "--fault-duration", "6")
    assert results["valid"] is False, completed.stdout[-3000:]
    assert completed.returncode == 1
    register = results["checkers"]["register"]
    assert register["failed_keys"]
    anomaly = register["anomaly"]["ops"]
    assert any(op["f"] == "read" for op in anomaly) and len(anomaly) <= 10
    with open(os.path.join(run_dir, "report.html")) as handle:
        assert "smallest failing sub-history" in handle.read()
    assert_cleaned_up(results)


def test_short_two_shard_run_spreads_keys_and_is_valid(tmp_path):
    """5 nodes, 2 shards of 3 replicas: list-append transactions (each in one shard) under kill
    and shard leadership transfers; both shards get operations; about 25 s."""
    completed, run_dir, results = run_jepsen(tmp_path, "--nodes", "5", "--shards", "2", "--workload", "list-append",
                                             "--nemesis", "kill,transfer", "--time", "15", "--seed", "12",
                                             "--nemesis-interval", "2", "--fault-duration", "3",
                                             "--clients", "10", "--rate", "80")
    assert results["valid"] is True, completed.stdout[-3000:]
    shards = results["shards"]
    assert (shards["requested"], shards["run"], shards["replication_factor"]) == (2, 2, 3)
    assert min(shards["ops_per_shard"].values()) > 100, shards["ops_per_shard"]
    assert set(shards["key_shards"].values()) == {0, 1}
    assert results["faults"] >= 2
    assert_cleaned_up(results)

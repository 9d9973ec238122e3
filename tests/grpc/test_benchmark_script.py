"""bench/grpc_benchmark.py runs end to end: one-second runs with two clients against a 3-node
SpinelRaft cluster, and against a 3-node etcd when an etcd binary is installed. No timing is
asserted, only that the loop ran, read what it wrote, and reported it."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO


def run_benchmark(tmp_path, *flags):
    output = tmp_path / "grpc_benchmark.json"
    result = subprocess.run([sys.executable, os.path.join("bench", "grpc_benchmark.py"), "--clients", "2",
                             "--duration", "1", "--warmup", "0.2", "--output", str(output), *flags],
                            cwd=REPO, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ops/s" in result.stdout
    with open(output) as handle:
        return json.load(handle)


def test_grpc_benchmark_runs_against_a_three_node_cluster(tmp_path):
    report = run_benchmark(tmp_path, "--no-etcd")
    [spinelraft] = report["results"]
    assert spinelraft["target"] == "spinelraft" and report["nodes"] == 3
    assert spinelraft["operations"] > 0 and spinelraft["failures"] == 0


@pytest.mark.skipif(shutil.which("etcd") is None, reason="no etcd binary (Debian package etcd-server)")
def test_grpc_benchmark_compares_with_etcd(tmp_path):
    report = run_benchmark(tmp_path, "--no-spinelraft")
    [etcd] = report["results"]
    assert etcd["target"] == "etcd"
    assert etcd["operations"] > 0 and etcd["failures"] == 0

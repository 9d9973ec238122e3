"""bench/grpc_benchmark.py runs end to end (a one-second run with two clients)."""
import json
import os
import subprocess
import sys

from tests.conftest import REPO


def test_grpc_benchmark_runs():
    result = subprocess.run([sys.executable, os.path.join("bench", "grpc_benchmark.py"), "--clients", "2",
                             "--duration", "1"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ops_per_s" in result.stdout
    with open(os.path.join(REPO, "bench", "results", "grpc_benchmark.json")) as handle:
        report = json.load(handle)
    [spinelraft] = report["results"]
    assert spinelraft["operations"] > 0 and spinelraft["failures"] == 0

"""The Node.js client's own tests (node --test), run against real servers; skipped without node."""
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

CLIENT_DIR = os.path.join(REPO, "clients", "node")


def test_node_client_suite():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed")
    if not os.path.isdir(os.path.join(CLIENT_DIR, "node_modules", "@grpc", "grpc-js")):
        install = "ci" if os.path.exists(os.path.join(CLIENT_DIR, "package-lock.json")) else "install"
        result = subprocess.run([npm, install, "--no-audit", "--no-fund"], cwd=CLIENT_DIR,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    env = dict(os.environ, SPINELRAFT_PYTHON=sys.executable)
    result = subprocess.run([node, "--test", os.path.join("test", "client.test.js")], cwd=CLIENT_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout

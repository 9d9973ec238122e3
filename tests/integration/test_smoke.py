"""The server as users meet it: a real process on 127.0.0.1, redis-py and redis-cli."""
import shutil
import subprocess

import pytest


def test_set_get_incr(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.incr("n") == 1
    assert r.incrby("n", 5) == 6


def test_pipeline_keeps_order(r):
    pipe = r.pipeline(transaction=False)
    pipe.set("a", 1).get("a").incr("a").get("a").set("a", 10).get("a")
    assert pipe.execute() == [True, b"1", 2, b"2", True, b"10"]


def test_redis_cli(shared_server):
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is not installed")
    out = subprocess.run(["redis-cli", "-p", str(shared_server.port), "SET", "cli", "x"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "OK"
    out = subprocess.run(["redis-cli", "-p", str(shared_server.port), "GET", "cli"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "x"

"""Restart time of one node holding N keys (default 1M): from a RocksDB snapshot plus the journal.

    python bench/restart_time.py [--keys 1000000]

Loads N keys with pipelined MSETs, takes a snapshot (BGSAVE), writes a few more keys (so the
journal has entries after the snapshot), kill -9s the server, restarts it and reports the time
until it serves again and what the server logged ("shard 0 ready in X s").
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from redis_benchmark import REPO, free_port, wait_for_port  # noqa: E402


def start(port: int, data_dir: str):
    command = [sys.executable, "-m", "spinelraft.server", "--port", str(port), "--data-dir", data_dir,
               "--metrics-port", "0", "--grpc-port", "0", "--logfile", os.path.join(data_dir, "log")]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process, timeout_s=600)
    return process


def load(port: int, keys: int):
    import redis

    client = redis.Redis(port=port, socket_timeout=120)
    batch = 1000
    started = time.monotonic()
    pipe = client.pipeline(transaction=False)
    for first in range(0, keys, batch):
        pipe.mset({b"key:%09d" % n: b"value-%d" % n for n in range(first, min(first + batch, keys))})
        if (first // batch) % 20 == 19:
            pipe.execute()
        if first and first % 100_000 == 0:
            print("  loaded %d keys (%.0f keys/s)" % (first, first / (time.monotonic() - started)), flush=True)
    pipe.execute()
    return client


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spinelraft-restart-") as data_dir:
        port = free_port()
        process = start(port, data_dir)
        client = load(port, args.keys)
        print("loaded %d keys; snapshot ..." % args.keys, flush=True)
        before = client.info("persistence")["snapshots_completed"]
        client.bgsave()
        while client.info("persistence")["snapshots_completed"] == before:
            time.sleep(0.5)
        snapshot_s = client.info("persistence")["last_snapshot_duration_sec"]
        for n in range(1000):
            client.set(b"after:%d" % n, n)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        started = time.monotonic()
        process = start(port, data_dir)
        serving_s = time.monotonic() - started
        keys = client.dbsize()
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log = open(os.path.join(data_dir, "log")).read()
    ready = re.findall(r"shard 0 ready in ([0-9.]+) s", log)
    loaded = re.findall(r"loaded snapshot \S+ \((\d+) keys\) in ([0-9.]+) s", log)
    print("keys after restart: %d (expected %d)" % (keys, args.keys + 1000))
    print("snapshot of %d keys written in %s s (forked child; the node kept serving)" % (args.keys, snapshot_s))
    if loaded:
        print("snapshot loaded in %s s" % loaded[-1][1])
    print("restart: serving again after %.2f s (server log: ready in %s s)" % (serving_s, ready[-1] if ready else "?"))
    return 0 if keys == args.keys + 1000 else 1


if __name__ == "__main__":
    sys.exit(main())

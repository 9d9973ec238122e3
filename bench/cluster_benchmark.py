"""3-node SpinelRaft against 1-node SpinelRaft and redis-server, in one run, with ratios.

    python bench/cluster_benchmark.py [--nodes 3] [--requests 50000]

redis-benchmark SET and GET with 50 clients at -P 1 and -P 16 against the cluster's leader, and
one client's SET latency (p50/p99), next to the same figures for one node and redis-server.
Writes bench/results/cluster_benchmark.json.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)

from redis_benchmark import run_benchmark, start_redis, start_spinelraft, stop, wait_for_port  # noqa: E402

from spinelraft.local_cluster import free_port_block, write_configs  # noqa: E402


def start_cluster(directory: str, nodes: int):
    base = free_port_block(nodes)
    configs = write_configs(directory, nodes, base, "bench-secret")
    processes = [subprocess.Popen([sys.executable, "-m", "spinelraft.server", "--config", config,
                                   "--metrics-port", "0", "--grpc-port", "0"], cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for config in configs]
    for index, process in enumerate(processes):
        wait_for_port(base + index, process)
    return base, processes


def leader_port(base: int, nodes: int) -> int:
    import redis

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for index in range(nodes):
            if redis.Redis(port=base + index).info("raft").get("shard0_role") == "leader":
                return base + index
        time.sleep(0.2)
    raise RuntimeError("no leader")


def measure(label: str, port: int, requests: int) -> dict:
    figures = {}
    for pipeline in (1, 16):
        print("  %s: 50 clients, -P %d ..." % (label, pipeline), flush=True)
        figures["P%d" % pipeline] = run_benchmark(port, "set,get", requests * (4 if pipeline > 1 else 1), 50, pipeline)
    print("  %s: one client SET ..." % label, flush=True)
    figures["single"] = run_benchmark(port, "set", max(requests // 10, 2000), 1, 1)["SET"]
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50_000)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory(prefix="spinelraft-cluster-bench-") as scratch:
        base, processes = start_cluster(os.path.join(scratch, "cluster"), args.nodes)
        try:
            port = leader_port(base, args.nodes)
            print("%d-node cluster, leader on port %d" % (args.nodes, port))
            results["cluster"] = measure("%d nodes" % args.nodes, port, args.requests)
        finally:
            for process in processes:
                stop(process)
        port, process = start_spinelraft(os.path.join(scratch, "single"), "always")
        try:
            results["single"] = measure("1 node", port, args.requests)
        finally:
            stop(process)
        os.makedirs(os.path.join(scratch, "redis"))
        port, process = start_redis(os.path.join(scratch, "redis"))
        try:
            if port:
                results["redis"] = measure("redis-server", port, args.requests)
        finally:
            stop(process)
    print_table(results, args.nodes)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "cluster_benchmark.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    return 0


def print_table(results: dict, nodes: int):
    print()
    print("%-5s %-4s %12s %12s %12s %16s" % ("test", "pipe", "%d nodes/s" % nodes, "1 node/s", "redis/s",
                                            "cluster/1 node"))
    for mode in ("P1", "P16"):
        for test in ("SET", "GET"):
            cluster = results["cluster"][mode][test]["rps"]
            single = results["single"][mode][test]["rps"]
            redis = results.get("redis", {}).get(mode, {}).get(test, {}).get("rps", 0)
            print("%-5s %-4s %12.0f %12.0f %12.0f %15.0f%%" % (test, mode[1:], cluster, single, redis,
                                                              100 * cluster / single))
    for name in ("cluster", "single", "redis"):
        if name in results:
            single = results[name]["single"]
            print("one client SET on %-8s p50 %.3f ms  p99 %.3f ms" % (name, single["p50_ms"], single["p99_ms"]))


if __name__ == "__main__":
    sys.exit(main())

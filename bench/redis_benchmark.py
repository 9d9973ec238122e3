"""redis-benchmark against SpinelRaft (one node) and redis-server, in the same run, with ratios.

    python bench/redis_benchmark.py [--requests N] [--clients 50] [--tests set,get,...]

Starts both servers on free loopback ports (fresh data directories), runs redis-benchmark with
-P 1 and -P 16, then one client (-c 1 -P 1) for SET latency, prints a table and writes
bench/results/redis_benchmark.json (and a PNG chart when matplotlib is installed).
"""
import argparse
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_TESTS = "set,get,incr,lpush,lpop,sadd,hset,zadd"


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 < 65536:
            return port


def wait_for_port(port: int, process, timeout_s: float = 60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited with %s" % process.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("port %d not ready" % port)


def start_spinelraft(data_dir: str, fsync: str):
    port = free_port()
    command = [sys.executable, "-m", "spinelraft.server", "--port", str(port), "--data-dir", data_dir,
               "--metrics-port", "0", "--grpc-port", "0", "--appendfsync", fsync,
               "--logfile", os.path.join(data_dir, "log")]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return port, process


def start_redis(data_dir: str):
    binary = shutil.which("redis-server")
    if binary is None:
        return None, None
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", data_dir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return port, process


def stop(process):
    if process is not None and process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)


def run_benchmark(port: int, tests: str, requests: int, clients: int, pipeline: int) -> dict:
    command = ["redis-benchmark", "-p", str(port), "-t", tests, "-n", str(requests), "-c", str(clients),
               "-P", str(pipeline), "-r", "100000", "--csv"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=900).stdout
    results = {}
    for row in csv.DictReader(io.StringIO(output)):
        name = row["test"].split(" ")[0]
        results[name] = {"rps": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]),
                         "p99_ms": float(row["p99_latency_ms"])}
    return results


def measure(label, port, tests, requests, clients):
    figures = {}
    for pipeline in (1, 16):
        print("  %s: %d clients, -P %d, %d requests per test ..." % (label, clients, pipeline, requests),
              flush=True)
        figures["P%d" % pipeline] = run_benchmark(port, tests, requests * (4 if pipeline > 1 else 1),
                                                  clients, pipeline)
    print("  %s: one client SET latency ..." % label, flush=True)
    figures["single"] = run_benchmark(port, "set", max(requests // 10, 2000), 1, 1)
    return figures


def print_table(ours: dict, theirs: dict):
    print()
    print("%-8s %-4s %14s %14s %8s %10s %10s" % ("test", "pipe", "spinelraft/s", "redis/s", "ratio",
                                               "ours p50", "redis p50"))
    for mode in ("P1", "P16"):
        for test, row in ours[mode].items():
            other = (theirs or {}).get(mode, {}).get(test)
            ratio = "%.0f%%" % (100 * row["rps"] / other["rps"]) if other else "-"
            print("%-8s %-4s %14.0f %14s %8s %9.2fms %10s" % (
                test, mode[1:], row["rps"], "%.0f" % other["rps"] if other else "-", ratio, row["p50_ms"],
                "%.2fms" % other["p50_ms"] if other else "-"))
    single = ours["single"].get("SET")
    if single:
        print("\none client SET (-c 1 -P 1): p50 %.3f ms, p99 %.3f ms, %.0f ops/s"
              % (single["p50_ms"], single["p99_ms"], single["rps"]))


def plot(ours, theirs, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, axes = plt.subplots(1, 2, figsize=(12, 4))
    for axis, mode in zip(axes, ("P1", "P16")):
        tests = list(ours[mode])
        positions = range(len(tests))
        axis.bar([p - 0.2 for p in positions], [ours[mode][t]["rps"] for t in tests], 0.4, label="SpinelRaft")
        if theirs:
            axis.bar([p + 0.2 for p in positions], [theirs[mode].get(t, {}).get("rps", 0) for t in tests],
                     0.4, label="redis-server")
        axis.set_xticks(list(positions), tests, rotation=30)
        axis.set_title("50 clients, -P %s" % mode[1:])
        axis.set_ylabel("ops/s")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000, help="requests per test at -P 1 (x4 at -P 16)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default=DEFAULT_TESTS)
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--output", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    if shutil.which("redis-benchmark") is None:
        print("redis-benchmark is not installed (apt-get install redis-tools)", file=sys.stderr)
        return 2
    os.makedirs(args.output, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spinelraft-bench-") as scratch:
        ours_port, ours_process = start_spinelraft(os.path.join(scratch, "spinelraft"), args.appendfsync)
        try:
            print("SpinelRaft (1 node, appendfsync %s) on port %d" % (args.appendfsync, ours_port))
            ours = measure("spinelraft", ours_port, args.tests, args.requests, args.clients)
        finally:
            stop(ours_process)
        redis_dir = os.path.join(scratch, "redis")
        os.makedirs(redis_dir)
        redis_port, redis_process = start_redis(redis_dir)
        theirs = None
        try:
            if redis_port:
                print("redis-server on port %d" % redis_port)
                theirs = measure("redis", redis_port, args.tests, args.requests, args.clients)
        finally:
            stop(redis_process)
    print_table(ours, theirs)
    report = {"spinelraft": ours, "redis": theirs, "requests": args.requests, "clients": args.clients,
              "appendfsync": args.appendfsync, "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(os.path.join(args.output, "redis_benchmark.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    chart = plot(ours, theirs, os.path.join(args.output, "redis_benchmark.png"))
    if chart:
        print("chart: %s" % chart)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""gRPC benchmark: N concurrent clients, each doing Set then a linearizable Get, for a fixed time.

    python bench/grpc_benchmark.py [--clients 16] [--duration 10] [--address host:port]
                                   [--appendfsync always] [--etcd]

Without --address it starts its own spinelraft-server (fresh data directory, free loopback
ports). Keys are 16 bytes, values 100 bytes (--key-size, --value-size), spread over --keys keys.
Prints ops/s and p50/p99 latency of Set and Get, and writes bench/results/grpc_benchmark.json.
With --etcd, and when an `etcd` binary and the `etcd3` Python package are both installed, the
same loop runs against a local etcd for comparison (nothing is installed for it).
"""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 100 < 65536:
            return port


def percentile(samples: list, fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_server(data_dir: str, fsync: str):
    import grpc

    from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    port, grpc_port = free_port(), free_port()
    command = [sys.executable, "-m", "spinelraft.server", "--port", str(port), "--grpc-port", str(grpc_port),
               "--data-dir", data_dir, "--metrics-port", "0", "--appendfsync", fsync,
               "--logfile", os.path.join(data_dir, "log")]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = "127.0.0.1:%d" % grpc_port
    deadline = time.monotonic() + 60
    with grpc.insecure_channel(address) as channel:
        while True:
            if process.poll() is not None:
                raise RuntimeError("spinelraft-server exited with %s" % process.returncode)
            try:
                if pb_grpc.ClusterStub(channel).Status(pb.StatusRequest(), timeout=1).ready:
                    return address, process
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("spinelraft-server not ready")
            time.sleep(0.1)


def stop(process):
    if process is not None and process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)


def key_for(client: int, index: int, key_size: int) -> bytes:
    return (b"k%03d:%012d" % (client, index)).ljust(key_size, b"_")[:key_size]


async def spinelraft_client(address, client, args, stop_at, set_times, get_times, failures):
    import grpc

    from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    value = os.urandom(args.value_size // 2).hex().encode().ljust(args.value_size, b"v")
    async with grpc.aio.insecure_channel(address) as channel:
        kv = pb_grpc.KVStub(channel)
        index = 0
        while time.perf_counter() < stop_at:
            key = key_for(client, index % args.keys, args.key_size)
            index += 1
            started = time.perf_counter()
            try:
                await kv.Set(pb.SetRequest(key=key, value=value), timeout=10)
                middle = time.perf_counter()
                reply = await kv.Get(pb.GetRequest(key=key), timeout=10)
                ended = time.perf_counter()
            except grpc.RpcError:
                failures.append(1)
                continue
            if reply.value != value:
                raise AssertionError("read %r after writing %r" % (reply.value, value))
            set_times.append(middle - started)
            get_times.append(ended - middle)


def run_spinelraft(address: str, args) -> dict:
    set_times, get_times, failures = [], [], []

    async def main():
        stop_at = time.perf_counter() + args.duration
        await asyncio.gather(*[spinelraft_client(address, client, args, stop_at, set_times, get_times, failures)
                               for client in range(args.clients)])

    started = time.perf_counter()
    asyncio.run(main())
    return summarize("spinelraft", set_times, get_times, failures, time.perf_counter() - started)


def run_etcd(args) -> dict:
    """The same loop against a local etcd (threads, one etcd3 client each)."""
    import etcd3

    data_dir = tempfile.mkdtemp(prefix="grpc-bench-etcd-")
    client_port, peer_port = free_port(), free_port()
    process = subprocess.Popen(
        [shutil.which("etcd"), "--data-dir", data_dir,
         "--listen-client-urls", "http://127.0.0.1:%d" % client_port,
         "--advertise-client-urls", "http://127.0.0.1:%d" % client_port,
         "--listen-peer-urls", "http://127.0.0.1:%d" % peer_port],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        set_times, get_times, failures = [], [], []
        stop_at = time.perf_counter() + args.duration

        def worker(client):
            etcd = etcd3.client(host="127.0.0.1", port=client_port)
            value = b"v" * args.value_size
            index = 0
            while time.perf_counter() < stop_at:
                key = key_for(client, index % args.keys, args.key_size)
                index += 1
                started = time.perf_counter()
                etcd.put(key, value)
                middle = time.perf_counter()
                etcd.get(key)  # etcd reads are linearizable by default
                ended = time.perf_counter()
                set_times.append(middle - started)
                get_times.append(ended - middle)

        threads = [threading.Thread(target=worker, args=(client,)) for client in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 30)
        return summarize("etcd", set_times, get_times, failures, time.perf_counter() - started)
    finally:
        stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


def summarize(name, set_times, get_times, failures, elapsed) -> dict:
    operations = len(set_times) + len(get_times)
    return {
        "target": name,
        "seconds": round(elapsed, 2),
        "ops_per_s": round(operations / elapsed, 1) if elapsed else 0.0,
        "set_p50_ms": round(percentile(set_times, 0.50) * 1000, 3),
        "set_p99_ms": round(percentile(set_times, 0.99) * 1000, 3),
        "get_p50_ms": round(percentile(get_times, 0.50) * 1000, 3),
        "get_p99_ms": round(percentile(get_times, 0.99) * 1000, 3),
        "operations": operations,
        "failures": len(failures),
    }


def print_table(results: list, args):
    print("%d clients, %.0f s, %d-byte keys, %d-byte values (Set then linearizable Get)"
          % (args.clients, args.duration, args.key_size, args.value_size))
    columns = ("target", "ops_per_s", "set_p50_ms", "set_p99_ms", "get_p50_ms", "get_p99_ms", "failures")
    print("  ".join("%-12s" % column for column in columns))
    for result in results:
        print("  ".join("%-12s" % result[column] for column in columns))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--address", help="an already running server's gRPC host:port")
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--key-size", type=int, default=16)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--keys", type=int, default=10_000, help="distinct keys per client")
    parser.add_argument("--etcd", action="store_true", help="also run against a local etcd if installed")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    results = []
    process = None
    data_dir = None
    try:
        address = args.address
        if address is None:
            data_dir = tempfile.mkdtemp(prefix="grpc-bench-")
            address, process = start_server(data_dir, args.appendfsync)
        results.append(run_spinelraft(address, args))
    finally:
        stop(process)
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    if args.etcd:
        try:
            import etcd3  # noqa: F401
        except ImportError:
            etcd3 = None
        if shutil.which("etcd") is None or etcd3 is None:
            print("etcd comparison skipped: needs an etcd binary and the etcd3 Python package")
        else:
            results.append(run_etcd(args))
    print_table(results, args)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "grpc_benchmark.json"), "w") as handle:
        json.dump({"clients": args.clients, "duration_s": args.duration, "results": results}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

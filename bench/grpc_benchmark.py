"""gRPC benchmark: a 3-node SpinelRaft cluster against a 3-node etcd, same workload, same clients.

    python bench/grpc_benchmark.py [--clients 16,64] [--duration 10] [--nodes 3]
                                   [--procs 2] [--no-etcd] [--address host:port]

Each client loops: Set (a 16-byte key, a 100-byte value), then a linearizable Get of that key,
checking it reads what it wrote, until the time is up. The clients are grpc.aio coroutines spread
over --procs load-generator processes (one asyncio loop and one channel each), and the same code
drives both systems; only the stubs differ. Every client talks to the leader. The first
--warmup seconds of each run are not counted.

SpinelRaft: --nodes nodes on 127.0.0.1 (spinelraft.local_cluster.write_configs, appendfsync
always, the multi-node default), Set = KV.Set, Get = KV.Get (linearizable: a read barrier).
etcd (when an `etcd` binary is on the PATH, e.g. Debian's etcd-server, and --no-etcd is not
given): as many members on 127.0.0.1, Set = KV.Put, Get = KV.Range with serializable = false
(etcd's default, a ReadIndex read); the stubs are generated from bench/etcd/*.proto at run time.

Prints progress while it runs and a table with ops/s (Set and Get both count), p50/p99 of all
operations and of Set and Get, and the SpinelRaft/etcd ratios; writes bench/results/
grpc_benchmark.json and, with matplotlib, bench/results/grpc_benchmark.png. --address runs
against a SpinelRaft server that is already running instead of starting a cluster.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

READY_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 10.0


# -- ports, processes -----------------------------------------------------------------------------
def free_block(count: int, offsets=(0, 100, 200, 300), start: int = 20000) -> int:
    """A base port such that base + offset + i is free for every offset and i < count."""
    from spinelraft.local_cluster import free_port_block

    return free_port_block(count, offsets, start + os.getpid() % 50 * 10)


def stop_processes(processes):
    for process in processes:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def load_average() -> list:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


# -- SpinelRaft -------------------------------------------------------------------------------------
def spinelraft_leader_of(address: str):
    """(serving, this node is the leader) from the health service and Cluster.Members (not
    Cluster.Status: that would attach the Watch change feed and tax every applied entry)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        members = pb_grpc.ClusterStub(channel).Members(pb.MembersRequest(), timeout=1).members
    serving = health.status == health_pb2.HealthCheckResponse.SERVING
    return serving, any(member.is_self and member.is_leader for member in members)


def start_spinelraft(directory: str, nodes: int, fsync: str):
    """(gRPC address of the leader, processes) of a fresh cluster of `nodes` nodes."""
    from spinelraft.local_cluster import write_configs

    base = free_block(nodes)
    configs = write_configs(directory, nodes, base, "grpc-bench-secret")
    processes = []
    for config in configs:
        with open(os.path.join(os.path.dirname(config), "stdout.log"), "wb") as output:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "spinelraft.server", "--config", config, "--appendfsync", fsync],
                cwd=REPO, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    addresses = ["127.0.0.1:%d" % (base + 300 + index) for index in range(nodes)]
    try:
        return wait_spinelraft_leader(addresses, processes), processes
    except BaseException:
        stop_processes(processes)
        raise


def wait_spinelraft_leader(addresses, processes=()) -> str:
    import grpc

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError("spinelraft-server exited with %s" % process.returncode)
        states = []
        for address in addresses:
            try:
                states.append((address,) + spinelraft_leader_of(address))
            except grpc.RpcError:  # not listening yet
                break
        if len(states) == len(addresses) and all(serving for _, serving, _ in states):
            leaders = [address for address, _, leader in states if leader]
            if len(leaders) == 1:
                return leaders[0]
        time.sleep(0.2)
    raise RuntimeError("the SpinelRaft cluster did not elect a leader in %.0f s" % READY_TIMEOUT_S)


# -- the Python gRPC floor --------------------------------------------------------------------------
FLOOR = "grpc-aio-floor"


def serve_floor(port: int):
    """A grpc.aio server (uvloop, as spinelraft-server) whose KV.Set stores in a dict and KV.Get
    reads it: no Raft, no state machine. What this machine's Python gRPC costs per call."""
    import grpc

    from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    data = {}

    class KV(pb_grpc.KVServicer):
        async def Set(self, request, context):
            data[request.key] = request.value
            return pb.SetResponse(applied=True)

        async def Get(self, request, context):
            value = data.get(request.key)
            return pb.GetResponse(found=value is not None, value=value or b"")

    async def main():
        server = grpc.aio.server()
        pb_grpc.add_KVServicer_to_server(KV(), server)
        server.add_insecure_port("127.0.0.1:%d" % port)
        await server.start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await server.stop(0)

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())


def start_floor():
    import grpc

    port = free_block(1, offsets=(0,), start=40000)
    process = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-floor", str(port)], cwd=REPO,
                               stdin=subprocess.DEVNULL)
    address = "127.0.0.1:%d" % port
    try:
        with grpc.insecure_channel(address) as channel:
            grpc.channel_ready_future(channel).result(timeout=READY_TIMEOUT_S)
    except BaseException:
        stop_processes([process])
        raise
    return address, process


# -- etcd -------------------------------------------------------------------------------------------
def generate_etcd_stubs(directory: str) -> str:
    """Python stubs for bench/etcd/{rpc,kv}.proto in `directory` (which goes on sys.path)."""
    from grpc_tools import protoc

    proto_dir = os.path.join(HERE, "etcd")
    os.makedirs(directory, exist_ok=True)
    code = protoc.main(["grpc_tools.protoc", "-I", proto_dir, "--python_out", directory,
                        "--grpc_python_out", directory, os.path.join(proto_dir, "kv.proto"),
                        os.path.join(proto_dir, "rpc.proto")])
    if code != 0:
        raise RuntimeError("protoc failed on bench/etcd/*.proto")
    return directory


def etcd_modules(stub_dir: str):
    if stub_dir not in sys.path:
        sys.path.insert(0, stub_dir)
    import rpc_pb2
    import rpc_pb2_grpc

    return rpc_pb2, rpc_pb2_grpc


def start_etcd(directory: str, members: int, stub_dir: str):
    """(client address of the leader, processes) of a fresh etcd cluster on 127.0.0.1."""
    base = free_block(members, offsets=(0, 100), start=30000)
    names = ["e%d" % (index + 1) for index in range(members)]
    peers = ["http://127.0.0.1:%d" % (base + 100 + index) for index in range(members)]
    initial = ",".join("%s=%s" % pair for pair in zip(names, peers))
    processes = []
    for index, name in enumerate(names):
        client = "http://127.0.0.1:%d" % (base + index)
        member_dir = os.path.join(directory, name)
        os.makedirs(member_dir)
        with open(os.path.join(member_dir, "etcd.log"), "wb") as output:
            processes.append(subprocess.Popen(
                [shutil.which("etcd"), "--name", name, "--data-dir", os.path.join(member_dir, "data"),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peers[index], "--initial-advertise-peer-urls", peers[index],
                 "--initial-cluster", initial, "--initial-cluster-token", "grpc-bench",
                 "--initial-cluster-state", "new", "--log-level", "warn"],
                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    addresses = ["127.0.0.1:%d" % (base + index) for index in range(members)]
    try:
        return wait_etcd_leader(addresses, processes, stub_dir), processes
    except BaseException:
        stop_processes(processes)
        raise


def wait_etcd_leader(addresses, processes, stub_dir: str) -> str:
    import grpc

    pb, pb_grpc = etcd_modules(stub_dir)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError("etcd exited with %s" % process.returncode)
        for address in addresses:
            try:
                with grpc.insecure_channel(address) as channel:
                    status = pb_grpc.MaintenanceStub(channel).Status(pb.StatusRequest(), timeout=1)
                    if status.leader and status.leader == status.header.member_id:
                        # one linearizable read: the cluster is up and serving
                        pb_grpc.KVStub(channel).Range(pb.RangeRequest(key=b"warm"), timeout=5)
                        return address
            except grpc.RpcError:
                pass
        time.sleep(0.2)
    raise RuntimeError("the etcd cluster did not elect a leader in %.0f s" % READY_TIMEOUT_S)


# -- the load generator (one process per --procs) --------------------------------------------------
def key_for(client: int, index: int, key_size: int) -> bytes:
    return (b"k%03d:%011d" % (client, index)).ljust(key_size, b"_")[:key_size]


def value_for(client: int, serial: int, value_size: int) -> bytes:
    return (b"c%03d:%012d:" % (client, serial)).ljust(value_size, b"v")[:value_size]


def make_calls(target: str, channel, stub_dir: str):
    """(set(key, value), get(key) -> value or None) coroutines for one system."""
    if target == "etcd":
        pb, pb_grpc = etcd_modules(stub_dir)
        kv = pb_grpc.KVStub(channel)
        Put, Range, PutRequest, RangeRequest = kv.Put, kv.Range, pb.PutRequest, pb.RangeRequest

        async def set_(key, value):
            await Put(PutRequest(key=key, value=value), timeout=CALL_TIMEOUT_S)

        async def get(key):
            reply = await Range(RangeRequest(key=key), timeout=CALL_TIMEOUT_S)  # linearizable
            return reply.kvs[0].value if reply.kvs else None

        return set_, get
    from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
    from spinelraft.grpc_api.generated import spinelraft_pb2_grpc as pb_grpc

    kv = pb_grpc.KVStub(channel)
    Set, Get, SetRequest, GetRequest = kv.Set, kv.Get, pb.SetRequest, pb.GetRequest

    async def set_(key, value):
        await Set(SetRequest(key=key, value=value), timeout=CALL_TIMEOUT_S)

    async def get(key):
        reply = await Get(GetRequest(key=key), timeout=CALL_TIMEOUT_S)  # linearizable by default
        return reply.value if reply.found else None

    return set_, get


async def _load(spec, progress, slot, go, start_at):
    import grpc

    perf = time.perf_counter
    sets, gets = [], []
    failures = []
    async with grpc.aio.insecure_channel(spec["address"]) as channel:
        await asyncio.wait_for(channel.channel_ready(), READY_TIMEOUT_S)
        set_, get = make_calls(spec["target"], channel, spec["stub_dir"])
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        measure_from = start_at.value + spec["warmup"]
        stop_at = measure_from + spec["duration"]
        counted = [0]

        async def client(number):
            index = serial = 0
            while True:
                started = perf()
                if started >= stop_at:
                    return
                key = key_for(number, index % spec["keys"], spec["key_size"])
                value = value_for(number, serial, spec["value_size"])
                index += 1
                serial += 1
                try:
                    await set_(key, value)
                    middle = perf()
                    read = await get(key)
                    ended = perf()
                except grpc.RpcError as error:
                    if len(failures) < 1000:
                        failures.append("%s: %s" % (error.code(), error.details()))
                    continue
                if read != value:
                    failures.append("client %d read %r after writing %r" % (number, read, value))
                    continue
                if started >= measure_from and ended <= stop_at:
                    sets.append(middle - started)
                    gets.append(ended - middle)
                    counted[0] += 2
                    progress[slot] = counted[0]

        await asyncio.gather(*[client(number) for number in spec["clients"]])
    return sets, gets, failures


def load_process(spec, results, progress, slot, go, start_at):
    """One load-generator process: its share of the clients on one asyncio loop."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        sets, gets, failures = asyncio.run(_load(spec, progress, slot, go, start_at))
        results.put((slot, sets, gets, failures, None))
    except BaseException as error:  # noqa: BLE001 - reported by the parent
        results.put((slot, [], [], [], "%s: %s" % (type(error).__name__, error)))


def percentile(samples: list, fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_load(target: str, address: str, clients: int, args, stub_dir: str = "") -> dict:
    """`clients` clients against one system for warmup + duration seconds, with progress."""
    context = multiprocessing.get_context("spawn")  # no gRPC state inherited across fork
    procs = max(1, min(args.procs, clients))
    progress = context.RawArray("q", procs)
    results = context.Queue()
    go = context.Event()
    start_at = context.RawValue("d", 0.0)
    workers = []
    for slot in range(procs):
        spec = {"target": target, "address": address, "clients": list(range(slot, clients, procs)),
                "stub_dir": stub_dir, "warmup": args.warmup, "duration": args.duration,
                "keys": args.keys, "key_size": args.key_size, "value_size": args.value_size}
        worker = context.Process(target=load_process, args=(spec, results, progress, slot, go, start_at),
                                 daemon=True)
        worker.start()
        workers.append(worker)
    time.sleep(0.5)
    load_before = load_average()
    start_at.value = time.perf_counter()
    go.set()
    label = "%s, %d clients" % (target, clients)
    end = start_at.value + args.warmup + args.duration
    last_count, last_time = 0, start_at.value + args.warmup
    collected = {}
    while len(collected) < procs:
        try:
            slot, sets, gets, failures, error = results.get(timeout=1.0)
            collected[slot] = (sets, gets, failures, error)
            continue
        except Exception:  # noqa: BLE001 - queue.Empty: time for a progress line
            pass
        now = time.perf_counter()
        if now > end + READY_TIMEOUT_S:
            break
        if now < start_at.value + args.warmup:
            print("  %s: warming up" % label, flush=True)
            continue
        count = sum(progress)
        if now <= end + 0.5:
            print("  %s: %4.1f/%.0f s, %8.0f ops/s now, %d ops" % (
                label, min(now, end) - start_at.value - args.warmup, args.duration,
                (count - last_count) / max(now - last_time, 1e-6), count), flush=True)
        last_count, last_time = count, now
    for worker in workers:
        worker.join(timeout=10)
        if worker.is_alive():
            worker.kill()
    errors = [item[3] for item in collected.values() if item[3]]
    if len(collected) < procs or errors:
        raise RuntimeError("%s: load generator failed: %s" % (label, errors or "no result"))
    sets = [sample for item in collected.values() for sample in item[0]]
    gets = [sample for item in collected.values() for sample in item[1]]
    failures = [failure for item in collected.values() for failure in item[2]]
    result = summarize(target, clients, sets, gets, failures, args.duration)
    result["load_average_before"] = load_before
    result["load_average_after"] = load_average()
    print("  %s: %.0f ops/s, p50 %.2f ms, p99 %.2f ms, %d failures"
          % (label, result["ops_per_s"], result["p50_ms"], result["p99_ms"], result["failures"]), flush=True)
    return result


def summarize(name, clients, sets, gets, failures, seconds) -> dict:
    both = sets + gets
    ms = 1000.0
    return {
        "target": name,
        "clients": clients,
        "seconds": seconds,
        "operations": len(both),
        "ops_per_s": round(len(both) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(both, 0.50) * ms, 3),
        "p99_ms": round(percentile(both, 0.99) * ms, 3),
        "set_p50_ms": round(percentile(sets, 0.50) * ms, 3),
        "set_p99_ms": round(percentile(sets, 0.99) * ms, 3),
        "get_p50_ms": round(percentile(gets, 0.50) * ms, 3),
        "get_p99_ms": round(percentile(gets, 0.99) * ms, 3),
        "failures": len(failures),
        "failure_samples": failures[:5],
    }


# -- report -----------------------------------------------------------------------------------------
def ratios(results: list) -> list:
    by_key = {(result["target"], result["clients"]): result for result in results}
    rows = []
    for (target, clients), ours in sorted(by_key.items(), key=lambda item: item[0][1]):
        theirs = by_key.get(("etcd", clients))
        if target != "spinelraft" or theirs is None or not theirs["ops_per_s"]:
            continue
        rows.append({"clients": clients,
                     "ops_per_s": round(ours["ops_per_s"] / theirs["ops_per_s"], 2),
                     "p50": round(ours["p50_ms"] / theirs["p50_ms"], 2) if theirs["p50_ms"] else None,
                     "p99": round(ours["p99_ms"] / theirs["p99_ms"], 2) if theirs["p99_ms"] else None})
    return rows


def format_table(results: list, comparison: list) -> str:
    header = ("clients", "system", "ops/s", "p50 ms", "p99 ms", "Set p50", "Set p99", "Get p50", "Get p99",
              "failures")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    order = {"spinelraft": 0, "etcd": 1, FLOOR: 2}
    for result in sorted(results, key=lambda item: (item["clients"], order.get(item["target"], 3))):
        lines.append("| %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |" % (
            result["clients"], result["target"], result["ops_per_s"], result["p50_ms"], result["p99_ms"],
            result["set_p50_ms"], result["set_p99_ms"], result["get_p50_ms"], result["get_p99_ms"],
            result["failures"]))
    for row in comparison:
        lines.append("| %d | **SpinelRaft/etcd** | **%.2fx** | %sx | %sx | | | | | |"
                     % (row["clients"], row["ops_per_s"], row["p50"], row["p99"]))
    return "\n".join(lines)


def plot(results: list, path: str):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    targets = [target for target in ("spinelraft", "etcd", FLOOR) if any(r["target"] == target for r in results)]
    counts = sorted({result["clients"] for result in results})
    by_key = {(result["target"], result["clients"]): result for result in results}
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(targets)
    for offset, target in enumerate(targets):
        positions = [index + (offset - (len(targets) - 1) / 2) * width for index in range(len(counts))]
        rows = [by_key.get((target, clients), {}) for clients in counts]
        axes[0].bar(positions, [row.get("ops_per_s", 0) for row in rows], width, label=target)
        axes[1].bar(positions, [row.get("p99_ms", 0) for row in rows], width, label=target)
    for axis, title, unit in ((axes[0], "throughput (Set + linearizable Get)", "ops/s"),
                              (axes[1], "p99 latency", "ms")):
        axis.set_xticks(range(len(counts)), ["%d clients" % count for count in counts])
        axis.set_title(title)
        axis.set_ylabel(unit)
        axis.legend()
    figure.suptitle("gRPC, 3-node clusters on 127.0.0.1, 16-byte keys, 100-byte values")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path


# -- main -------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="16,64", help="comma-separated client counts (default 16,64)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring, per run")
    parser.add_argument("--nodes", type=int, default=3, help="cluster size for both systems")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run everything this many times, alternating which system goes first; "
                             "the table shows the median of each figure")
    parser.add_argument("--procs", type=int, default=2, help="load-generator processes")
    parser.add_argument("--address", help="an already running SpinelRaft leader's gRPC host:port")
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--key-size", type=int, default=16)
    parser.add_argument("--value-size", type=int, default=100)
    parser.add_argument("--keys", type=int, default=10_000, help="distinct keys per client")
    parser.add_argument("--no-etcd", action="store_true", help="skip etcd even when it is installed")
    parser.add_argument("--no-spinelraft", action="store_true", help="run etcd only")
    parser.add_argument("--floor", action="store_true",
                        help="also run the same load against a no-op Python grpc.aio server (dict "
                             "behind KV.Set/Get): what Python gRPC alone allows on this machine")
    parser.add_argument("--serve-floor", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help="where the clusters keep their data (default: a temp dir)")
    parser.add_argument("--output", default=os.path.join(HERE, "results", "grpc_benchmark.json"))
    args = parser.parse_args(argv)
    args.client_counts = [int(count) for count in args.clients.split(",") if count.strip()]
    if args.key_size < 16:
        parser.error("--key-size must be at least 16 (client number and index are in the key)")
    return args


def run_spinelraft(args, root: str, round_number: int) -> list:
    processes = []
    try:
        if args.address:
            address = args.address
        else:
            print("starting a %d-node SpinelRaft cluster (appendfsync %s)" % (args.nodes, args.appendfsync),
                  flush=True)
            address, processes = start_spinelraft(os.path.join(root, "spinelraft-%d" % round_number),
                                                  args.nodes, args.appendfsync)
        print("SpinelRaft leader at %s" % address, flush=True)
        return [run_load("spinelraft", address, clients, args) for clients in args.client_counts]
    finally:
        stop_processes(processes)


def run_etcd(args, root: str, round_number: int, stub_dir: str) -> list:
    print("starting a %d-member etcd cluster" % args.nodes, flush=True)
    processes = []
    try:
        address, processes = start_etcd(os.path.join(root, "etcd-%d" % round_number), args.nodes, stub_dir)
        print("etcd leader at %s" % address, flush=True)
        return [run_load("etcd", address, clients, args, stub_dir) for clients in args.client_counts]
    finally:
        stop_processes(processes)


def run_floor(args) -> list:
    print("starting a no-op Python grpc.aio KV server (the floor)", flush=True)
    address, process = start_floor()
    try:
        return [run_load(FLOOR, address, clients, args) for clients in args.client_counts]
    finally:
        stop_processes([process])


def medians(runs: list) -> list:
    """One row per (system, clients): the median of each figure over the rounds."""
    groups = {}
    for run in runs:
        groups.setdefault((run["target"], run["clients"]), []).append(run)
    rows = []
    for (target, clients), group in groups.items():
        row = {"target": target, "clients": clients, "rounds": len(group)}
        for field in ("ops_per_s", "p50_ms", "p99_ms", "set_p50_ms", "set_p99_ms", "get_p50_ms", "get_p99_ms"):
            values = sorted(run[field] for run in group)
            middle = len(values) // 2
            row[field] = values[middle] if len(values) % 2 else round((values[middle - 1] + values[middle]) / 2, 3)
        row["operations"] = sum(run["operations"] for run in group)
        row["failures"] = sum(run["failures"] for run in group)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.serve_floor:
        serve_floor(args.serve_floor)
        return 0
    root = tempfile.mkdtemp(prefix="grpc-bench-", dir=args.data_dir)
    runs = []
    notes = []
    systems = [] if args.no_spinelraft else ["spinelraft"]
    stub_dir = ""
    if args.no_etcd:
        pass
    elif shutil.which("etcd") is None:
        notes.append("etcd comparison skipped: no etcd binary (Debian: apt-get install etcd-server)")
        print(notes[-1], flush=True)
    else:
        systems.append("etcd")
        notes.append(subprocess.run([shutil.which("etcd"), "--version"], capture_output=True,
                                    text=True).stdout.split("\n")[0])
    if args.floor:
        systems.append(FLOOR)
    print("load average before: %s, %d CPUs" % (load_average(), os.cpu_count() or 0), flush=True)
    try:
        if "etcd" in systems:
            stub_dir = generate_etcd_stubs(os.path.join(root, "etcd-stubs"))
        for round_number in range(args.rounds):
            if args.rounds > 1:
                print("round %d of %d" % (round_number + 1, args.rounds), flush=True)
            order = systems if round_number % 2 == 0 else systems[::-1]  # alternate who goes first
            for system in order:
                if system == "spinelraft":
                    batch = run_spinelraft(args, root, round_number)
                elif system == FLOOR:
                    batch = run_floor(args)
                else:
                    batch = run_etcd(args, root, round_number, stub_dir)
                for run in batch:
                    run["round"] = round_number + 1
                runs += batch
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results = medians(runs)
    comparison = ratios(results)
    print()
    print("Set then linearizable Get, %d-byte keys, %d-byte values, %.0f s per run%s, %d-node clusters, "
          "%d load processes; load average now %s"
          % (args.key_size, args.value_size, args.duration,
             " (median of %d rounds)" % args.rounds if args.rounds > 1 else "", args.nodes, args.procs,
             load_average()))
    print(format_table(results, comparison))
    for note in notes:
        print(note)
    output = os.path.abspath(args.output)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    report = {"duration_s": args.duration, "warmup_s": args.warmup, "rounds": args.rounds, "nodes": args.nodes,
              "procs": args.procs, "appendfsync": args.appendfsync, "key_size": args.key_size,
              "value_size": args.value_size, "cpus": os.cpu_count(), "load_average_after": load_average(),
              "notes": notes, "results": results, "ratios": comparison, "runs": runs}
    with open(output, "w") as handle:
        json.dump(report, handle, indent=2)
    print("wrote %s" % output)
    chart = plot(results, os.path.splitext(output)[0] + ".png") if results else None
    if chart:
        print("wrote %s" % chart)
    return 1 if any(result["failures"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())

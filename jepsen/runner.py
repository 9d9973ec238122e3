"""One run: cluster up, clients and nemesis for --time seconds, heal, final reads, check, store.

Everything the run starts (server processes, iptables rules, its temporary data directory) is
undone in a finally block, and again at exit (atexit, SIGTERM), whatever happens.
"""
import atexit
import datetime
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback

import redis

from jepsen import nemesis as nemeses
from jepsen.checkers import merge_validity
from jepsen.clients import ClientThread, run_final_operations
from jepsen.cluster import Cluster, pick_subnet
from jepsen.history import FAIL, INFO, OK, History, pair_ops
from jepsen.net import Network
from jepsen.workloads import WORKLOADS

RECOVERY_TIMEOUT_S = 60.0
FINAL_READS_BUDGET_S = 60.0


class Progress:
    def __init__(self, start: float, quiet: bool = False):
        self.start = start
        self.quiet = quiet
        self.lines = []

    def __call__(self, message: str):
        line = "[%7.1fs] %s" % (time.monotonic() - self.start, message)
        self.lines.append(line)
        if not self.quiet:
            print(line, flush=True)


class Cleanup:
    """Undo actions run once: from the finally block, atexit, or a SIGTERM/SIGINT."""

    def __init__(self):
        self.actions = []
        self.done = False
        self.lock = threading.Lock()

    def add(self, action):
        self.actions.append(action)

    def run(self):
        with self.lock:
            if self.done:
                return
            self.done = True
            for action in reversed(self.actions):
                try:
                    action()
                except Exception as error:  # noqa: BLE001 - keep undoing the rest
                    print("cleanup: %s" % error, file=sys.stderr)


def parse_nemeses(text: str) -> list:
    names = [name.strip() for name in (text or "").split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in names if name not in nemeses.NEMESES]
    if unknown:
        raise SystemExit("unknown nemesis %s (choose from %s)" % (", ".join(unknown), ", ".join(nemeses.NEMESES)))
    return names


def plan_nemeses(requested, network_reason):
    """(names to run, {name: why skipped}, {name: why unsupported})."""
    skipped, unsupported, run = {}, {}, []
    for name in requested:
        if name in nemeses.UNSUPPORTED:
            unsupported[name] = nemeses.UNSUPPORTED[name]
        elif name in nemeses.NEEDS_NETWORK and network_reason:
            skipped[name] = network_reason
        else:
            run.append(name)
    return run, skipped, unsupported


def run(args) -> dict:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S") + "-%d" % seed
    store = os.path.abspath(os.path.join(args.store, stamp))
    os.makedirs(store, exist_ok=True)
    progress = Progress(time.monotonic(), quiet=args.quiet)
    progress("seed %d (rerun with --seed %d); store %s" % (seed, seed, store))
    cleanup = Cleanup()
    previous_handlers = install_signal_handlers(cleanup)
    atexit.register(cleanup.run)
    try:
        return run_in(store, seed, args, progress, cleanup)
    finally:
        cleanup.run()
        atexit.unregister(cleanup.run)
        restore_signal_handlers(previous_handlers)


def install_signal_handlers(cleanup):
    previous = {}

    def on_signal(signum, frame):
        cleanup.run()
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, on_signal)
    return previous


def restore_signal_handlers(previous):
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def run_in(store, seed, args, progress, cleanup) -> dict:
    rng = random.Random(seed)
    network, names, skipped, unsupported = plan_faults(args, progress, cleanup)
    cluster = start_cluster(store, seed, args, names, rng, progress, cleanup)
    history = History()
    workload = WORKLOADS[args.workload]("jepsen:%s:%d" % (args.workload, seed),
                                        {"keys": args.keys, "ops_per_key": args.ops_per_key,
                                         "shards": cluster.shards})
    context = nemeses.NemesisContext(cluster, network, random.Random(rng.getrandbits(32)), threading.Event(),
                                     args.max_clock_skew_ms)
    nemesis = nemeses.Nemesis(context, names, history, os.path.join(store, "nemesis.jsonl"),
                              args.nemesis_interval, args.fault_duration, progress)
    run_workload(cluster, workload, history, nemesis, args, rng, progress, cleanup)
    nemesis.stop_and_heal()
    recovered = recover(cluster, progress)
    finals = run_final_operations(cluster, workload, history, FINAL_READS_BUDGET_S, args.op_timeout, progress)
    history.write_jsonl(os.path.join(store, "history.jsonl"))
    progress("checking %d events" % len(history.events))
    results = check(history, workload, args, seed, names, skipped, unsupported, nemesis, recovered, finals)
    results["shards"] = shard_record(cluster, history, progress)
    results["store"] = os.path.relpath(store)
    results["resources"] = {"pids": sorted(set(cluster.pids)),
                            "iptables_chain": network.chain if network.installed else None}
    write_store(store, history, results, cluster)
    progress("valid: %s (%d ops: %d ok, %d fail, %d info) -> %s" % (
        results["valid"], results["ops"], results["ok"], results["fail"], results["indeterminate"], store))
    return results


def plan_faults(args, progress, cleanup):
    """(network, nemeses to run, skipped, unsupported); installs this run's iptables chain."""
    requested = parse_nemeses(args.nemesis)
    network = Network()
    wants_network = any(name in ("partition", "lag") for name in requested)
    network_reason = Network.unavailable_reason() if wants_network else None
    names, skipped, unsupported = plan_nemeses(requested, network_reason)
    for name, reason in {**skipped, **unsupported}.items():
        progress("nemesis %s not run: %s" % (name, reason))
    if wants_network and network_reason is None:
        network.install()
        cleanup.add(network.uninstall)
    return network, names, skipped, unsupported


def start_cluster(store, seed, args, names, rng, progress, cleanup) -> Cluster:
    server_args = ["--proposal-timeout", str(args.proposal_timeout)]
    if "clock" in names:
        server_args.append("--enable-debug-command")
    if args.unsafe_stale_reads:
        server_args.append("--unsafe-stale-reads")
        progress("servers run with --unsafe-stale-reads (the planted bug: reads skip the barrier)")
    data_root = tempfile.mkdtemp(prefix="jepsen-data-")
    cleanup.add(lambda: shutil.rmtree(data_root, ignore_errors=True))
    cluster = Cluster(os.path.join(store, "nodes"), data_root, args.nodes, pick_subnet(seed), rng, server_args,
                      shards=args.shards, replication_factor=getattr(args, "replication_factor", None))
    cleanup.add(cluster.stop_all)
    progress("starting %d nodes, %d shard%s, replication factor %d: %s" % (
        args.nodes, cluster.shards, "" if cluster.shards == 1 else "s", cluster.replication_factor,
        ", ".join("%s=%s:%d" % (n.name, n.host, n.port) for n in cluster.nodes)))
    cluster.start_all()
    cluster.started_info = wait_for_leaders(cluster, progress)
    return cluster


def wait_for_leaders(cluster, progress, timeout_s: float = 30.0) -> dict:
    """Until every shard has a leader (bounded): {"raft_shards": as a node reports it, "members"}."""
    deadline = time.monotonic() + timeout_s
    leaders = cluster.leaders()
    while any(leader is None for leader in leaders.values()) and time.monotonic() < deadline:
        time.sleep(0.3)
        leaders = cluster.leaders()
    members = cluster.shard_members()
    reported = None
    for node in cluster.nodes:
        info = cluster.raft_info(node)
        if info is not None and "raft_shards" in info:
            reported = int(info["raft_shards"])
            break
    progress("cluster ready: %s" % "; ".join(
        "shard %d on %s, leader %s" % (shard, ",".join(members.get(shard, [])) or "?",
                                       leader.name if leader else "unknown")
        for shard, leader in sorted(leaders.items())))
    if reported is not None and reported != cluster.shards:
        progress("WARNING: the servers report %d shards, %d requested" % (reported, cluster.shards))
    return {"raft_shards": reported, "members": members,
            "leaders": {shard: leader.name if leader else None for shard, leader in leaders.items()}}


def shard_record(cluster, history, progress) -> dict:
    """What results.json says about shards: how many ran (as the servers said), where, and the
    shard of every key with the operations per shard, to show the keys were spread."""
    key_shards, ops_per_shard = {}, {shard: 0 for shard in range(cluster.shards)}
    for event in history.events:
        if event["type"] != "invoke":
            continue
        keys = [mop[1] for mop in event["value"]] if event["f"] == "txn" else [event["key"]]
        shards = set()
        for key in keys:
            if key is None:
                continue
            if key not in key_shards:
                key_shards[key] = cluster.shard_of(key)
            shards.add(key_shards[key])
        for shard in shards:
            ops_per_shard[shard] += 1
    keys_per_shard = {shard: 0 for shard in range(cluster.shards)}
    for shard in key_shards.values():
        keys_per_shard[shard] += 1
    info = getattr(cluster, "started_info", {})
    record = {"requested": cluster.shards, "run": info.get("raft_shards"),
              "replication_factor": cluster.replication_factor,
              "members_at_start": info.get("members"), "leaders_at_start": info.get("leaders"),
              "keys_per_shard": keys_per_shard, "ops_per_shard": ops_per_shard, "key_shards": key_shards}
    progress("shards: %d run; keys per shard %s; operations per shard %s" % (
        record["run"] or 0, keys_per_shard, ops_per_shard))
    return record


def run_workload(cluster, workload, history, nemesis, args, rng, progress, cleanup):
    """Clients and nemesis for args.time seconds; returns once every client has stopped."""
    stop_clients = threading.Event()
    interval = args.clients / float(args.rate)
    clients = [ClientThread(index, cluster.nodes[index % len(cluster.nodes)], workload, history,
                            stop_clients, interval, args.op_timeout, args.clients, rng.getrandbits(32))
               for index in range(args.clients)]
    open(nemesis.log_path, "w").close()
    cleanup.add(stop_clients.set)
    cleanup.add(nemesis.context.stop_event.set)
    for client in clients:
        client.start()
    nemesis.start()
    wait_and_report(history, args.time, time.monotonic(), progress)
    stop_clients.set()
    nemesis.context.stop_event.set()  # no new fault; the active ones end in stop_and_heal
    progress("workload done; stopping clients")
    for client in clients:
        client.join(timeout=args.op_timeout + 10)


def wait_and_report(history, duration_s, start, progress):
    last = 0
    while True:
        remaining = start + duration_s - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(remaining, 1.0))
        elapsed = time.monotonic() - start
        if elapsed - last >= 10 or remaining <= 1.0:
            last = elapsed
            counts = {OK: 0, FAIL: 0, INFO: 0}
            for event in list(history.events):
                if event["type"] in counts:
                    counts[event["type"]] += 1
            progress("workload %.0f/%.0fs: %d ok, %d fail, %d info" % (
                min(elapsed, duration_s), duration_s, counts[OK], counts[FAIL], counts[INFO]))


def recovery_probe_keys(shards: int) -> list:
    """One key per shard ("jepsen:recovery-probe" alone with one shard)."""
    if shards == 1:
        return ["jepsen:recovery-probe"]
    from jepsen.cluster import shard_of_key

    keys, number = {}, 0
    while len(keys) < shards:
        key = "jepsen:recovery-probe:%d" % number
        keys.setdefault(shard_of_key(key, shards), key)
        number += 1
    return [keys[shard] for shard in range(shards)]


def recover(cluster, progress) -> dict:
    """Wait until every node is up and answers a barrier read of every shard (each shard has a
    leader that reaches it), so final reads see the healed cluster."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    started = time.monotonic()
    healthy = set()
    probes = recovery_probe_keys(cluster.shards)
    while time.monotonic() < deadline and len(healthy) < len(cluster.nodes):
        for node in cluster.nodes:
            if node.name in healthy or not node.alive():
                continue
            try:
                client = node.client(2.0)
                for key in probes:
                    client.get(key)
                healthy.add(node.name)
            except redis.RedisError:
                pass
        time.sleep(0.2)
    took = time.monotonic() - started
    progress("recovery: %d/%d nodes answer reads after %.1fs" % (len(healthy), len(cluster.nodes), took))
    return {"healthy_nodes": sorted(healthy), "seconds": round(took, 2),
            "all_healthy": len(healthy) == len(cluster.nodes)}


def check(history, workload, args, seed, names, skipped, unsupported, nemesis, recovered, finals) -> dict:
    ops = pair_ops(history.events)
    counts = {kind: sum(op.type == kind for op in ops) for kind in (OK, FAIL, INFO)}
    started = time.monotonic()
    context = {"check_time_s": args.check_time, "max_clock_skew_ms": args.max_clock_skew_ms if "clock" in names else 0}
    try:
        main = workload.check(ops, context)
    except Exception:  # noqa: BLE001 - a checker bug must not lose the run
        main = {"valid": "unknown", "error": traceback.format_exc()}
    stats = {"valid": True if counts[OK] else "unknown", "ok": counts[OK], "fail": counts[FAIL],
             "info": counts[INFO], "by_f": by_f(ops)}
    if not counts[OK]:
        stats["reason"] = "no operation succeeded"
    checkers = {workload.name: main, "stats": stats,
                "recovery": {"valid": True if recovered["all_healthy"] else "unknown", **recovered,
                             "final_reads": finals}}
    return {
        "valid": merge_validity(checker["valid"] for checker in checkers.values()),
        "seed": seed,
        "workload": workload.name,
        "workload_description": workload.description,
        "nodes": args.nodes,
        "nemeses_requested": parse_nemeses(args.nemesis),
        "nemeses_run": names,
        "nemeses_skipped": skipped,
        "nemeses_unsupported": unsupported,
        "nemesis_error": nemesis.error,
        "faults": sum(1 for event in nemesis.events if event["type"] == "start"),
        "unsafe_stale_reads": bool(args.unsafe_stale_reads),
        "time_s": args.time, "clients": args.clients, "rate": args.rate,
        "ops": len(ops), "ok": counts[OK], "fail": counts[FAIL], "indeterminate": counts[INFO],
        "check_seconds": round(time.monotonic() - started, 2),
        "checkers": checkers,
    }


def by_f(ops) -> dict:
    table = {}
    for op in ops:
        row = table.setdefault(op.f, {OK: 0, FAIL: 0, INFO: 0})
        row[op.type] += 1
    return table


def write_store(store, history, results, cluster):
    from jepsen.report import write_report

    with open(os.path.join(store, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2, default=str)
    try:
        write_report(store, history.events, results)
    except Exception as error:  # noqa: BLE001 - the results stand without the report
        results["report_error"] = "%s: %s" % (type(error).__name__, error)
        with open(os.path.join(store, "results.json"), "w") as handle:
            json.dump(results, handle, indent=2, default=str)

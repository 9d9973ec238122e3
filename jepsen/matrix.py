"""`make jepsen`: every workload under every nemesis, one fresh cluster per run, and a markdown
table of the outcomes (also printed). With --table the table file is rewritten after every run
(a summary line says how many of the runs are done), so an interrupted matrix leaves what it
completed; each run's results.json directory is listed in the last column."""
import json
import time

from jepsen.cli import build_parser

TABLE_HEADER = ("| workload | nemesis | valid | ops | ok | fail | info | faults | notes |\n"
                "|---|---|---|---|---|---|---|---|---|\n")


def run_one(arguments, workload: str, nemesis: str, seed: int) -> dict:
    from jepsen.cli import main  # noqa: F401 - same defaults as `run`
    from jepsen.runner import run

    argv = ["run", "--workload", workload, "--nemesis", nemesis.replace("+", ","),
            "--time", str(arguments.time), "--nodes", str(arguments.nodes), "--store", arguments.store,
            "--seed", str(seed), "--clients", str(arguments.clients), "--rate", str(arguments.rate),
            "--shards", str(arguments.shards)]
    if arguments.replication_factor is not None:
        argv += ["--replication-factor", str(arguments.replication_factor)]
    run_arguments = build_parser().parse_args(argv)
    run_arguments.ops_per_key = {"register": 200, "set": 300, "list-append": 150,
                                 "expire": 80}.get(workload, 1_000_000)
    return run(run_arguments)


def notes(results: dict) -> str:
    parts = []
    for name, reason in {**results.get("nemeses_skipped", {}), **results.get("nemeses_unsupported", {})}.items():
        parts.append("%s not run: %s" % (name, reason))
    checker = results.get("checkers", {}).get(results.get("workload"), {})
    if checker.get("anomaly_counts"):
        parts.append("anomalies: %s" % json.dumps(checker["anomaly_counts"]))
    if checker.get("failed_keys"):
        parts.append("non-linearizable keys: %d" % len(checker["failed_keys"]))
    if results.get("nemesis_error"):
        parts.append("nemesis error: %s" % results["nemesis_error"])
    shards = results.get("shards") or {}
    if isinstance(shards, dict) and (shards.get("requested") or 1) > 1:
        per_shard = shards.get("ops_per_shard") or {}
        parts.append("ops per shard %s" % "/".join(str(per_shard[s]) for s in sorted(per_shard, key=int)))
        if shards.get("run") != shards.get("requested"):
            parts.append("servers ran %s shards" % shards.get("run"))
    recovery = results.get("checkers", {}).get("recovery", {})
    if recovery and recovery.get("valid") is not True:
        parts.append("recovery: %s/%d nodes healthy" % (len(recovery.get("healthy_nodes", [])),
                                                       results.get("nodes", 0)))
    if results.get("store") and results.get("valid") is not True:
        parts.append("`%s`" % results["store"])
    return "; ".join(parts)


def row(workload, nemesis, results) -> str:
    return "| %s | %s | %s | %d | %d | %d | %d | %d | %s |\n" % (
        workload, nemesis, results["valid"], results["ops"], results["ok"], results["fail"],
        results["indeterminate"], results["faults"], notes(results).replace("|", "/"))


def summary_line(arguments, done: int, total: int, minutes: float) -> str:
    shards = "" if arguments.shards == 1 else ", %d shards (replication factor %s)" % (
        arguments.shards, arguments.replication_factor or 3)
    return "%d of %d runs done, %.0f s each (%d nodes%s, %d clients, %.0f ops/s), %.0f min so far\n\n" % (
        done, total, arguments.time, arguments.nodes, shards, arguments.clients, arguments.rate, minutes)


def run_matrix(arguments) -> int:
    workloads = [name for name in arguments.workloads.split(",") if name]
    nemeses = [name for name in arguments.nemeses.split(",") if name]
    started = time.monotonic()
    table = TABLE_HEADER
    worst = 0
    done, total = 0, len(workloads) * len(nemeses)
    for workload in workloads:
        for number, nemesis in enumerate(nemeses):
            print("== %s under %s (%.0f s)" % (workload, nemesis, arguments.time), flush=True)
            try:
                results = run_one(arguments, workload, nemesis, arguments.seed + number)
            except Exception as error:  # noqa: BLE001 - one broken run must not end the matrix
                results = {"valid": "unknown", "ops": 0, "ok": 0, "fail": 0, "indeterminate": 0,
                           "faults": 0, "workload": workload, "nemesis_error": "run failed: %s" % error}
            table += row(workload, nemesis, results)
            done += 1
            if results["valid"] is False:
                worst = 1
            elif results["valid"] is not True and not worst:
                worst = 2
            if arguments.table:  # after every run: an interrupted matrix keeps what it completed
                with open(arguments.table, "w") as handle:
                    handle.write(summary_line(arguments, done, total, (time.monotonic() - started) / 60) + table)
    summary = summary_line(arguments, done, total, (time.monotonic() - started) / 60)
    print(summary + table)
    if arguments.table:
        with open(arguments.table, "w") as handle:
            handle.write(summary + table)
    return worst

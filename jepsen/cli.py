"""python -m jepsen run|check|matrix --help"""
import argparse
import json
import os
import sys

from jepsen import nemesis
from jepsen.workloads import WORKLOADS

EXIT_VALID, EXIT_INVALID, EXIT_UNKNOWN = 0, 1, 2


def add_run_arguments(parser):
    parser.add_argument("--nodes", type=int, default=5, help="cluster size (default 5)")
    parser.add_argument("--shards", type=int, default=1,
                        help="Raft groups the slots are split into (default 1); keys are spread over them")
    parser.add_argument("--replication-factor", type=int, default=None,
                        help="nodes per shard (default: every node with one shard, 3 with several)")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="register")
    parser.add_argument("--nemesis", default="partition,kill,pause",
                        help="comma-separated faults from %s, or none" % ",".join(nemesis.NEMESES))
    parser.add_argument("--time", type=float, default=120.0, help="seconds of workload (default 120)")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients (default 10)")
    parser.add_argument("--rate", type=float, default=200.0, help="total operations per second (default 200)")
    parser.add_argument("--store", default="store", help="results go to STORE/<timestamp>-<seed>/")
    parser.add_argument("--seed", type=int, help="seed for every random choice (printed; default random)")
    parser.add_argument("--op-timeout", type=float, default=5.0, help="client timeout per operation, s")
    parser.add_argument("--proposal-timeout", type=int, default=3,
                        help="servers' --proposal-timeout: s before a write is 'outcome unknown'")
    parser.add_argument("--nemesis-interval", type=float, default=5.0, help="mean quiet time between faults, s")
    parser.add_argument("--fault-duration", type=float, default=6.0, help="mean duration of a fault, s")
    parser.add_argument("--max-clock-skew-ms", type=int, default=200, help="clock nemesis bound, ms")
    parser.add_argument("--keys", type=int, default=4, help="active keys at a time (register, list-append)")
    parser.add_argument("--ops-per-key", type=int, default=None, help="operations before a key is retired")
    parser.add_argument("--check-time", type=float, default=120.0, help="time bound of the checker search, s")
    parser.add_argument("--unsafe-stale-reads", action="store_true",
                        help="run servers with the planted bug: reads skip the Raft barrier")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m jepsen",
        description="Chaos and linearizability testing of a real SpinelRaft cluster.",
        epilog="Example: python -m jepsen run --nodes 5 --workload register "
               "--nemesis partition,kill,pause --time 120 --clients 10 --rate 200")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one test and check it",
                              description="Start a fresh cluster, run a workload under faults, check the history.")
    add_run_arguments(run)
    check = commands.add_parser("check", help="re-check a stored run (history.jsonl + results.json)")
    check.add_argument("run_dir")
    matrix = commands.add_parser("matrix", help="every workload x every nemesis")
    matrix.add_argument("--time", type=float, default=120.0, help="seconds per run (default 120)")
    matrix.add_argument("--nodes", type=int, default=5)
    matrix.add_argument("--shards", type=int, default=1, help="shards of every run's cluster (default 1)")
    matrix.add_argument("--replication-factor", type=int, default=None,
                        help="nodes per shard (default: every node with one shard, 3 with several)")
    matrix.add_argument("--workloads", default=",".join(sorted(WORKLOADS)))
    matrix.add_argument("--nemeses", default="none,kill,pause,partition,transfer,clock,lag,member,"
                                             "partition+kill+pause")
    matrix.add_argument("--store", default="store")
    matrix.add_argument("--seed", type=int, default=1)
    matrix.add_argument("--clients", type=int, default=10)
    matrix.add_argument("--rate", type=float, default=200.0)
    matrix.add_argument("--table", help="also write the markdown table to this file")
    return parser


def exit_code(valid) -> int:
    if valid is True:
        return EXIT_VALID
    return EXIT_INVALID if valid is False else EXIT_UNKNOWN


def main(argv=None) -> int:
    arguments = build_parser().parse_args(argv)
    if arguments.command == "run":
        from jepsen.runner import run

        if arguments.ops_per_key is None:
            arguments.ops_per_key = {"register": 200, "set": 300, "list-append": 150,
                                     "expire": 80}.get(arguments.workload, 1_000_000)
        return exit_code(run(arguments)["valid"])
    if arguments.command == "check":
        return recheck(arguments.run_dir)
    from jepsen.matrix import run_matrix

    return run_matrix(arguments)


def recheck(run_dir: str) -> int:
    from jepsen.history import pair_ops, read_jsonl

    with open(os.path.join(run_dir, "results.json")) as handle:
        results = json.load(handle)
    workload = WORKLOADS[results["workload"]]("recheck", {})
    ops = pair_ops(read_jsonl(os.path.join(run_dir, "history.jsonl")))
    report = workload.check(ops, {"check_time_s": 300})
    json.dump(report, sys.stdout, indent=2, default=str)
    print()
    return exit_code(report["valid"])

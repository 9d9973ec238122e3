"""Survey tool (not a test): run many random sequences and list every distinct mismatch.

The pytest suite stops at the first mismatch of a family; this script keeps going, buckets the
mismatches by (command, redis reply kind, spinelraft reply kind), shrinks one example per bucket
by deleting commands while the last one still differs the same way, and prints them all.

    .venv/bin/python -m tests.differential.explore [--examples 300] [--resp3]
        [--skip REGEX ...] [family ...]

--skip drops generated commands whose text (as printed) matches REGEX, to look past a known bug.

It starts its own redis-server and spinelraft-server (temporary directories) and stops them.
"""
import argparse
import re
import tempfile
import time

from hypothesis import HealthCheck, Phase, given, settings

from tests.conftest import RedisServerProcess, ServerProcess
from tests.differential.harness import Resp2Target, Resp3Target, run_pair, show
from tests.differential.strategies import FAMILIES


def reply_kind(reply):
    if isinstance(reply, tuple) and reply and reply[0] == "error":
        return reply[1]
    return type(reply).__name__


def signature(mismatch):
    name = bytes(mismatch.argv[0]).upper().decode("latin-1")
    return name, reply_kind(mismatch.expected), reply_kind(mismatch.actual)


def shrink(reference, candidate, mismatch, budget_s=20.0):
    """Greedily drop earlier commands while the last command still mismatches the same way."""
    wanted = signature(mismatch)
    commands = list(mismatch.history)
    deadline = time.monotonic() + budget_s
    index = 0
    while index < len(commands) - 1 and time.monotonic() < deadline:
        trial = commands[:index] + commands[index + 1:]
        found = run_pair(reference, candidate, trial)
        if found is not None and found.index == len(trial) - 1 and signature(found) == wanted:
            commands, mismatch = trial, found
        else:
            index += 1
    return mismatch


def without(strategy, skip_patterns):
    if not skip_patterns:
        return strategy
    patterns = [re.compile(p) for p in skip_patterns]
    return strategy.map(lambda commands: [
        c for c in commands if not any(p.search(show(c)) for p in patterns)])


def survey(reference, candidate, family, examples, skip_patterns=()):
    buckets = {}

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(commands=without(FAMILIES[family], skip_patterns))
    def run(commands):
        mismatch = run_pair(reference, candidate, commands)
        if mismatch is None:
            return
        key = signature(mismatch)
        count, example = buckets.get(key, (0, mismatch))
        buckets[key] = (count + 1, example)

    run()
    return {key: (count, shrink(reference, candidate, example))
            for key, (count, example) in buckets.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--resp3", action="store_true", help="raw RESP3 sockets, not redis-py")
    parser.add_argument("--skip", action="append", default=[], metavar="REGEX")
    parser.add_argument("families", nargs="*", default=sorted(FAMILIES))
    args = parser.parse_args()
    redis_server = RedisServerProcess(tempfile.mkdtemp(prefix="diff-redis-")).start()
    server = ServerProcess(tempfile.mkdtemp(prefix="diff-spinel-")).start()
    try:
        target_class = Resp3Target if args.resp3 else Resp2Target
        reference, candidate = target_class(redis_server.port), target_class(server.port)
        for family in args.families:
            found = survey(reference, candidate, family, args.examples, args.skip)
            print("=== %s: %d distinct mismatch(es)" % (family, len(found)))
            for (count, mismatch) in found.values():
                print("--- seen %d time(s)\n%s\n" % (count, mismatch.describe()))
    finally:
        server.stop()
        redis_server.stop()


if __name__ == "__main__":
    main()

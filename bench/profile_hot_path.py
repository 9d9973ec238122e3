"""CPU cost of the command path in one process, without sockets: parse -> dispatch -> propose ->
Raft (one-node group, real journal) -> apply -> reply encoding.

    python bench/profile_hot_path.py [--connections 50] [--pipeline 16] [--rounds 200]
                                     [--command set|get|incr|lpush|hset] [--profile]

Each round, every simulated connection receives `pipeline` commands in one data_received call
(exactly what RespConnection sees from redis-benchmark -P N); the loop then runs until all replies
are written. Prints microseconds of CPU per command, and with --profile the top functions.
"""
import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from spinelraft import config  # noqa: E402
from spinelraft.node.node import Node  # noqa: E402
from spinelraft.resp.connection import RespConnection  # noqa: E402


class CollectingTransport:
    """Stands in for the socket so only our own code is measured."""

    def __init__(self):
        self.replies = 0
        self.bytes = 0

    def write(self, data):
        self.bytes += len(data)
        self.replies += data.count(b"\r\n")

    def get_extra_info(self, name):
        return ("127.0.0.1", 1)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def close(self):
        pass


def build_request(command: str, index: int) -> bytes:
    key = b"key:%06d" % index
    argv = {
        "set": [b"SET", key, b"x" * 3],
        "get": [b"GET", key],
        "incr": [b"INCR", key],
        "lpush": [b"LPUSH", b"list", b"x" * 3],
        "hset": [b"HSET", b"hash", key, b"x" * 3],
    }[command]
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


async def run(args):
    with tempfile.TemporaryDirectory() as data_dir:
        settings = config.load(None, {"data_dir": data_dir, "port": 17999,
                                      "appendfsync": args.appendfsync})
        node = Node(settings, asyncio.get_running_loop())
        node.start()
        while not node.is_ready():
            await asyncio.sleep(0.01)
        connections = []
        for _ in range(args.connections):
            connection = RespConnection(node)
            connection.connection_made(CollectingTransport())
            connections.append(connection)
        payloads = [b"".join(build_request(args.command, c * args.pipeline + i) for i in range(args.pipeline))
                    for c in range(args.connections)]
        total = args.connections * args.pipeline * args.rounds
        profiler = cProfile.Profile() if args.profile else None
        started_cpu = time.process_time()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.rounds):
            for connection, payload in zip(connections, payloads):
                connection.data_received(payload)
            while any(c.queue for c in connections):
                await asyncio.sleep(0)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        node.stop()
    print("%s: %d commands, %d connections x -P %d: %.1f us CPU/command, %.0f commands/s wall"
          % (args.command.upper(), total, args.connections, args.pipeline, cpu / total * 1e6, total / wall))
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--command", default="set", choices=("set", "get", "incr", "lpush", "hset"))
    parser.add_argument("--appendfsync", default="always", choices=("always", "everysec", "no"))
    parser.add_argument("--profile", action="store_true", help="print the top functions (cProfile)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""Child process for the determinism tests: replays logs on fresh state machines.

Run as `python -m tests.property.replay_worker` (the tests start it with a chosen
PYTHONHASHSEED). It reads framed requests on stdin until EOF: a 4-byte big-endian length, then
a marshal'd list of logs (see logs.py). For each request it writes one frame back: a marshal'd
list with, per log, (snapshot digest, replies hash, [RESP3 replies per log item]).
"""
import marshal
import sys

from spinelraft.statemachine.machine import StateMachine
from spinelraft.statemachine.snapshot import digest
from tests.property.logs import replay, replies_hash

FRAME_HEADER = 4


def read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("request truncated")
    return data


def read_frame(stream):
    header = stream.read(FRAME_HEADER)
    if not header:
        return None
    if len(header) != FRAME_HEADER:
        raise EOFError("request header truncated")
    return read_exactly(stream, int.from_bytes(header, "big"))


def write_frame(stream, payload: bytes):
    stream.write(len(payload).to_bytes(FRAME_HEADER, "big"))
    stream.write(payload)
    stream.flush()


def run_log(log):
    machine = StateMachine()
    replies = replay(machine, log)
    return digest(machine), replies_hash(replies), replies


def main():
    source, target = sys.stdin.buffer, sys.stdout.buffer
    while True:
        frame = read_frame(source)
        if frame is None:
            return
        results = [run_log(log) for log in marshal.loads(frame)]
        write_frame(target, marshal.dumps(results, 2))


if __name__ == "__main__":
    main()

"""Histories: invoke/ok/fail/info events, and operations paired from them.

An event is a dict: {"index", "type", "process", "time", "f", "key", "value", "error", "node"}.
`time` is nanoseconds since the start of the run (one monotonic clock for every client).
A process that got an `info` (outcome unknown) never invokes again: the client continues as a
new process, as in Jepsen, so every process has at most one operation in flight.
"""
import json
import threading
import time
from dataclasses import dataclass, field

INVOKE, OK, FAIL, INFO = "invoke", "ok", "fail", "info"
INFINITY = float("inf")


class History:
    """Thread-safe event log of one run."""

    def __init__(self, start_ns: int = None):
        self.start_ns = time.monotonic_ns() if start_ns is None else start_ns
        self.events = []
        self._lock = threading.Lock()

    def now(self) -> int:
        return time.monotonic_ns() - self.start_ns

    def _append(self, event: dict) -> dict:
        with self._lock:
            event["index"] = len(self.events)
            self.events.append(event)
        return event

    def invoke(self, process, f: str, key=None, value=None, node=None) -> dict:
        return self._append({"type": INVOKE, "process": process, "time": self.now(), "f": f,
                             "key": key, "value": value, "node": node})

    def complete(self, invocation: dict, kind: str, value=None, error=None) -> dict:
        assert kind in (OK, FAIL, INFO)
        event = {"type": kind, "process": invocation["process"], "time": self.now(),
                 "f": invocation["f"], "key": invocation["key"], "value": value,
                 "node": invocation["node"]}
        if error is not None:
            event["error"] = error
        return self._append(event)

    def write_jsonl(self, path: str):
        with open(path, "w") as handle:
            for event in self.events:
                handle.write(json.dumps(event, default=list) + "\n")


def read_jsonl(path: str) -> list:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Op:
    """One operation: its invocation and completion. `ret` is INFINITY for info (and for an
    invocation that never completed), which lets it take effect at any time after `call`."""

    process: object
    f: str
    key: object
    value: object  # the invocation's argument
    type: str  # ok / fail / info
    result: object  # the completion's value (a read's result)
    call: int
    ret: float
    error: str = None
    node: object = None
    index: int = 0
    id: int = field(default=0, compare=False)

    def to_dict(self) -> dict:
        return {"process": self.process, "f": self.f, "key": self.key, "value": self.value,
                "type": self.type, "result": self.result, "call": self.call,
                "ret": None if self.ret == INFINITY else self.ret, "error": self.error,
                "node": self.node}


def pair_ops(events) -> list:
    """Operations in invocation order; an invocation without completion counts as info."""
    open_calls = {}
    ops = []
    for event in events:
        kind = event["type"]
        if kind == INVOKE:
            open_calls[event["process"]] = len(ops)
            ops.append(Op(event["process"], event["f"], event.get("key"), event.get("value"), INFO,
                          None, event["time"], INFINITY, node=event.get("node"), index=event["index"]))
            continue
        position = open_calls.pop(event["process"], None)
        if position is None:
            continue
        op = ops[position]
        op.type = kind
        op.result = event.get("value")
        op.error = event.get("error")
        if kind != INFO:
            op.ret = event["time"]
    for number, op in enumerate(ops):
        op.id = number
    return ops

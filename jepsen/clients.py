"""Client threads: each bound to one node, issuing operations at a steady random rate."""
import random
import threading
import time

from jepsen.history import INFO
from jepsen.workloads.base import run_operation


class ClientThread(threading.Thread):
    def __init__(self, index: int, node, workload, history, stop_event, interval_s: float,
                 op_timeout_s: float, process_stride: int, seed: int):
        super().__init__(name="client-%d" % index, daemon=True)
        self.node = node
        self.workload = workload
        self.history = history
        self.stop_event = stop_event
        self.interval_s = interval_s
        self.op_timeout_s = op_timeout_s
        self.process = index
        self.process_stride = process_stride
        self.rng = random.Random(seed)
        self.connection = None

    def run(self):
        next_at = time.monotonic() + self.rng.uniform(0, self.interval_s)
        while not self.stop_event.is_set():
            next_at = max(next_at + self.rng.expovariate(1.0 / self.interval_s), time.monotonic() - 1.0)
            if self.stop_event.wait(max(0.0, next_at - time.monotonic())):
                break
            self.one_operation()
        self.close()

    def one_operation(self):
        if self.connection is None:
            self.connection = self.node.client(self.op_timeout_s)
        f, key, value = self.workload.generate(self.rng)
        invocation = self.history.invoke(self.process, f, key, value, self.node.name)
        kind, result, error = run_operation(self.workload, self.connection, f, key, value)
        self.history.complete(invocation, kind, result, error)
        if kind == INFO:  # this process may still have an operation in flight: retire it
            self.process += self.process_stride
            self.close()

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a dead connection is fine to drop
                pass
            self.connection = None


def run_final_operations(cluster, workload, history, budget_s: float, op_timeout_s: float, progress):
    """After healing: each final read is retried (as a new operation) until it succeeds on some
    node or the budget runs out."""
    deadline = time.monotonic() + budget_s
    results = {"ok": 0, "failed": 0}
    for number, (f, key, value) in enumerate(workload.final_operations()):
        done = False
        attempt = 0
        while not done and time.monotonic() < deadline:
            node = cluster.nodes[(number + attempt) % len(cluster.nodes)]
            connection = node.client(op_timeout_s)
            invocation = history.invoke("final-%d" % attempt, f, key, value, node.name)
            kind, result, error = run_operation(workload, connection, f, key, value)
            history.complete(invocation, kind, result, error)
            connection.close()
            done = kind == "ok"
            attempt += 1
            if not done:
                time.sleep(0.5)
        results["ok" if done else "failed"] += 1
    if results["failed"]:
        progress("final reads: %d of %d did not succeed in time" % (results["failed"], sum(results.values())))
    return results

"""Linearizability of registers: Wing & Gong's search with Lowe's memoization, as in Porcupine.

The history is split by key (P-compositionality: a history is linearizable iff each key's
sub-history is). For one key, calls and returns form a doubly linked list in time order; a depth-
first search linearizes a pending call whenever the model accepts it, removing ("lifting") it and
its return from the list, and backtracks on reaching a return whose call is not linearized yet.
Every (set of linearized ops as a bitset, model state) pair is cached, so no configuration is
explored twice. Operations whose outcome is unknown (info) return at infinity: they may take
effect at any time after their invocation, or never (at the very end).

The register model: read (ok: the value read), write v, cas [old, new] (WATCH/MULTI/EXEC).
"""
import time

from jepsen.checkers import merge_validity
from jepsen.history import INFINITY, INFO, OK

CHECK_EVERY = 2048


class RegisterModel:
    """A single register starting empty (None)."""

    name = "register"
    initial = None

    @staticmethod
    def step(state, op):
        """(legal, next state) of applying op in state."""
        f = op.f
        if f == "read":
            return op.result == state, state
        if f == "write":
            return True, op.value
        old, new = op.value
        if op.type == OK:
            return state == old, new
        return True, new if state == old else state  # an unknown cas took effect or failed


def observed_values(ops) -> set:
    seen = set()
    for op in ops:
        if op.type != OK:
            continue
        if op.f == "read":
            seen.add(op.result)
        elif op.f == "cas":
            seen.add(op.value[0])
    return seen


def written_value(op):
    if op.f == "write":
        return op.value
    if op.f == "cas":
        return op.value[1]
    return None


def prune(ops) -> list:
    """Drop what cannot constrain the search: failed ops, reads with unknown results, and
    unknown writes whose value nobody observed (they can always take effect last)."""
    kept = [op for op in ops if op.type == OK or (op.type == INFO and op.f != "read")]
    seen = observed_values(kept)
    return [op for op in kept if op.type == OK or written_value(op) in seen]


class _Entry:
    __slots__ = ("op", "bit", "is_call", "match", "prev", "next")

    def __init__(self, op, bit, is_call):
        self.op = op
        self.bit = bit
        self.is_call = is_call
        self.match = None
        self.prev = None
        self.next = None


def _build_list(ops):
    entries = []
    for bit, op in enumerate(ops):
        call = _Entry(op, bit, True)
        ret = _Entry(op, bit, False)
        call.match = ret
        entries.append((op.call, 0, bit, call))
        entries.append((op.ret if op.ret is not None else INFINITY, 1, bit, ret))
    entries.sort(key=lambda item: item[:3])
    head = _Entry(None, -1, False)
    previous = head
    for _, _, _, entry in entries:
        previous.next = entry
        entry.prev = previous
        previous = entry
    return head


def _lift(entry):
    entry.prev.next = entry.next
    if entry.next is not None:
        entry.next.prev = entry.prev
    match = entry.match
    match.prev.next = match.next
    if match.next is not None:
        match.next.prev = match.prev


def _unlift(entry):
    match = entry.match
    match.prev.next = match
    if match.next is not None:
        match.next.prev = match
    entry.prev.next = entry
    if entry.next is not None:
        entry.next.prev = entry


def check_single(model, ops, deadline: float) -> dict:
    """Search one key's operations. {"valid": True/False/"unknown", "explored": n, ...}."""
    head = _build_list(ops)
    entry = head.next
    state = model.initial
    linearized = 0
    calls = []
    cache = set()
    steps = 0
    deepest = 0
    while head.next is not None:
        steps += 1
        if steps % CHECK_EVERY == 0 and time.monotonic() > deadline:
            return {"valid": "unknown", "explored": len(cache), "reason": "time limit"}
        if entry.is_call:
            legal, next_state = model.step(state, entry.op)
            if legal:
                next_linearized = linearized | (1 << entry.bit)
                key = (next_linearized, next_state)
                if key not in cache:
                    cache.add(key)
                    calls.append((entry, state))
                    state = next_state
                    linearized = next_linearized
                    _lift(entry)
                    if len(calls) > deepest:
                        deepest = len(calls)
                    entry = head.next
                    continue
            entry = entry.next
            continue
        if not calls:
            return {"valid": False, "explored": len(cache), "linearized_at_most": deepest}
        entry, state = calls.pop()
        linearized &= ~(1 << entry.bit)
        _unlift(entry)
        entry = entry.next
    return {"valid": True, "explored": len(cache)}


def by_key(ops) -> dict:
    keys = {}
    for op in ops:
        keys.setdefault(op.key, []).append(op)
    return keys


def check(ops, model=RegisterModel, time_limit_s: float = 60.0, minimize_s: float = 10.0) -> dict:
    """Linearizability of every key's sub-history; the smallest failing sub-history of the first
    failing key is included (found by removing operations while it stays non-linearizable)."""
    deadline = time.monotonic() + time_limit_s
    results = {}
    failures = []
    for key, key_ops in sorted(by_key(ops).items(), key=lambda item: str(item[0])):
        pruned = prune(key_ops)
        result = check_single(model, pruned, deadline)
        result["ops"] = len(key_ops)
        result["searched_ops"] = len(pruned)
        results[str(key)] = result
        if result["valid"] is False:
            failures.append((key, pruned))
    validity = merge_validity(result["valid"] for result in results.values())
    report = {
        "valid": validity,
        "model": model.name,
        "keys": len(results),
        "failed_keys": [str(key) for key, _ in failures],
        "unknown_keys": [key for key, result in results.items() if result["valid"] == "unknown"],
        "per_key": {key: result for key, result in results.items() if result["valid"] is not True},
    }
    if failures:
        key, pruned = failures[0]
        smallest = smallest_failing_subhistory(model, pruned, minimize_s)
        report["anomaly"] = {"key": str(key), "ops": [op.to_dict() for op in smallest]}
    return report


def _removable(op, remaining) -> bool:
    """Reads can go; a write only when no remaining op observed its value (else the history
    would fail just because a value appears from nowhere)."""
    if op.f == "read":
        return True
    value = written_value(op)
    return value not in observed_values([other for other in remaining if other is not op])


def smallest_failing_subhistory(model, ops, budget_s: float) -> list:
    """Greedy delta debugging: drop chunks (halves down to single ops) while the rest still
    fails; bounded by budget_s. The result shows the anomaly in a handful of operations."""
    deadline = time.monotonic() + budget_s
    current = list(ops)
    chunk = max(1, len(current) // 2)
    while chunk >= 1 and time.monotonic() < deadline:
        removed_any = False
        start = 0
        while start < len(current) and time.monotonic() < deadline:
            candidates = [op for op in current[start:start + chunk] if _removable(op, current)]
            if not candidates:
                start += chunk
                continue
            dropped = {id(op) for op in candidates}
            trial = [op for op in current if id(op) not in dropped]
            result = check_single(model, trial, min(deadline, time.monotonic() + 2.0))
            if result["valid"] is False:
                current = trial
                removed_any = True
            else:
                start += chunk
        if not removed_any:
            chunk //= 2
    return sorted(current, key=lambda op: op.call)

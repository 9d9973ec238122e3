"""List-append transactions checked in the manner of Elle (Kingsbury & Alvaro, VLDB 2020).

A transaction is a list of micro-ops ["append", k, v] (RPUSH) and ["r", k, list] (LRANGE), run in
one MULTI/EXEC. Appended values are unique per key, so every element of a read names the
transaction that appended it, and since lists only grow, every read of a key must be a prefix of
the longest read of that key: that longest read is the key's version order. From it we infer a
dependency graph between transactions:

  ww  T1 appended v_i, T2 appended v_(i+1)            (T2 overwrote T1's version)
  wr  T1 appended the last element T2 read            (T2 read T1's write)
  rw  T2 read a prefix ending before v_(i+1), T1 appended v_(i+1)   (anti-dependency)

and report cycles: G0 (ww only), G1c (ww and wr, at least one wr), G-single (exactly one rw),
G2 (several rw). Also reported: duplicate elements, incompatible orders (a read that is not a
prefix of the order), reads of aborted (G1a) or never-written (garbage) values, internal
inconsistency, lost appends (acknowledged but absent from the final read), and, since the claim
is strict serializability, real-time violations: a read missing an append acknowledged before
the read began (stale read), or containing one invoked after the read returned (future read).
"""
import bisect
import time
from collections import defaultdict, deque

from jepsen.history import FAIL, INFINITY, INFO, OK

MAX_EXAMPLES = 8
CYCLE_SEARCH_S = 20.0


def micro_ops(op):
    """The micro-ops with read results: the completion's for ok, the invocation's otherwise."""
    if op.type == OK and op.result is not None:
        return op.result
    return op.value


def check(ops) -> dict:
    txns = [op for op in ops if op.f == "txn"]
    writer = {}
    for op in txns:
        for kind, key, value in op.value:
            if kind == "append":
                writer[(key, value)] = op
    reads = [(op, key, list(value)) for op in txns if op.type == OK
             for kind, key, value in micro_ops(op) if kind == "r" and value is not None]
    anomalies = defaultdict(list)
    find_duplicates(reads, anomalies)
    find_bad_values(reads, writer, anomalies)
    find_internal(txns, anomalies)
    orders = version_orders(reads, anomalies)
    find_lost(txns, reads, orders, anomalies)
    find_realtime(txns, reads, orders, writer, anomalies)
    graph = dependency_graph(reads, orders, writer)
    find_cycles(graph, anomalies)
    counts = {name: len(found) for name, found in anomalies.items()}
    return {"valid": not anomalies, "txns": len(txns),
            "ok": sum(op.type == OK for op in txns), "info": sum(op.type == INFO for op in txns),
            "keys": len(orders), "anomaly_counts": counts,
            "anomalies": {name: found[:MAX_EXAMPLES] for name, found in anomalies.items()},
            "graph_edges": sum(len(targets) for targets in graph.values())}


def find_duplicates(reads, anomalies):
    for op, key, values in reads:
        if len(set(values)) != len(values):
            anomalies["duplicate-elements"].append({"op": op.to_dict(), "key": key})


def find_bad_values(reads, writer, anomalies):
    for op, key, values in reads:
        for value in values:
            source = writer.get((key, value))
            if source is None:
                anomalies["garbage-read"].append({"op": op.to_dict(), "key": key, "value": value})
            elif source.type == FAIL:
                anomalies["G1a"].append({"op": op.to_dict(), "key": key, "value": value,
                                         "aborted": source.to_dict()})


def find_internal(txns, anomalies):
    """A read after the transaction's own appends to that key must end with them."""
    for op in txns:
        if op.type != OK:
            continue
        own = defaultdict(list)
        for kind, key, value in micro_ops(op):
            if kind == "append":
                own[key].append(value)
            elif own[key] and (value is None or list(value[-len(own[key]):]) != own[key]):
                anomalies["internal"].append({"op": op.to_dict(), "key": key})


def version_orders(reads, anomalies) -> dict:
    """Per key, the longest read; every other read must be its prefix."""
    longest = {}
    for _, key, values in reads:
        if key not in longest or len(values) > len(longest[key]):
            longest[key] = values
    for op, key, values in reads:
        if longest[key][:len(values)] != values:
            anomalies["incompatible-order"].append({"op": op.to_dict(), "key": key, "read": values,
                                                    "longest": longest[key]})
    return longest


def find_lost(txns, reads, orders, anomalies):
    """Acknowledged appends absent from the final read of their key."""
    final_keys = {key for op, key, _ in reads if str(op.process).startswith("final")}
    for op in txns:
        if op.type != OK:
            continue
        for kind, key, value in op.value:
            if kind == "append" and key in final_keys and value not in orders.get(key, ()):
                anomalies["lost-append"].append({"op": op.to_dict(), "key": key, "value": value})


def find_realtime(txns, reads, orders, writer, anomalies):
    """Stale reads (an append acknowledged before the read began is missing) and future reads
    (an element whose append began after the read returned)."""
    acknowledged = defaultdict(list)  # key -> [(ret, position in the order)]
    for op in txns:
        if op.type != OK:
            continue
        for kind, key, value in op.value:
            if kind == "append" and key in orders:
                order = orders[key]
                if value in order:
                    acknowledged[key].append((op.ret, order.index(value) + 1))
    prefix_max = {}
    for key, entries in acknowledged.items():
        entries.sort()
        running, best = [], 0
        for _, length in entries:
            best = max(best, length)
            running.append(best)
        prefix_max[key] = ([ret for ret, _ in entries], running)
    for op, key, values in reads:
        times, needed = prefix_max.get(key, ([], []))
        count = bisect.bisect_left(times, op.call)
        if count and len(values) < needed[count - 1]:
            anomalies["stale-read"].append({"op": op.to_dict(), "key": key, "read_length": len(values),
                                            "required_length": needed[count - 1]})
        for value in values:
            source = writer.get((key, value))
            if source is not None and op.ret != INFINITY and source.call > op.ret:
                anomalies["future-read"].append({"op": op.to_dict(), "key": key, "value": value,
                                                 "writer": source.to_dict()})


class Graph(defaultdict):
    """{txn id: {txn id: set of edge kinds}}; .nodes maps ids to operations."""

    def __init__(self):
        super().__init__(lambda: defaultdict(set))
        self.nodes = {}


def dependency_graph(reads, orders, writer) -> Graph:
    """Dependencies between ok transactions and the info transactions that were observed."""
    graph = Graph()
    nodes = graph.nodes

    def edge(source, target, kind):
        if source is not target:
            nodes[source.id] = source
            nodes[target.id] = target
            graph[source.id][target.id].add(kind)

    for key, order in orders.items():
        for first, second in zip(order, order[1:]):
            a, b = writer.get((key, first)), writer.get((key, second))
            if a is not None and b is not None:
                edge(a, b, "ww")
    for op, key, values in reads:
        order = orders.get(key, [])
        if order[:len(values)] != values:
            continue  # already an incompatible order
        if values and (key, values[-1]) in writer:
            edge(writer[(key, values[-1])], op, "wr")
        if len(values) < len(order) and (key, order[len(values)]) in writer:
            edge(op, writer[(key, order[len(values)])], "rw")
    return graph


def strongly_connected(graph, allowed) -> list:
    """Tarjan's algorithm (iterative) over edges whose kinds intersect `allowed`."""
    index_of, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in list(graph):
        if root in index_of:
            continue
        work = [(root, iter(_successors(graph, root, allowed)))]
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index_of:
                    index_of[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(_successors(graph, successor, allowed))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index_of[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(set(component))
    return components


def _successors(graph, node, allowed):
    return [target for target, kinds in graph.get(node, {}).items() if kinds & allowed]


def find_path(graph, start, goal, allowed, within) -> list:
    """Shortest path start -> goal over allowed edges inside `within` (BFS), or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for target in _successors(graph, node, allowed):
            if target in within and target not in previous:
                previous[target] = node
                queue.append(target)
    return None


def describe_cycle(graph, path) -> list:
    nodes = graph.nodes
    steps = []
    for source, target in zip(path, path[1:]):
        steps.append({"from": nodes[source].to_dict(), "edge": sorted(graph[source][target]),
                      "to": nodes[target].to_dict()})
    return steps


def find_cycles(graph, anomalies):
    deadline = time.monotonic() + CYCLE_SEARCH_S
    explained = set()
    for component in strongly_connected(graph, {"ww"}):
        node = next(iter(component))
        anomalies["G0"].append(_cycle_through(graph, node, {"ww"}, component))
        explained |= component
    for component in strongly_connected(graph, {"ww", "wr"}):
        for source in component:
            target = next((t for t in _successors(graph, source, {"wr"}) if t in component), None)
            if target is not None:
                back = find_path(graph, target, source, {"ww", "wr"}, component)
                anomalies["G1c"].append(describe_cycle(graph, [source] + back))
                explained |= component
                break
    for component in strongly_connected(graph, {"ww", "wr", "rw"}):
        found_single = False
        for source in component:
            if time.monotonic() > deadline:
                anomalies["cycle-search-timeout"].append({"component_size": len(component)})
                return
            for target in _successors(graph, source, {"rw"}):
                if target not in component:
                    continue
                back = find_path(graph, target, source, {"ww", "wr"}, component)
                if back is not None:
                    anomalies["G-single"].append(describe_cycle(graph, [source] + back))
                    found_single = True
                    break
            if found_single:
                break
        if not found_single and not component <= explained:
            node = next(iter(component))
            anomalies["G2"].append(_cycle_through(graph, node, {"ww", "wr", "rw"}, component))


def _cycle_through(graph, node, allowed, component) -> list:
    for target in _successors(graph, node, allowed):
        if target in component:
            back = find_path(graph, target, node, allowed, component)
            if back is not None:
                return describe_cycle(graph, [node] + back)
    return []

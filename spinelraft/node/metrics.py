"""Prometheus /metrics: a collector that reads the node's counters when scraped.

The hot path only bumps plain integers (node.CommandStats); turning them into metric families
happens here, at scrape time, so instrumentation costs nothing per command.
"""
import threading

from prometheus_client import start_http_server
from prometheus_client.core import (
    REGISTRY,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from spinelraft.node.node import LATENCY_BUCKETS_S


class NodeCollector:
    def __init__(self, node):
        self.node = node
        self._lock = threading.Lock()

    def collect(self):
        node = self.node
        commands = CounterMetricFamily("spinelraft_commands", "Commands processed, by name",
                                       labels=["command"])
        failed = CounterMetricFamily("spinelraft_command_errors", "Commands answered with an error",
                                     labels=["command"])
        latency = HistogramMetricFamily("spinelraft_command_latency_seconds",
                                        "Command latency from dispatch to reply", labels=["command"])
        for name, stats in list(node.stats.items()):
            commands.add_metric([name], stats.calls)
            failed.add_metric([name], stats.failed)
            cumulative = 0
            buckets = []
            for bound, count in zip(LATENCY_BUCKETS_S + (float("inf"),), stats.buckets):
                cumulative += count
                buckets.append((_bound(bound), cumulative))
            latency.add_metric([name], buckets, stats.usec / 1_000_000)
        yield commands
        yield failed
        yield latency
        yield GaugeMetricFamily("spinelraft_connected_clients", "Client connections", len(node.sessions))
        yield from self._keyspace()
        yield from self._raft()

    def _keyspace(self):
        keys = GaugeMetricFamily("spinelraft_keys", "Keys per database", labels=["db"])
        expires = GaugeMetricFamily("spinelraft_keys_with_expiry", "Keys with a TTL per database", labels=["db"])
        totals = {}  # db -> [keys, with ttl], over the shards replicated here
        for shard in self.node.shards.values():
            with shard.group.lock:
                rows = shard.group.machine.keyspace(0)
            for index, count, with_ttl in rows:
                total = totals.setdefault(index, [0, 0])
                total[0] += count
                total[1] += with_ttl
        for index, (count, with_ttl) in sorted(totals.items()):
            keys.add_metric([str(index)], count)
            expires.add_metric([str(index)], with_ttl)
        yield keys
        yield expires

    def _raft(self):
        shards = sorted(self.node.shards.values(), key=lambda shard: shard.id)
        statuses = [(shard, [str(shard.id)], shard.group.status()) for shard in shards]
        for name, key, text in (
            ("spinelraft_raft_term", "term", "Current Raft term"),
            ("spinelraft_raft_commit_index", "commit_index", "Raft commit index"),
            ("spinelraft_raft_applied_index", "last_applied", "Last applied Raft index"),
        ):
            family = GaugeMetricFamily(name, text, labels=["shard"])
            for _, label, status in statuses:
                family.add_metric(label, status[key])
            yield family
        leader = GaugeMetricFamily("spinelraft_raft_is_leader", "1 if this node leads the shard", labels=["shard"])
        entries = CounterMetricFamily("spinelraft_raft_entries_proposed", "Raft entries proposed", labels=["shard"])
        ops = CounterMetricFamily("spinelraft_raft_commands_proposed", "Commands proposed (all entries)", labels=["shard"])
        per_entry = GaugeMetricFamily("spinelraft_raft_commands_per_entry",
                                      "Mean commands per proposed entry (group commit)", labels=["shard"])
        backlog = GaugeMetricFamily("spinelraft_raft_proposal_backlog", "Commands waiting to be proposed", labels=["shard"])
        for shard, label, status in statuses:
            proposer = shard.proposer
            leader.add_metric(label, 1 if status["role"] == "leader" else 0)
            entries.add_metric(label, proposer.entries_proposed)
            ops.add_metric(label, proposer.ops_proposed)
            mean = proposer.ops_proposed / proposer.entries_proposed if proposer.entries_proposed else 0.0
            per_entry.add_metric(label, mean)
            backlog.add_metric(label, proposer.backlog())
        yield from (leader, entries, ops, per_entry, backlog)


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def start_metrics(node, host: str, port: int):
    """Serve /metrics on host:port in a daemon thread; raises OSError if the port is taken."""
    REGISTRY.register(NodeCollector(node))
    return start_http_server(port, addr=host)

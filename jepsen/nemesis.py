"""Faults and the schedule that injects them.

kill       kill -9 a node (a random one or the current leader), restart it when the fault ends
pause      SIGSTOP a node (random or leader), SIGCONT when the fault ends
partition  iptables DROP between groups: one node isolated, the leader isolated, or a random
           majority/minority split; healed when the fault ends
transfer   leadership transfer: FAILOVER on the leader (Raft TimeoutNow); where that is refused,
           a pause-based step-down: SIGSTOP the leader for longer than the election timeout
clock      DEBUG SET-CLOCK-SKEW on random nodes (servers run with --enable-debug-command)
lag        isolate one follower (partition, or pause without partitions) while clients keep
           using it: with --unsafe-stale-reads its reads are stale; the planted-bug schedule
member     remove a follower from the cluster (RAFT REMOVENODE), kill it and wipe its data;
           when the fault ends, start it empty and add it back (RAFT ADDNODE): it catches up
           from a snapshot or the log
"""
import json
import shutil
import threading
import time

import redis

NEMESES = ("kill", "pause", "partition", "transfer", "clock", "lag", "member")
UNSUPPORTED = {}
MEMBERSHIP_TIMEOUT_S = 40.0  # the server confirms a change within 30 s or says it did not
ELECTION_TIMEOUT_S = 1.4  # raftMaxTimeout in spinelraft/raft/group.py
NEEDS_NETWORK = ("partition",)


class Fault:
    name = ""

    def __init__(self, context):
        self.context = context
        self.cluster = context.cluster
        self.rng = context.rng

    def target(self, choice: str):
        if choice == "leader":
            leader = self.cluster.leader()
            if leader is not None:
                return leader
        members = [node for node in self.cluster.nodes if not node.removed]
        return self.rng.choice(members or self.cluster.nodes)

    def start(self) -> dict:
        raise NotImplementedError

    def stop(self) -> dict:
        raise NotImplementedError


class Kill(Fault):
    name = "kill"

    def start(self):
        choice = self.rng.choice(["random", "leader"])
        self.node = self.target(choice)
        self.cluster.kill(self.node)
        return {"node": self.node.name, "choice": choice}

    def stop(self):
        self.cluster.restart_if_dead(self.node)
        return {"node": self.node.name, "restarted": True}


class Pause(Fault):
    name = "pause"

    def start(self):
        choice = self.rng.choice(["random", "leader"])
        self.node = self.target(choice)
        self.cluster.pause(self.node)
        return {"node": self.node.name, "choice": choice}

    def stop(self):
        self.cluster.resume(self.node)
        return {"node": self.node.name}


class Partition(Fault):
    name = "partition"

    def start(self):
        nodes = self.cluster.nodes
        shape = self.rng.choice(["isolate-one", "isolate-leader", "majority-minority"])
        if shape == "majority-minority":
            shuffled = list(nodes)
            self.rng.shuffle(shuffled)
            minority = shuffled[:(len(nodes) - 1) // 2]
        else:
            minority = [self.target("leader" if shape == "isolate-leader" else "random")]
        majority = [node for node in nodes if node not in minority]
        self.context.network.cut([[node.host for node in minority], [node.host for node in majority]])
        return {"shape": shape, "groups": [[n.name for n in minority], [n.name for n in majority]]}

    def stop(self):
        self.context.network.heal()
        return {"healed": True}


class Transfer(Fault):
    name = "transfer"

    def start(self):
        leader = self.cluster.leader()
        if leader is None:
            return {"method": "none", "reason": "no leader"}
        try:
            leader.client(5.0).execute_command("FAILOVER")
            return {"method": "FAILOVER", "from": leader.name}
        except redis.RedisError as error:
            self.cluster.pause(leader)
            self.context.stop_event.wait(ELECTION_TIMEOUT_S * 2)
            self.cluster.resume(leader)
            return {"method": "pause-step-down", "from": leader.name, "failover_error": str(error)}

    def stop(self):
        leader = self.cluster.leader()
        return {"leader": leader.name if leader else None}


class Clock(Fault):
    name = "clock"

    def start(self):
        limit = self.context.max_clock_skew_ms
        count = self.rng.randint(1, len(self.cluster.nodes))
        skews = {}
        for node in self.rng.sample(self.cluster.nodes, count):
            skew = self.rng.randint(-limit, limit)
            if set_clock_skew(node, skew):
                skews[node.name] = skew
        return {"skews_ms": skews}

    def stop(self):
        reset = [node.name for node in self.cluster.nodes if set_clock_skew(node, 0)]
        return {"reset": reset}


class Lag(Fault):
    """Cut one follower off (or pause it) while the majority takes writes."""

    name = "lag"

    def start(self):
        followers = self.cluster.followers()
        self.node = self.rng.choice(followers or self.cluster.nodes)
        others = [node.host for node in self.cluster.nodes if node is not self.node]
        if self.context.network.installed:
            self.context.network.cut([[self.node.host], others])
            self.method = "partition"
        else:
            self.cluster.pause(self.node)
            self.method = "pause"
        return {"node": self.node.name, "method": self.method}

    def stop(self):
        if self.method == "partition":
            self.context.network.heal()
        else:
            self.cluster.resume(self.node)
        return {"node": self.node.name}


class Member(Fault):
    """Remove a follower (RAFT REMOVENODE through the leader), kill it, wipe its data; at the end
    start it empty and add it back (RAFT ADDNODE)."""

    name = "member"

    def start(self):
        self.node = None
        leader = self.cluster.leader()
        candidates = [node for node in self.cluster.nodes if node is not leader and node.alive()
                      and not node.removed]
        if leader is None or not candidates:
            return {"removed": None, "reason": "no leader" if leader is None else "no follower"}
        node = self.rng.choice(candidates)
        try:
            leader.client(MEMBERSHIP_TIMEOUT_S).execute_command("RAFT", "REMOVENODE", node.name)
        except redis.RedisError as error:
            return {"removed": None, "node": node.name, "error": str(error)}
        self.node = node
        node.removed = True
        self.cluster.kill(node)
        shutil.rmtree(node.data_dir, ignore_errors=True)
        return {"removed": node.name, "via": leader.name}

    def stop(self):
        if self.node is None:
            return {"added": None}
        return readd_member(self.cluster, self.node)


def readd_member(cluster, node) -> dict:
    """Start a removed node empty and add it back through any live member (followers forward)."""
    cluster.kill(node)
    cluster.start(node)
    last_error = "no live member to ask"
    for other in [cluster.leader()] + list(cluster.nodes):
        if other is None or other is node or other.removed or not other.alive() or other.paused:
            continue
        try:
            other.client(MEMBERSHIP_TIMEOUT_S).execute_command(
                "RAFT", "ADDNODE", node.name, node.host, node.port, node.raft_port)
            node.removed = False
            return {"added": node.name, "via": other.name}
        except redis.RedisError as error:
            last_error = str(error)
            if "already a member" in last_error:  # an earlier attempt went through after all
                node.removed = False
                return {"added": node.name, "via": other.name, "note": last_error}
    return {"added": None, "node": node.name, "error": last_error}


FAULTS = {fault.name: fault for fault in (Kill, Pause, Partition, Transfer, Clock, Lag, Member)}


def set_clock_skew(node, skew_ms: int) -> bool:
    if not node.alive() or node.paused:
        return False
    try:
        node.client(1.0).execute_command("DEBUG", "SET-CLOCK-SKEW", skew_ms)
        return True
    except redis.RedisError:
        return False


class NemesisContext:
    def __init__(self, cluster, network, rng, stop_event, max_clock_skew_ms: int = 200):
        self.cluster = cluster
        self.network = network
        self.rng = rng
        self.stop_event = stop_event
        self.max_clock_skew_ms = max_clock_skew_ms


class Nemesis:
    """Alternates quiet periods and faults until stopped; logs to nemesis.jsonl as it goes."""

    def __init__(self, context, names, history, log_path, interval_s: float = 5.0,
                 fault_s: float = 6.0, progress=print):
        self.context = context
        self.names = list(names)
        self.history = history
        self.log_path = log_path
        self.interval_s = interval_s
        self.fault_s = fault_s
        self.progress = progress
        self.events = []
        self.active = []
        self.thread = threading.Thread(target=self._run, name="nemesis", daemon=True)
        self.error = None

    def record(self, kind: str, fault: str, detail: dict):
        event = {"time": self.history.now(), "type": kind, "fault": fault, "detail": detail}
        self.events.append(event)
        with open(self.log_path, "a") as handle:
            handle.write(json.dumps(event) + "\n")
        self.progress("nemesis %s %s %s" % (kind, fault, json.dumps(detail)))

    def start(self):
        if self.names:
            self.thread.start()

    def _run(self):
        stop = self.context.stop_event
        rng = self.context.rng
        try:
            while not stop.wait(rng.uniform(0.5, 1.5) * self.interval_s):
                chosen = [rng.choice(self.names)]
                others = [name for name in self.names if name not in chosen]
                if others and rng.random() < 0.3:
                    chosen.append(rng.choice(others))
                for name in chosen:
                    fault = FAULTS[name](self.context)
                    self.record("start", name, fault.start())
                    self.active.append(fault)
                stop.wait(rng.uniform(0.5, 1.5) * self.fault_s)
                self.end_active()
        except Exception as error:  # noqa: BLE001 - reported in results, the run heals anyway
            self.error = "%s: %s" % (type(error).__name__, error)
            self.progress("nemesis error: %s" % self.error)

    def end_active(self):
        while self.active:
            fault = self.active.pop()
            self.record("stop", fault.name, fault.stop())

    def stop_and_heal(self):
        """Stop the schedule, end active faults, then heal everything regardless."""
        self.context.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=MEMBERSHIP_TIMEOUT_S * 2 + 10)
        cluster = self.context.cluster
        for node in cluster.nodes:  # a paused leader cannot confirm a membership change
            cluster.resume(node)
        self.context.network.heal()
        self.end_active()
        readded = [readd_member(cluster, node) for node in cluster.nodes if node.removed]
        restarted = [node.name for node in cluster.nodes if cluster.restart_if_dead(node)]
        self.record("heal", "all", {"restarted": restarted, "readded": readded})
        if "clock" in self.names:
            deadline = time.monotonic() + 30
            for node in cluster.nodes:
                cluster.wait_ready(node, deadline)
                set_clock_skew(node, 0)

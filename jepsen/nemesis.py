"""Faults and the schedule that injects them.

kill       kill -9 a node (a random one or a shard's leader), restart it when the fault ends
pause      SIGSTOP a node (random or a shard's leader), SIGCONT when the fault ends
partition  iptables DROP between groups: one node isolated, a shard's leader isolated, or a random
           majority/minority split; healed when the fault ends
transfer   leadership transfer of a shard: FAILOVER on its leader (Raft TimeoutNow) or, with
           several shards, RAFT TRANSFER <shard> sent to any node; where that is refused, a
           pause-based step-down: SIGSTOP the leader for longer than the election timeout
clock      DEBUG SET-CLOCK-SKEW on random nodes, a shard's leader among them with several shards
           (servers run with --enable-debug-command)
lag        isolate one node that leads no shard (partition, or pause without partitions) while
           clients keep using it: with --unsafe-stale-reads its reads are stale; the planted-bug
           schedule
member     remove a node that leads no shard from every shard it replicates (RAFT REMOVENODE),
           kill it and wipe its data; when the fault ends, start it empty (--join) and add it back
           to those shards (RAFT ADDNODE ... SHARD s): it catches up from a snapshot or the log

"The leader" is per shard: with several shards a leader-targeting fault picks a random shard and
records it (`shard` in the fault's detail).
"""
import abc
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


class Fault(abc.ABC):
    name = ""

    def __init__(self, context):
        self.context = context
        self.cluster = context.cluster
        self.rng = context.rng

    def pick_shard(self) -> int:
        """A random shard (no random draw with one shard, so one-shard schedules stay as they were)."""
        shards = self.cluster.shards
        return 0 if shards == 1 else self.rng.randrange(shards)

    def target(self, choice: str, detail: dict = None):
        """A node: the leader of a random shard (recorded in detail) or a random member."""
        if choice == "leader":
            shard = self.pick_shard()
            if detail is not None and self.cluster.shards > 1:
                detail["shard"] = shard
            leader = self.cluster.leader(shard)
            if leader is not None:
                return leader
            if detail is not None:
                detail["no_leader"] = True
        members = [node for node in self.cluster.nodes if not node.removed]
        return self.rng.choice(members or self.cluster.nodes)

    @abc.abstractmethod
    def start(self) -> dict:
        """Inject the fault; what was done, for the nemesis log."""

    @abc.abstractmethod
    def stop(self) -> dict:
        """Heal it; what was done, for the nemesis log."""


class Kill(Fault):
    name = "kill"

    def start(self):
        choice = self.rng.choice(["random", "leader"])
        detail = {"choice": choice}
        self.node = self.target(choice, detail)
        self.cluster.kill(self.node)
        return {"node": self.node.name, **detail}

    def stop(self):
        self.cluster.restart_if_dead(self.node)
        return {"node": self.node.name, "restarted": True}


class Pause(Fault):
    name = "pause"

    def start(self):
        choice = self.rng.choice(["random", "leader"])
        detail = {"choice": choice}
        self.node = self.target(choice, detail)
        self.cluster.pause(self.node)
        return {"node": self.node.name, **detail}

    def stop(self):
        self.cluster.resume(self.node)
        return {"node": self.node.name}


class Partition(Fault):
    name = "partition"

    def start(self):
        nodes = self.cluster.nodes
        shape = self.rng.choice(["isolate-one", "isolate-leader", "majority-minority"])
        detail = {"shape": shape}
        if shape == "majority-minority":
            shuffled = list(nodes)
            self.rng.shuffle(shuffled)
            minority = shuffled[:(len(nodes) - 1) // 2]
        else:
            minority = [self.target("leader" if shape == "isolate-leader" else "random", detail)]
        majority = [node for node in nodes if node not in minority]
        self.context.network.cut([[node.host for node in minority], [node.host for node in majority]])
        detail["groups"] = [[n.name for n in minority], [n.name for n in majority]]
        return detail

    def stop(self):
        self.context.network.heal()
        return {"healed": True}


class Transfer(Fault):
    name = "transfer"

    def start(self):
        self.shard = self.pick_shard()
        detail = {"shard": self.shard} if self.cluster.shards > 1 else {}
        leader = self.cluster.leader(self.shard)
        if leader is None:
            return {"method": "none", "reason": "no leader", **detail}
        method = "FAILOVER" if self.cluster.shards == 1 else self.rng.choice(["FAILOVER", "RAFT TRANSFER"])
        try:
            if method == "FAILOVER":  # hands over every shard this node leads
                leader.client(5.0).execute_command("FAILOVER")
            else:  # to any live node: it forwards to the shard's leader
                live = [node for node in self.cluster.nodes if node.alive() and not node.paused and not node.removed]
                via = self.rng.choice(live or [leader])
                detail["via"] = via.name
                via.client(5.0).execute_command("RAFT", "TRANSFER", self.shard)
            return {"method": method, "from": leader.name, **detail}
        except redis.RedisError as error:
            self.cluster.pause(leader)
            self.context.stop_event.wait(ELECTION_TIMEOUT_S * 2)
            self.cluster.resume(leader)
            detail["%s_error" % method.split()[-1].lower()] = str(error)
            return {"method": "pause-step-down", "from": leader.name, **detail}

    def stop(self):
        leader = self.cluster.leader(self.shard)
        return {"leader": leader.name if leader else None,
                **({"shard": self.shard} if self.cluster.shards > 1 else {})}


class Clock(Fault):
    name = "clock"

    def start(self):
        limit = self.context.max_clock_skew_ms
        count = self.rng.randint(1, len(self.cluster.nodes))
        skews = {}
        chosen = self.rng.sample(self.cluster.nodes, count)
        detail = {}
        if self.cluster.shards > 1:  # the clock that matters for expiry is a leader's
            shard = self.pick_shard()
            leader = self.cluster.leader(shard)
            detail = {"leader_of_shard": shard, "leader": leader.name if leader else None}
            if leader is not None and leader not in chosen:
                chosen.append(leader)
        for node in chosen:
            skew = self.rng.randint(-limit, limit)
            if set_clock_skew(node, skew):
                skews[node.name] = skew
        return {"skews_ms": skews, **detail}

    def stop(self):
        reset = [node.name for node in self.cluster.nodes if set_clock_skew(node, 0)]
        return {"reset": reset}


class Lag(Fault):
    """Cut one follower off (or pause it) while the majority takes writes."""

    name = "lag"

    def start(self):
        followers = self.cluster.followers()  # nodes leading no shard
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
    """Remove a node that leads no shard from every shard it replicates (RAFT REMOVENODE, which
    the asked node forwards to each shard's leader), kill it, wipe its data; at the end start it
    empty with --join and add it back to those shards (RAFT ADDNODE ... SHARD s)."""

    name = "member"

    def start(self):
        self.node = None
        leaders = self.cluster.leaders()
        led = set(leaders.values())
        candidates = [node for node in self.cluster.nodes if node not in led and node.alive()
                      and not node.removed]
        if all(leader is None for leader in leaders.values()):
            return {"removed": None, "reason": "no leader"}
        if not candidates:
            return {"removed": None, "reason": "no live node that leads no shard"}
        node = self.rng.choice(candidates)
        shards = sorted(shard for shard, names in self.cluster.shard_members().items() if node.name in names)
        via = self.rng.choice([other for other in self.cluster.nodes if other is not node and other.alive()
                               and not other.paused and not other.removed] or [node])
        try:
            via.client(MEMBERSHIP_TIMEOUT_S).execute_command("RAFT", "REMOVENODE", node.name)
        except redis.RedisError as error:
            left = removed_from(self.cluster, node, shards)
            if not left:  # in every shard still: nothing changed
                return {"removed": None, "node": node.name, "shards": shards, "error": str(error)}
            # out of some shards only: keep its data (it still replicates the others), re-add later
            self.node = node
            node.removed = True
            node.removed_shards = left
            return {"removed": node.name, "partial": True, "shards": left, "still_in": sorted(set(shards) - set(left)),
                    "via": via.name, "error": str(error)}
        self.node = node
        node.removed = True
        node.removed_shards = shards
        self.cluster.kill(node)
        shutil.rmtree(node.data_dir, ignore_errors=True)
        node.wiped = True
        node.joins = True  # a wiped node replicates nothing until it is added back
        return {"removed": node.name, "shards": shards, "via": via.name}

    def stop(self):
        if self.node is None:
            return {"added": None}
        return readd_member(self.cluster, self.node)


def removed_from(cluster, node, shards) -> list:
    """Of these shards, those that (as another live node's RAFT MEMBERS says) no longer include
    node; [] when nobody answers (then nothing is assumed removed)."""
    for other in cluster.nodes:
        if other is node or not other.alive() or other.paused or other.removed:
            continue
        try:
            rows = other.client(2.0).execute_command("RAFT", "MEMBERS")
        except redis.RedisError:
            continue
        for row in rows:
            row = _as_dict(row)
            if _text(row.get("id")) == node.name:
                still = {int(shard) for shard in row.get("shards") or []}
                return [shard for shard in shards if shard not in still]
        return list(shards)  # not listed at all: in no shard
    return []


def _as_dict(row) -> dict:
    if isinstance(row, dict):
        return {_text(key): value for key, value in row.items()}
    return {_text(row[index]): row[index + 1] for index in range(0, len(row) - 1, 2)}


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def readd_member(cluster, node) -> dict:
    """Add a removed node back to the shards it left, through any live member (requests go on to
    each shard's leader). A wiped node is started empty first, with --join."""
    shards = getattr(node, "removed_shards", None)
    if getattr(node, "wiped", False):
        cluster.kill(node)
        cluster.start(node)
    elif not node.alive():
        cluster.start(node)
    per_shard = cluster.shards > 1 and shards is not None
    pending = list(shards) if per_shard else [None]
    added, last_error, via = [], "no live member to ask", None
    for shard in list(pending):
        suffix = [] if shard is None else ["SHARD", shard]
        for other in [cluster.leader(shard or 0)] + list(cluster.nodes):
            if other is None or other is node or other.removed or not other.alive() or other.paused:
                continue
            try:
                other.client(MEMBERSHIP_TIMEOUT_S).execute_command(
                    "RAFT", "ADDNODE", node.name, node.host, node.port, node.raft_port, *suffix)
            except redis.RedisError as error:
                last_error = str(error)
                if "already a member" not in last_error:
                    continue
            added.append(shard)
            pending.remove(shard)
            via = other.name
            break
    if pending:
        node.removed_shards = pending if per_shard else shards
        return {"added": None, "node": node.name, "pending_shards": pending, "error": last_error}
    node.removed = False
    node.wiped = False
    detail = {"added": node.name, "via": via}
    if per_shard:
        detail["shards"] = added
    return detail


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

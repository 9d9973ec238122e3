"""The Warden's picture of the cluster, kept from polling the nodes with CLUSTER SHARDS.

Every node the Warden knows (the configured ones plus those CLUSTER SHARDS names) is polled
on its own persistent connection with `CLUSTER MYID` + `CLUSTER SHARDS`. From the fresh answers
it derives, for every shard (the i-th entry in slot order, named "<prefix><i>"):

  * the master: a node that says it leads the shard in its own answer (a Raft leader knows it
    is leader; followers may lag by an election timeout). When several claim it (an old leader
    the Warden still reaches), the one most nodes name wins. When none answers as leader, the
    one the others name is kept but flagged s_down (the Warden cannot reach it); when nobody
    names a leader the last known master stays, flagged s_down and o_down, as Sentinel keeps a
    failed master until the failover ends;
  * s_down: the Warden cannot reach the master (a refused connection counts at once, silence
    after down-after-milliseconds) or the shard has no leader;
  * o_down: s_down and fewer than `quorum` reachable members name the master as their leader;
  * the replicas: every other member, s_down when the Warden cannot reach it.

A change of master is published as `+switch-master <name> <old-ip> <old-port> <new-ip> <new-port>`,
with +sdown/-sdown, +odown/-odown, +slave and +monitor events in Sentinel's format.
"""
import asyncio
import logging
import time
from collections import Counter

from spinelraft.replies import ErrorReply
from spinelraft.warden.client import NodeLink, NodeUnreachable

log = logging.getLogger("spinelraft.warden")

ALIVE_ERRORS = ("LOADING", "MASTERDOWN", "BUSY", "CLUSTERDOWN", "TRYAGAIN")  # alive, just not serving


class NodeEntry:
    """One node as a CLUSTER SHARDS entry describes it."""

    __slots__ = ("id", "ip", "port", "role", "offset", "health")

    def __init__(self, id, ip, port, role, offset, health):
        self.id, self.ip, self.port, self.role, self.offset, self.health = id, ip, port, role, offset, health

    @property
    def address(self):
        return (self.ip, self.port)


class ShardView:
    __slots__ = ("slots", "nodes")

    def __init__(self, slots: tuple, nodes: list):
        self.slots = slots
        self.nodes = nodes

    @property
    def master(self):
        return next((entry for entry in self.nodes if entry.role == "master"), None)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _as_dict(item) -> dict:
    """A RESP2 flat field/value list (or a RESP3 map) as a dict with str keys."""
    if isinstance(item, dict):
        return {_text(key): value for key, value in item.items()}
    if not isinstance(item, list) or len(item) % 2:
        raise ValueError("expected a map")
    return {_text(item[index]): item[index + 1] for index in range(0, len(item), 2)}


def parse_shards(reply) -> list:
    """CLUSTER SHARDS (Redis 7 format) -> [ShardView] sorted by first slot."""
    if not isinstance(reply, list):
        raise ValueError("CLUSTER SHARDS did not return a list")
    views = []
    for item in reply:
        shard = _as_dict(item)
        slots = tuple(int(number) for number in shard.get("slots") or ())
        nodes = []
        for raw in shard.get("nodes") or ():
            entry = _as_dict(raw)
            ip = _text(entry.get("ip") or entry.get("endpoint") or b"")
            port = int(entry.get("port") or entry.get("tls-port") or 0)
            if not ip or not port:
                continue
            nodes.append(NodeEntry(_text(entry.get("id", b"")), ip, port, _text(entry.get("role", b"replica")),
                                   int(entry.get("replication-offset") or 0), _text(entry.get("health", b"online"))))
        views.append(ShardView(slots, nodes))
    views.sort(key=lambda view: min(view.slots[0::2]) if view.slots else 1 << 20)
    return views


def layout_of(views) -> tuple:
    return tuple(view.slots for view in views)


class Probe:
    """The Warden's link to one node and what it last said."""

    def __init__(self, host: str, port: int, password: str, configured: bool):
        self.host = host
        self.port = port
        self.configured = configured
        self.link = NodeLink(host, port, password)
        self.node_id = None  # CLUSTER MYID, once answered
        self.shards = None  # [ShardView] of the last valid answer
        self.created = time.monotonic()
        self.last_ok = None  # last valid answer (monotonic)
        self.last_reply = None  # last answer of any kind
        self.ping_sent = None  # when the poll in flight was sent
        self.refused = False
        self.failed = False  # the last poll got no answer
        self.error = ""
        self.wake = asyncio.Event()
        self.retired = False
        self.task = None

    @property
    def address(self):
        return (self.host, self.port)

    def is_down(self, now: float, down_after_s: float) -> bool:
        if self.failed and self.refused:
            return True
        reference = self.last_ok if self.last_ok is not None else self.created
        return now - reference > down_after_s


class Replica:
    __slots__ = ("id", "ip", "port", "offset", "down_since", "seen_at")

    def __init__(self, id, ip, port, offset, now):
        self.id, self.ip, self.port, self.offset = id, ip, port, offset
        self.down_since = None
        self.seen_at = now


class MasterState:
    """One shard, monitored as a Sentinel master."""

    def __init__(self, name: str, index: int, now: float):
        self.name = name
        self.index = index
        self.slots = ()
        self.ip = None
        self.port = None
        self.runid = ""
        self.members = 0
        self.replicas = []  # [Replica], in the order the nodes list them
        self.s_down_since = None
        self.o_down_since = None
        self.config_epoch = 0
        self.role_reported_time = now
        self.failover_in_progress = False
        self.leader_named_by = 0  # reachable members naming the current master as leader
        self.quorum = 1
        self.placeholder = False  # no leader seen yet: ip/port name a member, flagged down

    @property
    def known(self) -> bool:
        return self.ip is not None

    def event_id(self) -> str:
        return "master %s %s %d" % (self.name, self.ip, self.port)

    def replica_event_id(self, replica) -> str:
        return "slave %s:%d %s %d @ %s %s %d" % (replica.ip, replica.port, replica.ip, replica.port,
                                                 self.name, self.ip, self.port)


class Monitor:
    def __init__(self, settings, publish):
        self.settings = settings
        self.publish = publish  # publish(channel: str, message: str)
        self.probes = []  # [Probe]
        self.masters = []  # [MasterState] in shard order
        self.started = time.monotonic()
        self.refreshed = asyncio.Event()  # set after every refresh (waiters clear it)
        self._tasks = []
        for host, port in settings.node_addresses():
            self.probes.append(Probe(host, port, settings.password, configured=True))

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def down_after_s(self) -> float:
        return self.settings.down_after_milliseconds / 1000.0

    def start(self):
        loop = asyncio.get_running_loop()
        for probe in self.probes:
            if probe.task is None:
                probe.task = loop.create_task(self._poll_forever(probe))
        self._tasks.append(loop.create_task(self._refresh_forever()))

    def stop(self):
        for probe in self.probes:
            probe.retired = True
            if probe.task is not None:
                probe.task.cancel()
            probe.link.close()
        for task in self._tasks:
            task.cancel()

    def poke(self):
        """Poll every node now (after a failover, SENTINEL RESET)."""
        for probe in self.probes:
            probe.wake.set()

    def _add_probe(self, host: str, port: int, configured: bool = False):
        probe = Probe(host, port, self.settings.password, configured)
        self.probes.append(probe)
        probe.task = asyncio.get_running_loop().create_task(self._poll_forever(probe))
        log.info("discovered node %s:%d", host, port)
        return probe

    # -- polling -------------------------------------------------------------------------------
    async def _poll_forever(self, probe: Probe):
        interval = self.settings.poll_interval
        while not probe.retired:
            await self._poll(probe)
            self.refresh()
            probe.wake.clear()
            try:
                await asyncio.wait_for(probe.wake.wait(), interval)
            except asyncio.TimeoutError:
                pass

    async def _poll(self, probe: Probe):
        now = time.monotonic()
        probe.ping_sent = now
        try:
            myid, shards = await probe.link.pipeline([(b"CLUSTER", b"MYID"), (b"CLUSTER", b"SHARDS")],
                                                     timeout_s=max(0.2, self.down_after_s))
        except NodeUnreachable as error:
            if not probe.failed:
                log.info("node %s:%d unreachable: %s", probe.host, probe.port, error)
            probe.failed, probe.refused, probe.error = True, error.refused, str(error)
            return
        finally:
            probe.ping_sent = None
        now = time.monotonic()
        if probe.failed:
            log.info("node %s:%d answers again", probe.host, probe.port)
        probe.failed = probe.refused = False
        probe.last_reply = now
        error = next((reply for reply in (myid, shards) if isinstance(reply, ErrorReply)), None)
        if error is not None:
            if error.message.startswith(ALIVE_ERRORS):
                probe.last_ok = now
                probe.shards = None
            elif probe.error != error.message:
                log.warning("node %s:%d answered CLUSTER SHARDS with: %s", probe.host, probe.port, error.message)
            probe.error = error.message
            return
        try:
            views = parse_shards(shards)
        except (ValueError, TypeError) as problem:
            if probe.error != str(problem):
                log.warning("node %s:%d: unreadable CLUSTER SHARDS reply: %s", probe.host, probe.port, problem)
            probe.error = str(problem)
            return
        probe.node_id = _text(myid)
        probe.shards = views
        probe.last_ok = now
        probe.error = ""

    async def _refresh_forever(self):
        # time alone turns a silent node down: refresh even when every poll hangs
        while True:
            await asyncio.sleep(self.settings.poll_interval)
            self.refresh()

    # -- the picture ---------------------------------------------------------------------------
    def probe_for(self, node_id: str, address=None):
        probe = next((probe for probe in self.probes if probe.node_id == node_id), None)
        if probe is None and address is not None:  # discovered, not answered yet
            probe = next((probe for probe in self.probes if probe.address == address), None)
        return probe

    def node_is_down(self, node_id: str, now: float, address=None) -> bool:
        probe = self.probe_for(node_id, address)
        return probe is None or probe.is_down(now, self.down_after_s)

    def master(self, name) -> "MasterState":
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        return next((state for state in self.masters if state.name == name), None)

    def refresh(self):
        now = time.monotonic()
        down_after = self.down_after_s
        views = [(probe, probe.shards) for probe in self.probes
                 if probe.shards is not None and probe.node_id and not probe.is_down(now, down_after)]
        if views:
            layouts = Counter(layout_of(shards) for _, shards in views)
            layout = layouts.most_common(1)[0][0]
            agreeing = [(probe, shards) for probe, shards in views if layout_of(shards) == layout]
            self._discover(views)
            self._resize(len(layout), now)
            for index, state in enumerate(self.masters):
                self._update_shard(state, [(probe, shards[index]) for probe, shards in agreeing], now)
        else:
            for state in self.masters:  # nobody answers: every master is down
                self._set_down(state, True, 0, now)
                for replica in state.replicas:
                    self._set_replica_down(state, replica, True, now)
        self.refreshed.set()

    def _discover(self, views):
        """Poll every node the cluster names; stop polling discovered nodes it no longer names."""
        named = {}
        for _, shards in views:
            for view in shards:
                for entry in view.nodes:
                    named.setdefault(entry.id, entry.address)
        known_ids = {probe.node_id for probe in self.probes if probe.node_id}
        known_addresses = {probe.address for probe in self.probes}
        for node_id, address in named.items():
            if node_id not in known_ids and address not in known_addresses:
                self._add_probe(address[0], address[1], configured=False)
                known_addresses.add(address)
        for probe in list(self.probes):
            if (not probe.configured and probe.node_id not in named
                    and probe.address not in named.values()):
                log.info("node %s:%d left the cluster: no longer polled", probe.host, probe.port)
                probe.retired = True
                if probe.task is not None:
                    probe.task.cancel()
                probe.link.close()
                self.probes.remove(probe)

    def _resize(self, count: int, now: float):
        prefix = self.settings.name_prefix
        while len(self.masters) > count:
            state = self.masters.pop()
            if state.known:
                self.publish("-monitor", state.event_id())
        while len(self.masters) < count:
            index = len(self.masters)
            self.masters.append(MasterState("%s%d" % (prefix, index), index, now))

    def _update_shard(self, state: MasterState, views, now: float):
        members = {}  # id -> NodeEntry (first description wins: node order of the first view)
        for _, view in views:
            for entry in view.nodes:
                members.setdefault(entry.id, entry)
        own = {}  # a member's description of itself (its offset is its own)
        for probe, view in views:
            for entry in view.nodes:
                if entry.id == probe.node_id:
                    own[entry.id] = entry
        state.slots = views[0][1].slots if views else state.slots
        state.members = len(members)
        majority = len(members) // 2 + 1
        state.quorum = self.settings.quorum or majority
        named = Counter(view.master.id for _, view in views if view.master is not None)
        claimers = [probe.node_id for probe, view in views
                    if view.master is not None and view.master.id == probe.node_id]
        leader = None
        if claimers:
            leader = max(claimers, key=lambda node_id: (named[node_id], node_id == state.runid))
        else:
            # named by others, silent itself: a leader the Warden cannot reach (or one that just
            # stepped down, which its own answer would have shown: those are not candidates)
            answering = {probe.node_id for probe, _ in views}
            candidates = [node_id for node_id in named if node_id not in answering]
            if candidates:
                leader = max(candidates, key=lambda node_id: (named[node_id], node_id == state.runid))
        if leader is not None:
            entry = own.get(leader) or members.get(leader)
            self._set_master(state, entry, now)
        elif not state.known and members:
            first = next(iter(members.values()))  # no leader ever seen: show a member, down
            state.ip, state.port, state.runid = first.ip, first.port, first.id
            state.placeholder = True
        if not state.known:
            return
        state.leader_named_by = named.get(state.runid, 0)
        down = leader is None or self.node_is_down(state.runid, now, (state.ip, state.port))
        self._set_down(state, down, state.leader_named_by, now)
        self._update_replicas(state, members, own, now)

    def _set_master(self, state: MasterState, entry, now: float):
        if (state.known and not state.placeholder and state.runid == entry.id
                and (state.ip, state.port) == entry.address):
            return
        if state.known and not state.placeholder:
            old = (state.ip, state.port)
            state.ip, state.port, state.runid = entry.ip, entry.port, entry.id
            state.config_epoch += 1
            state.role_reported_time = now
            state.s_down_since = state.o_down_since = None
            message = "%s %s %d %s %d" % (state.name, old[0], old[1], entry.ip, entry.port)
            log.warning("+switch-master %s", message)
            self.publish("+switch-master", message)
        else:
            state.placeholder = False
            state.ip, state.port, state.runid = entry.ip, entry.port, entry.id
            state.role_reported_time = now
            log.info("+monitor master %s %s %d (slots %s)", state.name, entry.ip, entry.port,
                     " ".join(str(slot) for slot in state.slots))
            self.publish("+monitor", "%s quorum %d" % (state.event_id(), state.quorum))

    def _set_down(self, state: MasterState, down: bool, named_by: int, now: float):
        if down and state.s_down_since is None:
            state.s_down_since = now
            log.warning("+sdown %s", state.event_id())
            self.publish("+sdown", state.event_id())
        elif not down and state.s_down_since is not None:
            state.s_down_since = None
            log.info("-sdown %s", state.event_id())
            self.publish("-sdown", state.event_id())
        objectively = down and named_by < state.quorum
        if objectively and state.o_down_since is None:
            state.o_down_since = now
            message = "%s #quorum %d/%d" % (state.event_id(), state.members - named_by, state.quorum)
            log.warning("+odown %s", message)
            self.publish("+odown", message)
        elif not objectively and state.o_down_since is not None:
            state.o_down_since = None
            log.info("-odown %s", state.event_id())
            self.publish("-odown", state.event_id())

    def _update_replicas(self, state: MasterState, members: dict, own: dict, now: float):
        previous = {replica.id: replica for replica in state.replicas}
        replicas = []
        for node_id, entry in members.items():
            if node_id == state.runid:
                continue
            described = own.get(node_id) or entry
            replica = previous.get(node_id)
            if replica is None:
                replica = Replica(node_id, described.ip, described.port, described.offset, now)
                self.publish("+slave", state.replica_event_id(replica))
            replica.ip, replica.port, replica.offset = described.ip, described.port, described.offset
            replicas.append(replica)
        state.replicas = replicas
        for replica in replicas:
            self._set_replica_down(state, replica, self.node_is_down(replica.id, now, (replica.ip, replica.port)), now)

    def _set_replica_down(self, state, replica, down: bool, now: float):
        if down and replica.down_since is None:
            replica.down_since = now
            self.publish("+sdown", state.replica_event_id(replica))
        elif not down and replica.down_since is not None:
            replica.down_since = None
            self.publish("-sdown", state.replica_event_id(replica))

    def reachable_members(self, state: MasterState, now: float = None) -> int:
        now = time.monotonic() if now is None else now
        ids = [state.runid] + [replica.id for replica in state.replicas]
        addresses = [(state.ip, state.port)] + [(replica.ip, replica.port) for replica in state.replicas]
        return sum(1 for node_id, address in zip(ids, addresses) if not self.node_is_down(node_id, now, address))

    async def wait_for(self, predicate, timeout_s: float) -> bool:
        """Wait (bounded) until predicate() holds after a refresh."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.refreshed.clear()
            try:
                await asyncio.wait_for(self.refreshed.wait(), remaining)
            except asyncio.TimeoutError:
                return predicate()
        return True

"""CLUSTER commands describing the live Raft topology in Redis Cluster's terms.

Every shard is a Raft group: its leader is the "master" of the shard's slot range and the other
replicas are its "slaves". Cluster-aware clients (redis-py RedisCluster) read this to route.
"""
import hashlib

from spinelraft.command_table import command
from spinelraft.node.commands import subcommands
from spinelraft.replies import ErrorReply, Map, Simple
from spinelraft.slots import SLOTS, key_slot, shard_slot_range
from spinelraft.statemachine.args import to_int


def cluster_node_id(node_id: str) -> bytes:
    """Redis node ids are 40 hex characters; ours derive from the configured node id."""
    return hashlib.sha1(node_id.encode()).hexdigest().encode()


def topology(node) -> list:
    """[(first slot, last slot, [(member dict, is_leader)])] for every shard, in shard order."""
    shards = []
    for shard_id in range(node.layout.count):
        leader = node.leader_member(shard_id)
        described = [(member, leader is not None and member["id"] == leader["id"])
                     for member in node.members_of(shard_id)]
        described.sort(key=lambda item: not item[1])  # the leader (master) first
        first, last = shard_slot_range(shard_id, node.layout.count)
        shards.append((first, last, described))
    return shards


def _epoch(node) -> int:
    return max((shard.group.raftCurrentTerm for shard in node.shards.values()), default=0)


def _offset(node, shard_index: int) -> int:
    shard = node.shards.get(shard_index)
    return shard.group.raftCommitIndex if shard is not None else 0


def _keyslot(session, args):
    return key_slot(args[0])


def _myid(session, args):
    return cluster_node_id(session.node.settings.node_id)


def _info(session, args):
    shards = topology(session.node)
    known = sum(len(members) for _, _, members in shards)
    has_leader = all(any(is_leader for _, is_leader in members) for _, _, members in shards)
    lines = [
        "cluster_enabled:1",
        "cluster_state:%s" % ("ok" if has_leader else "fail"),
        "cluster_slots_assigned:%d" % SLOTS,
        "cluster_slots_ok:%d" % (SLOTS if has_leader else 0),
        "cluster_slots_pfail:0",
        "cluster_slots_fail:%d" % (0 if has_leader else SLOTS),
        "cluster_known_nodes:%d" % known,
        "cluster_size:%d" % len(shards),
        "cluster_current_epoch:%d" % _epoch(session.node),
        "cluster_my_epoch:%d" % _epoch(session.node),
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def _slots(session, args):
    reply = []
    for first, last, members in topology(session.node):
        row = [first, last]
        for member, _ in members:
            row.append([member["host"].encode(), member["port"], cluster_node_id(member["id"])])
        reply.append(row)
    return reply


def _shards(session, args):
    node = session.node
    reply = []
    for shard_index, (first, last, members) in enumerate(topology(node)):
        nodes = [Map([
            (b"id", cluster_node_id(member["id"])),
            (b"port", member["port"]),
            (b"ip", member["host"].encode()),
            (b"endpoint", member["host"].encode()),
            (b"role", b"master" if is_leader else b"replica"),
            (b"replication-offset", _offset(node, shard_index)),
            (b"health", b"online"),
        ]) for member, is_leader in members]
        reply.append(Map([(b"slots", [first, last]), (b"nodes", nodes)]))
    return reply


def _nodes(session, args):
    """One line per node: a master with the slot ranges of the shards it leads, or a slave of
    the leader of its first shard (Redis Cluster has one role per node; Raft has one per shard)."""
    node = session.node
    myself = node.settings.node_id
    led = {}  # node id -> slot ranges it leads
    follows = {}  # node id -> the leader id of its first shard it does not lead
    seen = {}
    for first, last, members in topology(node):
        leader = next((m["id"] for m, is_leader in members if is_leader), None)
        for member, is_leader in members:
            seen.setdefault(member["id"], member)
            if is_leader:
                led.setdefault(member["id"], []).append("%d-%d" % (first, last))
            elif leader is not None:
                follows.setdefault(member["id"], leader)
    lines = []
    epoch = _epoch(node)
    for member_id, member in seen.items():
        is_master = member_id in led
        flags = ("myself," if member_id == myself else "") + ("master" if is_master else "slave")
        master = "-" if is_master or member_id not in follows else cluster_node_id(follows[member_id]).decode()
        raft_port = int(member["raft"].rsplit(":", 1)[1])
        lines.append("%s %s:%d@%d %s %s 0 0 %d connected%s" % (
            cluster_node_id(member_id).decode(), member["host"], member["port"], raft_port, flags, master,
            epoch, "".join(" " + ranges for ranges in led.get(member_id, []))))
    return ("\n".join(lines) + "\n").encode()


def _slot_argument(raw: bytes):
    slot = to_int(raw)
    if slot is None or not 0 <= slot < SLOTS:
        return None
    return slot


def _countkeysinslot(session, args):
    slot = _slot_argument(args[0])
    if slot is None:
        return ErrorReply("ERR Invalid slot")
    if _elsewhere(session.node, slot):
        return _ask_member(session.node, slot, [b"CLUSTER", b"COUNTKEYSINSLOT", args[0]])
    return len(_keys_in_slot(session, slot, None))


def _getkeysinslot(session, args):
    slot = _slot_argument(args[0])
    count = to_int(args[1])
    if slot is None:
        return ErrorReply("ERR Invalid slot")
    if count is None or count < 0:
        return ErrorReply("ERR Invalid number of keys")
    if _elsewhere(session.node, slot):
        return _ask_member(session.node, slot, [b"CLUSTER", b"GETKEYSINSLOT", args[0], args[1]])
    return _keys_in_slot(session, slot, count)


def _elsewhere(node, slot: int) -> bool:
    return node.layout.shard_of_slot(slot) not in node.shards


def _ask_member(node, slot: int, argv):
    """The reply of a member of the slot's shard (this node does not replicate it)."""
    import asyncio

    from spinelraft.node import peer_client
    from spinelraft.node.session import Slot

    reply_slot = Slot()
    remote = node.remote[node.layout.shard_of_slot(slot)]

    async def ask():
        reply = ErrorReply("CLUSTERDOWN no reachable replica of the slot's shard")
        for member in remote.candidates():
            try:
                reply = await peer_client.request(member["host"], member["port"], argv, node.settings.requirepass)
                break
            except (OSError, asyncio.TimeoutError):
                continue
        reply_slot.resolve(reply)

    node.loop.create_task(ask())
    return reply_slot


def _keys_in_slot(session, slot: int, limit):
    group = session.node.shards[session.node.layout.shard_of_slot(slot)].group
    found = []
    with group.lock:
        for key in group.machine.dbs[0].data:
            if key_slot(key) == slot:
                found.append(key)
                if limit is not None and len(found) >= limit:
                    break
    return found


def _help(session, args):
    return [Simple(line) for line in (
        "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "COUNTKEYSINSLOT <slot>", "GETKEYSINSLOT <slot> <count>", "INFO", "KEYSLOT <key>", "MYID",
        "NODES", "SHARDS", "SLOTS", "HELP")]


CLUSTER_SUBCOMMANDS = {
    b"keyslot": (3, _keyslot),
    b"myid": (2, _myid),
    b"info": (2, _info),
    b"slots": (2, _slots),
    b"shards": (2, _shards),
    b"nodes": (2, _nodes),
    b"countkeysinslot": (3, _countkeysinslot),
    b"getkeysinslot": (4, _getkeysinslot),
    b"help": (2, _help),
}


@command("cluster", -2, "loading stale", group="cluster", kind="server")
def cluster(session, args):
    """Describe the Raft topology as Redis Cluster does: slots, shards, nodes."""
    return subcommands("CLUSTER", CLUSTER_SUBCOMMANDS, session, args)




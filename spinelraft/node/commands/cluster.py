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


def member_table(node) -> list:
    """Members as dicts: the replicated table once membership changed, else the config's."""
    settings = node.settings
    replicated = node.group.machine.members
    if replicated:
        return [{"id": node_id, "host": host, "port": port, "raft": "%s:%d" % (host, raft_port)}
                for node_id, (host, port, raft_port) in replicated.items()]
    if settings.members:
        return [{"id": m.id, "host": m.host, "port": m.port, "raft": m.raft_address} for m in settings.members]
    return [{"id": settings.node_id, "host": settings.host, "port": settings.port,
             "raft": settings.raft_address}]


def topology(node) -> list:
    """[(first slot, last slot, [(member dict, is_leader)])] for every shard."""
    leader = node.group.leader_address()
    described = [(entry, entry["raft"] == leader) for entry in member_table(node)]
    described.sort(key=lambda item: not item[1])  # the leader (master) first
    first, last = shard_slot_range(0, 1)
    return [(first, last, described)]


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
        "cluster_current_epoch:%d" % session.node.group.raftCurrentTerm,
        "cluster_my_epoch:%d" % session.node.group.raftCurrentTerm,
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
    for first, last, members in topology(node):
        nodes = [Map([
            (b"id", cluster_node_id(member["id"])),
            (b"port", member["port"]),
            (b"ip", member["host"].encode()),
            (b"endpoint", member["host"].encode()),
            (b"role", b"master" if is_leader else b"replica"),
            (b"replication-offset", node.group.raftCommitIndex),
            (b"health", b"online"),
        ]) for member, is_leader in members]
        reply.append(Map([(b"slots", [first, last]), (b"nodes", nodes)]))
    return reply


def _nodes(session, args):
    node = session.node
    myself = node.settings.node_id
    lines = []
    for first, last, members in topology(node):
        master = next((cluster_node_id(m["id"]) for m, leader in members if leader), b"-")
        for member, is_leader in members:
            flags = ("myself," if member["id"] == myself else "") + ("master" if is_leader else "slave")
            raft_port = int(member["raft"].rsplit(":", 1)[1])
            lines.append("%s %s:%d@%d %s %s 0 0 %d connected%s" % (
                cluster_node_id(member["id"]).decode(), member["host"], member["port"], raft_port, flags,
                "-" if is_leader else master.decode(), node.group.raftCurrentTerm,
                " %d-%d" % (first, last) if is_leader else ""))
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
    return len(_keys_in_slot(session, slot, None))


def _getkeysinslot(session, args):
    slot = _slot_argument(args[0])
    count = to_int(args[1])
    if slot is None:
        return ErrorReply("ERR Invalid slot")
    if count is None or count < 0:
        return ErrorReply("ERR Invalid number of keys")
    return _keys_in_slot(session, slot, count)


def _keys_in_slot(session, slot: int, limit):
    group = session.node.group
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




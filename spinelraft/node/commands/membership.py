"""RAFT: membership of each shard's Raft group, leadership transfer, and the node-to-node
requests that route commands to the shards a node does not replicate.

  RAFT ADDNODE id host port raft-port [SHARD s]   add a node to shard s (default: every shard)
  RAFT REMOVENODE id [SHARD s]                    remove it (default: from every shard it is in)
  RAFT TRANSFER s [id]                            hand shard s's leadership to id (or the best)
  RAFT MEMBERS                                    every node, the shards it replicates and leads
  RAFT SHARDINFO s                                leader and members of a shard replicated here
  RAFT RUN s db readonly argv...                  run argv on shard s here (proxying)
  RAFT EXEC s db n (db key version)*n (argc argv...)*   a MULTI/EXEC on shard s here
  RAFT HOST s raft-partner... / RAFT UNHOST s     start / stop replicating shard s here

The member table (who serves RESP where) is replicated state of each shard (OP_MEMBER entries,
with that shard's Raft port); the Raft membership itself is pysyncobj's, changed on the shard's
leader after the table entry is applied, one change at a time (pysyncobj's own guard against
concurrent changes does not work). `raft-port` is a node's base port: shard s listens on
raft-port + SHARD_PORT_STRIDE x s.
"""
import asyncio
import json
import os

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.config import SHARD_PORT_STRIDE
from spinelraft.node import peer_client
from spinelraft.node.commands import subcommands
from spinelraft.node.commands.replication import transfer
from spinelraft.node.proxy import NOT_HOSTED
from spinelraft.node.session import Slot
from spinelraft.replies import OK, ErrorReply, Map, pack
from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.machine import OP_EXEC, OP_MEMBER

CHANGE_TIMEOUT_S = 30.0
HOSTED_FILE = "shards.json"  # in data-dir: the shards this node replicates, and their partners


def _shard_argument(node, raw: bytes):
    shard_id = to_int(raw)
    if shard_id is None or not 0 <= shard_id < node.layout.count:
        return None
    return shard_id


def _shards_option(node, args, position: int):
    """[SHARD s] at args[position:] -> list of shard ids (all when absent), or None if bad."""
    if len(args) == position:
        return list(range(node.layout.count))
    if len(args) == position + 2 and args[position].upper() == b"SHARD":
        shard_id = _shard_argument(node, args[position + 1])
        return None if shard_id is None else [shard_id]
    return None


def _forward(node, member, argv) -> Slot:
    slot = Slot()

    async def forward():
        try:
            reply = await peer_client.request(member["host"], member["port"], argv, node.settings.requirepass,
                                              timeout_s=CHANGE_TIMEOUT_S + 5)
        except (OSError, asyncio.TimeoutError) as error:
            reply = ErrorReply("ERR cannot reach %s: %s" % (member["id"], error))
        slot.resolve(reply)

    node.loop.create_task(forward())
    return slot


def _on_each_leader(node, shard_ids, argv_for, local):
    """Run local(shard) for shards led here, forward argv_for(shard_id) to the other shards'
    leaders; one reply: OK, or the first error."""
    slots = []
    for shard_id in shard_ids:
        shard = node.shards.get(shard_id)
        if shard is not None and shard.group.is_leader():
            slots.append(local(shard))
            continue
        leader = node.leader_member(shard_id)
        if leader is None or leader["id"] == node.settings.node_id:
            slots.append(ErrorReply(errors.NO_LEADER))
            continue
        slots.append(_forward(node, leader, argv_for(shard_id)))
    return _combine(slots)


def _combine(replies):
    pending = [reply for reply in replies if type(reply) is Slot and not reply.ready]
    if not pending:
        return _first_error(replies)
    combined = Slot()
    remaining = [len(pending)]

    def done():
        remaining[0] -= 1
        if remaining[0] == 0:
            combined.resolve(_first_error(replies))

    for slot in pending:
        slot.on_ready = done
    return combined


def _first_error(replies):
    for reply in replies:
        value = reply.reply if type(reply) is Slot else reply
        if type(value) is ErrorReply:
            return value
    return OK


def _propose_all(shard, ops) -> asyncio.Future:
    loop = shard.proposer.loop
    future = loop.create_future()
    remaining = [len(ops)]

    def done(reply):
        remaining[0] -= 1
        if remaining[0] == 0 and not future.done():
            future.set_result(reply)

    for op in ops:
        shard.proposer.submit(op, done)
    return future


def _raft_change(node, shard, method, raft_address) -> asyncio.Future:
    future = node.loop.create_future()

    def answer(result, error):
        node.loop.call_soon_threadsafe(lambda: future.done() or future.set_result(error))

    shard.group.run_in_tick(lambda: method(raft_address, callback=answer))
    return future


def _seed_ops(node, shard) -> list:
    """The first change writes the configured members into the shard's replicated table."""
    if shard.group.machine.members:
        return []
    return [(OP_MEMBER, 0, (b"add", m["id"], m["host"], m["port"], int(m["raft"].rsplit(":", 1)[1])))
            for m in node.members_of(shard.id)]


async def _resolve_on_failure(coroutine, slot):
    try:
        await coroutine
    except asyncio.TimeoutError:
        slot.resolve(ErrorReply("ERR membership change not confirmed in %.0f s" % CHANGE_TIMEOUT_S))


# -- ADDNODE / REMOVENODE -------------------------------------------------------------------------
def _addnode(session, args):
    node = session.node
    node_id, host = args[0].decode(), args[1].decode()
    port, raft_port = to_int(args[2]), to_int(args[3])
    if port is None or raft_port is None or not (0 < port < 65536 and 0 < raft_port < 65536):
        return ErrorReply("ERR invalid port")
    shard_ids = _shards_option(node, args, 4)
    if shard_ids is None:
        return ErrorReply(errors.SYNTAX)
    if len(shard_ids) == 1 and any(m["id"] == node_id for m in node.members_of(shard_ids[0])):
        return ErrorReply("ERR node '%s' is already a member" % node_id)
    shard_ids = [s for s in shard_ids if not any(m["id"] == node_id for m in node.members_of(s))]
    if not shard_ids:
        return ErrorReply("ERR node '%s' is already a member" % node_id)
    newcomer = {"id": node_id, "host": host, "port": port}

    def argv_for(shard_id):
        return [b"RAFT", b"ADDNODE", *args[:4], b"SHARD", b"%d" % shard_id]

    return _on_each_leader(node, shard_ids, argv_for,
                           lambda shard: _add_to_shard(node, shard, newcomer, raft_port))


def _add_to_shard(node, shard, newcomer, base_raft_port):
    """On the shard's leader: tell the newcomer to start its replica, record it in the member
    table, then add it to the Raft group (it catches up from the log or a snapshot)."""
    raft_port = base_raft_port + SHARD_PORT_STRIDE * shard.id
    raft_address = "%s:%d" % (newcomer["host"], raft_port)
    slot = Slot()
    ops = _seed_ops(node, shard) + [(OP_MEMBER, 0, (b"add", newcomer["id"], newcomer["host"],
                                                     newcomer["port"], raft_port))]
    partners = [m["raft"].encode() for m in node.members_of(shard.id)]

    async def change():
        if newcomer["id"] != node.settings.node_id:
            reply = await _tell_newcomer(node, newcomer, [b"RAFT", b"HOST", b"%d" % shard.id, *partners])
            if type(reply) is ErrorReply:
                slot.resolve(reply)
                return
        await _propose_all(shard, ops)
        error = await asyncio.wait_for(_raft_change(node, shard, shard.group.addNodeToCluster, raft_address),
                                       CHANGE_TIMEOUT_S)
        slot.resolve(OK if error == 0 else ErrorReply("ERR Raft refused to add the node (%s)" % error))

    node.loop.create_task(_resolve_on_failure(change(), slot))
    return slot


async def _tell_newcomer(node, newcomer, argv):
    """The newcomer may still be starting: retry until it answers (bounded)."""
    deadline = asyncio.get_running_loop().time() + CHANGE_TIMEOUT_S
    while True:
        try:
            return await peer_client.request(newcomer["host"], newcomer["port"], argv, node.settings.requirepass)
        except (OSError, asyncio.TimeoutError) as error:
            if asyncio.get_running_loop().time() > deadline:
                return ErrorReply("ERR cannot reach %s: %s" % (newcomer["id"], error))
            await asyncio.sleep(0.25)


def _removenode(session, args):
    node = session.node
    node_id = args[0].decode()
    shard_ids = _shards_option(node, args, 1)
    if shard_ids is None:
        return ErrorReply(errors.SYNTAX)
    shard_ids = [s for s in shard_ids if any(m["id"] == node_id for m in node.members_of(s))]
    if not shard_ids:
        return ErrorReply("ERR no member '%s'" % node_id)
    for shard_id in shard_ids:
        leader = node.leader_member(shard_id)
        if leader is not None and leader["id"] == node_id:
            return ErrorReply("ERR cannot remove the leader of shard %d: transfer leadership first "
                              "(FAILOVER or RAFT TRANSFER)" % shard_id)

    def argv_for(shard_id):
        return [b"RAFT", b"REMOVENODE", args[0], b"SHARD", b"%d" % shard_id]

    return _on_each_leader(node, shard_ids, argv_for,
                           lambda shard: _remove_from_shard(node, shard, node_id))


def _remove_from_shard(node, shard, node_id):
    member = next(m for m in node.members_of(shard.id) if m["id"] == node_id)
    if member["raft"] == shard.group.leader_address():
        return ErrorReply("ERR cannot remove the leader: transfer leadership first (FAILOVER)")
    slot = Slot()
    ops = _seed_ops(node, shard)

    async def change():
        if ops:
            await _propose_all(shard, ops)
        error = await asyncio.wait_for(_raft_change(node, shard, shard.group.removeNodeFromCluster,
                                                    member["raft"]), CHANGE_TIMEOUT_S)
        if error != 0:
            slot.resolve(ErrorReply("ERR Raft refused to remove the node (%s)" % error))
            return
        await _propose_all(shard, [(OP_MEMBER, 0, (b"remove", node_id))])
        slot.resolve(OK)

    node.loop.create_task(_resolve_on_failure(change(), slot))
    return slot


# -- HOST / UNHOST: a replica starts or stops here ------------------------------------------------
def save_hosted(node):
    """Remember the shards replicated here and their partners (read back at start-up)."""
    path = os.path.join(node.settings.data_dir, HOSTED_FILE)
    hosted = {str(shard_id): [m["raft"] for m in node.members_of(shard_id)
                              if m["id"] != node.settings.node_id]
              for shard_id in sorted(node.shards)}
    with open(path + ".tmp", "w") as handle:
        json.dump(hosted, handle)
    os.replace(path + ".tmp", path)


def _host(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    if shard_id is None:
        return ErrorReply("ERR invalid shard")
    if shard_id in node.shards:
        return OK
    partners = [part.decode() for part in args[1:]]
    shard = node.host_shard(shard_id, partners)
    shard.group.start(node.loop)
    save_hosted(node)
    return OK


def _unhost(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    if shard_id is None or shard_id not in node.shards:
        return ErrorReply("ERR shard not replicated here")
    if len(node.shards) == 1 and node.layout.count == 1:
        return ErrorReply("ERR the only shard of a one-shard cluster stays")
    members = node.members_of(shard_id)
    node.unhost_shard(shard_id, [m for m in members if m["id"] != node.settings.node_id])
    save_hosted(node)
    return OK


# -- TRANSFER ---------------------------------------------------------------------------------------
def _transfer(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    if shard_id is None:
        return ErrorReply("ERR invalid shard")
    target_id = args[1].decode() if len(args) > 1 else None
    raft_address = None
    if target_id is not None:
        member = next((m for m in node.members_of(shard_id) if m["id"] == target_id), None)
        if member is None:
            return ErrorReply("ERR node '%s' does not replicate shard %d" % (target_id, shard_id))
        raft_address = member["raft"]
    shard = node.shards.get(shard_id)
    if shard is not None and shard.group.is_leader():
        if target_id == node.settings.node_id:
            return OK
        return transfer(node, shard, raft_address)
    leader = node.leader_member(shard_id)
    if leader is None:
        return ErrorReply(errors.NO_LEADER)
    if target_id is not None and leader["id"] == target_id:
        return OK
    return _forward(node, leader, [b"RAFT", b"TRANSFER", *args])


# -- describing -------------------------------------------------------------------------------------
def _members(session, args):
    node = session.node
    rows = []
    for member in node.all_members():
        shards = [s for s in range(node.layout.count) if any(m["id"] == member["id"] for m in node.members_of(s))]
        leads = [s for s in shards if (node.leader_member(s) or {}).get("id") == member["id"]]
        rows.append(Map([(b"id", member["id"].encode()), (b"host", member["host"].encode()),
                         (b"port", member["port"]), (b"raft", member["raft"].encode()),
                         (b"leader", bool(leads)), (b"shards", shards), (b"leads", leads)]))
    return rows


def _shardinfo(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    if shard_id is None or shard_id not in node.shards:
        return ErrorReply("%s shard not replicated here" % NOT_HOSTED)
    leader = node.leader_member(shard_id)
    return [(leader["id"] if leader else "").encode(),
            [[m["id"].encode(), m["host"].encode(), m["port"], m["raft"].encode(), m["grpc"]]
             for m in node.members_of(shard_id)]]


# -- RUN / EXEC: commands proxied from a node that does not replicate the shard --------------------
def _run(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    db = to_int(args[1])
    if shard_id is None or db is None or not 0 <= db < node.settings.databases:
        return ErrorReply(errors.SYNTAX)
    if shard_id not in node.shards:
        return ErrorReply("%s shard %d not replicated here" % (NOT_HOSTED, shard_id))
    session.internal = True
    session.db = db
    session.readonly = args[2] == b"1"
    argv = list(args[3:])
    spec = node.lookup_for_run(argv)
    if type(spec) is ErrorReply:
        return _packed(spec)
    import time

    reply = node.run_on_shard(session, shard_id, spec, argv, time.perf_counter())
    return _packed_when_ready(reply)


def _exec(session, args):
    node = session.node
    shard_id = _shard_argument(node, args[0])
    db, count = to_int(args[1]), to_int(args[2])
    if shard_id is None or db is None or count is None:
        return ErrorReply(errors.SYNTAX)
    shard = node.shards.get(shard_id)
    if shard is None:
        return ErrorReply("%s shard %d not replicated here" % (NOT_HOSTED, shard_id))
    position = 3
    watches = []
    try:
        for _ in range(count):
            watches.append((int(args[position]), args[position + 1], int(args[position + 2])))
            position += 3
        commands = []
        while position < len(args):
            argc = int(args[position])
            commands.append(list(args[position + 1:position + 1 + argc]))
            position += 1 + argc
    except (ValueError, IndexError):
        return ErrorReply(errors.SYNTAX)
    slot = Slot()
    size = sum(len(part) for argv in commands for part in argv) + 64
    if not shard.proposer.submit((OP_EXEC, db, watches, commands), lambda reply: slot.resolve(pack(reply)), size):
        return ErrorReply(errors.OOM_BACKLOG)
    return slot


def _packed(reply):
    return pack(reply)


def _packed_when_ready(reply):
    if type(reply) is not Slot:
        return pack(reply)
    if reply.ready:
        return pack(reply.reply)
    outer = Slot()
    reply.on_ready = lambda: outer.resolve(pack(reply.reply))
    return outer


RAFT_SUBCOMMANDS = {
    b"addnode": (-6, _addnode),
    b"removenode": (-3, _removenode),
    b"transfer": (-3, _transfer),
    b"members": (2, _members),
    b"shardinfo": (3, _shardinfo),
    b"run": (-6, _run),
    b"exec": (-5, _exec),
    b"host": (-3, _host),
    b"unhost": (3, _unhost),
}


@command("raft", -2, "admin noscript stale", group="cluster", kind="server")
def raft(session, args):
    """Shard membership, leadership transfer and node-to-node routing (RAFT HELP-less: see docs/cluster.md)."""
    return subcommands("RAFT", RAFT_SUBCOMMANDS, session, args)

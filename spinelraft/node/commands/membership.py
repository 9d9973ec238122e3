"""RAFT ADDNODE / REMOVENODE / MEMBERS: change the cluster's membership one node at a time.

The member table (who serves RESP where) is replicated state (OP_MEMBER entries); the Raft
membership itself is pysyncobj's, changed on the leader after the table entry is applied, and one
change at a time (pysyncobj's own guard against concurrent changes does not work).
"""
import asyncio

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node import peer_client
from spinelraft.node.commands import subcommands
from spinelraft.node.commands.cluster import member_table
from spinelraft.node.session import Slot
from spinelraft.replies import OK, ErrorReply, Map
from spinelraft.statemachine.args import to_int
from spinelraft.statemachine.machine import OP_MEMBER

CHANGE_TIMEOUT_S = 30.0


def _leader_member(node):
    leader = node.group.leader_address()
    return next((m for m in member_table(node) if m["raft"] == leader), None)


def _forward_to_leader(node, argv):
    """A membership change runs on the leader: a follower passes the command on."""
    leader = _leader_member(node)
    if leader is None:
        return ErrorReply(errors.NO_LEADER)
    slot = Slot()

    async def forward():
        try:
            reply = await peer_client.request(leader["host"], leader["port"], argv, node.settings.requirepass)
        except (OSError, asyncio.TimeoutError) as error:
            reply = ErrorReply("ERR cannot reach the leader: %s" % error)
        slot.resolve(reply)

    node.loop.create_task(forward())
    return slot


def _propose_all(node, ops) -> asyncio.Future:
    future = node.loop.create_future()
    remaining = [len(ops)]

    def done(reply):
        remaining[0] -= 1
        if remaining[0] == 0 and not future.done():
            future.set_result(reply)

    for op in ops:
        node.proposer.submit(op, done)
    return future


def _raft_change(node, method, raft_address) -> asyncio.Future:
    future = node.loop.create_future()

    def answer(result, error):
        node.loop.call_soon_threadsafe(lambda: future.done() or future.set_result(error))

    node.group.run_in_tick(lambda: method(raft_address, callback=answer))
    return future


def _seed_ops(node) -> list:
    """The first change writes the configured members into the replicated table."""
    if node.group.machine.members:
        return []
    return [(OP_MEMBER, 0, (b"add", m["id"], m["host"], m["port"], int(m["raft"].rsplit(":", 1)[1])))
            for m in member_table(node)]


def _addnode(session, args):
    node = session.node
    node_id = args[0].decode()
    host = args[1].decode()
    port, raft_port = to_int(args[2]), to_int(args[3])
    if port is None or raft_port is None or not (0 < port < 65536 and 0 < raft_port < 65536):
        return ErrorReply("ERR invalid port")
    if not node.group.is_leader():
        return _forward_to_leader(node, [b"RAFT", b"ADDNODE", *args])
    if any(m["id"] == node_id for m in member_table(node)):
        return ErrorReply("ERR node '%s' is already a member" % node_id)
    slot = Slot()
    ops = _seed_ops(node) + [(OP_MEMBER, 0, (b"add", node_id, host, port, raft_port))]

    async def change():
        await _propose_all(node, ops)
        error = await asyncio.wait_for(_raft_change(node, node.group.addNodeToCluster,
                                                    "%s:%d" % (host, raft_port)), CHANGE_TIMEOUT_S)
        slot.resolve(OK if error == 0 else ErrorReply("ERR Raft refused to add the node (%s)" % error))

    node.loop.create_task(_resolve_on_failure(change(), slot))
    return slot


def _removenode(session, args):
    node = session.node
    node_id = args[0].decode()
    if not node.group.is_leader():
        return _forward_to_leader(node, [b"RAFT", b"REMOVENODE", *args])
    member = next((m for m in member_table(node) if m["id"] == node_id), None)
    if member is None:
        return ErrorReply("ERR no member '%s'" % node_id)
    if member["raft"] == node.group.leader_address():
        return ErrorReply("ERR cannot remove the leader: transfer leadership first (FAILOVER)")
    slot = Slot()
    ops = _seed_ops(node)

    async def change():
        if ops:
            await _propose_all(node, ops)
        error = await asyncio.wait_for(_raft_change(node, node.group.removeNodeFromCluster, member["raft"]),
                                       CHANGE_TIMEOUT_S)
        if error != 0:
            slot.resolve(ErrorReply("ERR Raft refused to remove the node (%s)" % error))
            return
        await _propose_all(node, [(OP_MEMBER, 0, (b"remove", node_id))])
        slot.resolve(OK)

    node.loop.create_task(_resolve_on_failure(change(), slot))
    return slot


async def _resolve_on_failure(coroutine, slot):
    try:
        await coroutine
    except asyncio.TimeoutError:
        slot.resolve(ErrorReply("ERR membership change not confirmed in %.0f s" % CHANGE_TIMEOUT_S))


def _members(session, args):
    node = session.node
    leader = node.group.leader_address()
    return [Map([(b"id", m["id"].encode()), (b"host", m["host"].encode()), (b"port", m["port"]),
                 (b"raft", m["raft"].encode()), (b"leader", m["raft"] == leader)])
            for m in member_table(node)]


RAFT_SUBCOMMANDS = {
    b"addnode": (6, _addnode),
    b"removenode": (3, _removenode),
    b"members": (2, _members),
}


@command("raft", -2, "admin noscript stale", group="cluster", kind="server")
def raft(session, args):
    """Membership: RAFT ADDNODE id host port raft-port | REMOVENODE id | MEMBERS."""
    return subcommands("RAFT", RAFT_SUBCOMMANDS, session, args)

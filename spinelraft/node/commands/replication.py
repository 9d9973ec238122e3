"""Replica semantics mapped onto Raft: ROLE, WAIT, FAILOVER, REPLICAOF NO ONE.

The shard leader is the "master", every other member a "slave"; offsets are Raft log indices.
"""
import asyncio
import logging
import time

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node import peer_client
from spinelraft.node.commands.cluster import topology
from spinelraft.node.session import Slot
from spinelraft.replies import OK, ErrorReply
from spinelraft.statemachine.args import to_int

log = logging.getLogger(__name__)
WAIT_POLL_S = 0.01


def _server(name, arity, flags=""):
    return command(name, arity, flags, group="server", kind="server")


def _members(node):
    return topology(node)[0][2]


@_server("role", 1, "noscript loading stale fast")
def role(session, args):
    """This node's role: master (Raft leader) with its replicas' offsets, or slave."""
    node = session.node
    group = node.group
    if group.is_leader():
        matches = group.match_indexes()
        replicas = [[member["host"].encode(), b"%d" % member["port"], b"%d" % matches.get(member["raft"], 0)]
                    for member, is_leader in _members(node) if not is_leader]
        return [b"master", group.raftCommitIndex, replicas]
    leader = next((member for member, is_leader in _members(node) if is_leader), None)
    if leader is None:
        return [b"slave", b"?", 0, b"connect", -1]
    return [b"slave", leader["host"].encode(), leader["port"], b"connected", group.raftLastApplied]


@_server("wait", 3, "noscript")
def wait(session, args):
    """Number of replicas whose log holds every write acknowledged so far (waits up to timeout ms)."""
    wanted = to_int(args[0])
    timeout_ms = to_int(args[1])
    if wanted is None or timeout_ms is None:
        return ErrorReply(errors.NOT_INTEGER)
    if timeout_ms < 0:
        return ErrorReply("ERR timeout is negative")
    node = session.node
    if not node.group.is_leader():
        return ErrorReply("ERR WAIT cannot be used with replica instances. Please also note that since "
                          "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                          "writes to replicas are just local and are not propagated.")
    target = node.group.raftCommitIndex
    count = _replicas_at(node, target)
    if count >= wanted or timeout_ms == 0 and wanted <= 0:
        return count
    slot = Slot()
    deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
    node.loop.create_task(_wait_for_replicas(node, slot, target, wanted, deadline))
    return slot


def _replicas_at(node, index: int) -> int:
    return sum(1 for matched in node.group.match_indexes().values() if matched >= index)


async def _wait_for_replicas(node, slot, target, wanted, deadline):
    while True:
        count = _replicas_at(node, target)
        if count >= wanted or (deadline is not None and time.monotonic() >= deadline):
            slot.resolve(count)
            return
        await asyncio.sleep(WAIT_POLL_S)


@_server("failover", -1, "admin noscript stale")
def failover(session, args):
    """Hand Raft leadership to the named node (TO host port) or the most caught-up one."""
    node = session.node
    target = None
    index = 0
    while index < len(args):
        option = args[index].upper()
        if option == b"TO" and index + 2 < len(args):
            target = _raft_address_of(node, args[index + 1], args[index + 2])
            if target is None:
                return ErrorReply("ERR FAILOVER target HOST and PORT is not a replica.")
            index += 3
        elif option in (b"FORCE", b"ABORT"):
            index += 1
        elif option == b"TIMEOUT" and index + 1 < len(args):
            index += 2
        else:
            return ErrorReply(errors.SYNTAX)
    if not node.group.is_leader():
        return ErrorReply("ERR FAILOVER is not valid when server is a replica.")
    return _transfer(node, target)


def _raft_address_of(node, host: bytes, port: bytes):
    for member, _ in _members(node):
        if member["host"].encode() == host and str(member["port"]).encode() == port:
            return member["raft"]
    return None


def _transfer(node, raft_address):
    slot = Slot()
    loop = node.loop

    def answer(result, error):
        reply = OK if error == 0 else ErrorReply(
            "ERR leadership transfer refused: the target must be connected and fully caught up")
        loop.call_soon_threadsafe(slot.resolve, reply)

    node.group.run_in_tick(lambda: node.group.transferLeadership(raft_address, callback=answer))
    return slot


@_server("replicaof", 3, "admin noscript stale no_async_loading")
@_server("slaveof", 3, "admin noscript stale no_async_loading")
def replicaof(session, args):
    """REPLICAOF NO ONE makes this node the Raft leader (asks the current leader to hand over)."""
    if args[0].upper() != b"NO" or args[1].upper() != b"ONE":
        return ErrorReply("ERR REPLICAOF host port is not supported: membership is managed by Raft "
                          "(spinelraft-admin add-node / remove-node); REPLICAOF NO ONE transfers leadership here")
    node = session.node
    if node.group.is_leader():
        return OK
    leader = next((member for member, is_leader in _members(node) if is_leader), None)
    if leader is None:
        return ErrorReply(errors.NO_LEADER)
    me = next(member for member, _ in _members(node) if member["id"] == node.settings.node_id)
    slot = Slot()

    async def ask_leader():
        try:
            reply = await peer_client.request(leader["host"], leader["port"],
                                              [b"FAILOVER", b"TO", me["host"].encode(), b"%d" % me["port"]],
                                              node.settings.requirepass)
        except (OSError, asyncio.TimeoutError) as error:
            reply = ErrorReply("ERR cannot reach the leader: %s" % error)
        slot.resolve(reply)

    node.loop.create_task(ask_leader())
    return slot

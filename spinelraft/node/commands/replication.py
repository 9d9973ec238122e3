"""Replica semantics mapped onto Raft: ROLE, WAIT, FAILOVER, REPLICAOF NO ONE.

The shard leader is the "master", every other member a "slave"; offsets are Raft log indices.
Redis has one role per server; a SpinelRaft node has one per shard it replicates: ROLE
describes its first shard, WAIT the shard of the connection's last write, FAILOVER hands over
every shard this node leads and REPLICAOF NO ONE takes over every shard it replicates.
"""
import asyncio
import logging
import time

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.node import peer_client
from spinelraft.node.session import Slot
from spinelraft.replies import OK, ErrorReply
from spinelraft.statemachine.args import to_int

log = logging.getLogger(__name__)
WAIT_POLL_S = 0.01


def _server(name, arity, flags=""):
    return command(name, arity, flags, group="server", kind="server")


def _members(node, shard_id: int):
    """[(member dict, is_leader)] of a shard."""
    leader = node.leader_member(shard_id)
    return [(member, leader is not None and member["id"] == leader["id"])
            for member in node.members_of(shard_id)]


@_server("role", 1, "noscript loading stale fast")
def role(session, args):
    """This node's role in its first shard: master (Raft leader) with its replicas' offsets, or slave."""
    node = session.node
    home = node.home
    if home is None:
        return [b"slave", b"?", 0, b"connect", -1]
    group = home.group
    if group.is_leader():
        matches = group.match_indexes()
        replicas = [[member["host"].encode(), b"%d" % member["port"], b"%d" % matches.get(member["raft"], 0)]
                    for member, is_leader in _members(node, home.id) if not is_leader]
        return [b"master", group.raftCommitIndex, replicas]
    leader = next((member for member, is_leader in _members(node, home.id) if is_leader), None)
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
    shard = node.shards.get(session.last_shard)
    if shard is None or not shard.group.is_leader():
        return ErrorReply("ERR WAIT cannot be used with replica instances. Please also note that since "
                          "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                          "writes to replicas are just local and are not propagated.")
    group = shard.group
    target = group.raftCommitIndex
    count = _replicas_at(group, target)
    if count >= wanted or timeout_ms == 0 and wanted <= 0:
        return count
    slot = Slot()
    deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms else None
    node.loop.create_task(_wait_for_replicas(group, slot, target, wanted, deadline))
    return slot


def _replicas_at(group, index: int) -> int:
    return sum(1 for matched in group.match_indexes().values() if matched >= index)


async def _wait_for_replicas(group, slot, target, wanted, deadline):
    while True:
        count = _replicas_at(group, target)
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
            target = (args[index + 1], args[index + 2])
            index += 3
        elif option in (b"FORCE", b"ABORT"):
            index += 1
        elif option == b"TIMEOUT" and index + 1 < len(args):
            index += 2
        else:
            return ErrorReply(errors.SYNTAX)
    led = [shard for shard in node.shards.values() if shard.group.is_leader()]
    if not led:
        return ErrorReply("ERR FAILOVER is not valid when server is a replica.")
    transfers = []
    for shard in led:
        raft_address = None
        if target is not None:
            raft_address = _raft_address_of(node, shard.id, *target)
            if raft_address is None:
                return ErrorReply("ERR FAILOVER target HOST and PORT is not a replica.")
        transfers.append((shard, raft_address))
    slots = [transfer(node, shard, raft_address) for shard, raft_address in transfers]
    return slots[0] if len(slots) == 1 else _all_of(node, slots)


def _all_of(node, slots):
    """One Slot for several: OK when all are, else the first error."""
    combined = Slot()
    remaining = [len(slots)]

    def done(slot):
        remaining[0] -= 1
        if remaining[0] == 0:
            errors_ = [s.reply for s in slots if type(s.reply) is ErrorReply]
            combined.resolve(errors_[0] if errors_ else OK)

    for slot in slots:
        slot.on_ready = lambda slot=slot: done(slot)
    return combined


def _raft_address_of(node, shard_id: int, host: bytes, port: bytes):
    for member, _ in _members(node, shard_id):
        if member["host"].encode() == host and str(member["port"]).encode() == port:
            return member["raft"]
    return None


def transfer(node, shard, raft_address):
    """A Slot resolved when this node (the shard's leader) handed leadership over to
    raft_address (None: the most caught-up follower)."""
    slot = Slot()
    loop = node.loop
    group = shard.group

    def answer(result, error):
        reply = OK if error == 0 else ErrorReply(
            "ERR leadership transfer refused: the target must be connected and fully caught up")
        loop.call_soon_threadsafe(slot.resolve, reply)

    group.run_in_tick(lambda: group.transferLeadership(raft_address, callback=answer))
    return slot


@_server("replicaof", 3, "admin noscript stale no_async_loading")
@_server("slaveof", 3, "admin noscript stale no_async_loading")
def replicaof(session, args):
    """REPLICAOF NO ONE makes this node the Raft leader (asks the current leader to hand over)."""
    if args[0].upper() != b"NO" or args[1].upper() != b"ONE":
        return ErrorReply("ERR REPLICAOF host port is not supported: membership is managed by Raft "
                          "(spinelraft-admin add-node / remove-node); REPLICAOF NO ONE transfers leadership here")
    node = session.node
    followed = [shard.id for shard in node.shards.values() if not shard.group.is_leader()]
    if not followed:
        return OK
    slot = Slot()

    async def ask_leaders():
        reply = OK
        for shard_id in followed:
            answer = await ask_transfer(node, shard_id, node.settings.node_id)
            if type(answer) is ErrorReply:
                reply = answer
        slot.resolve(reply)

    node.loop.create_task(ask_leaders())
    return slot


async def ask_transfer(node, shard_id: int, target_id):
    """Ask the shard's leader (wherever it is) to hand leadership to target_id (None: the best
    caught-up follower): RAFT TRANSFER on that node."""
    leader = node.leader_member(shard_id)
    if leader is None:
        return ErrorReply(errors.NO_LEADER)
    argv = [b"RAFT", b"TRANSFER", b"%d" % shard_id] + ([target_id.encode()] if target_id else [])
    try:
        return await peer_client.request(leader["host"], leader["port"], argv, node.settings.requirepass)
    except (OSError, asyncio.TimeoutError) as error:
        return ErrorReply("ERR cannot reach the leader: %s" % error)

"""SENTINEL FAILOVER as a Raft leadership transfer: the one place that knows the node command.

Nodes that know `RAFT TRANSFER <shard-id>` (sent to any node, for any shard) get it; nodes that
answer it with "unknown command/subcommand" (or an arity error) get the older `FAILOVER`
(shard 0 only), sent to the shard leader. Either way the leader hands over to its most
caught-up member.
"""
from spinelraft.replies import ErrorReply
from spinelraft.warden.client import NodeUnreachable, request_once


def _unknown(reply) -> bool:
    """The nodes do not know `RAFT TRANSFER <shard-id>` (in this form)."""
    return isinstance(reply, ErrorReply) and any(
        text in reply.message for text in ("unknown command", "unknown subcommand", "wrong number of arguments"))


async def transfer_leadership(monitor, state, timeout_s: float):
    """Move the leadership of shard `state.index` to its best caught-up member: the node's reply
    (OK or an ErrorReply)."""
    password = monitor.settings.password
    leader = monitor.probe_for(state.runid)
    ordered = ([leader] if leader is not None else []) + [p for p in monitor.probes if p is not leader]
    last_error = "no node known"
    for probe in ordered:
        try:
            reply = await request_once(probe.host, probe.port, [b"RAFT", b"TRANSFER", b"%d" % state.index],
                                       password, timeout_s)
        except NodeUnreachable as error:
            last_error = str(error)
            continue
        if not _unknown(reply):
            return reply
        break  # the nodes predate RAFT TRANSFER: FAILOVER on the leader below
    else:
        return ErrorReply("ERR no cluster node reachable (%s)" % last_error)
    if state.index != 0:
        return ErrorReply("ERR the nodes do not support RAFT TRANSFER, needed to move the leader of shard %d"
                          % state.index)
    try:
        return await request_once(state.ip, state.port, [b"FAILOVER"], password, timeout_s)
    except NodeUnreachable as error:
        return ErrorReply("ERR cannot reach the leader of %s: %s" % (state.name, error))

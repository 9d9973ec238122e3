"""Background upkeep of the cluster's shape, run on the node's loop.

- learn_remote_shards: for each shard this node does not replicate, ask one of its members who
  replicates it and who leads (RAFT SHARDINFO), so proxying and CLUSTER SLOTS stay current.
- spread_leaders: leaders spread over nodes. A node leading several shards hands one over to
  a caught-up replica of it that leads none (the shard's preferred leader in the placement
  first), at start-up or when a node is back after a failure moved leadership away; at most
  once per cool-down. A transfer asked for by an operator (or a Sentinel client) that leaves
  no node idle is kept.
"""
import asyncio
import logging
import time

from spinelraft.node import peer_client
from spinelraft.node.commands.replication import transfer
from spinelraft.node.shards import member_dict
from spinelraft.replies import ErrorReply

log = logging.getLogger(__name__)

LEARN_PERIOD_S = 1.0
SPREAD_PERIOD_S = 2.0
SPREAD_COOL_DOWN_S = 10.0
LEADER_SETTLE_S = 3.0  # a fresh leader keeps the shard this long before handing it over


async def learn_remote_shards_forever(node):
    while True:
        for remote in list(node.remote.values()):
            await _learn(node, remote)
        await asyncio.sleep(LEARN_PERIOD_S)


async def _learn(node, remote):
    for member in remote.candidates():
        try:
            reply = await peer_client.request(member["host"], member["port"],
                                              [b"RAFT", b"SHARDINFO", b"%d" % remote.id],
                                              node.settings.requirepass, timeout_s=2.0)
        except (OSError, asyncio.TimeoutError):
            remote.next_member += 1
            continue
        if type(reply) is ErrorReply or not isinstance(reply, list):
            remote.next_member += 1
            continue
        leader_id, members = reply
        remote.members = [member_dict(m[0].decode(), m[1].decode(), m[2], m[3].decode(), m[4])
                          for m in members]
        remote.leader_id = leader_id.decode() or None
        remote.learned_at = time.monotonic()
        return


async def spread_leaders_forever(node):
    attempted = {}  # shard id -> monotonic time of the last hand-over attempt
    led_since = {}  # shard id -> when this node was first seen leading it
    me = node.settings.node_id
    while True:
        await asyncio.sleep(SPREAD_PERIOD_S)
        now = time.monotonic()
        lead_counts = {}
        for shard_id in range(node.layout.count):
            leader = node.leader_member(shard_id)
            if leader is not None:
                lead_counts[leader["id"]] = lead_counts.get(leader["id"], 0) + 1
        if lead_counts.get(me, 0) < 2:
            led_since.clear()
            continue
        for shard in list(node.shards.values()):
            group = shard.group
            if not group.is_leader():
                led_since.pop(shard.id, None)
                continue
            led_since.setdefault(shard.id, now)
            if now - led_since[shard.id] < LEADER_SETTLE_S or now - attempted.get(shard.id, 0.0) < SPREAD_COOL_DOWN_S:
                continue
            preferred = node.layout.preferred_leader(shard.id)
            matches = group.match_indexes()
            idle = [m for m in node.members_of(shard.id)
                    if m["id"] != me and not lead_counts.get(m["id"], 0)
                    and matches.get(m["raft"], 0) >= group.raftCommitIndex]  # down or behind: not yet
            if not idle:
                continue
            target = next((m for m in idle if m["id"] == preferred), idle[0])
            attempted[shard.id] = now
            log.info("shard %d: handing leadership to %s, which leads no shard", shard.id, target["id"])
            transfer(node, shard, target["raft"])
            break  # one at a time: the counts change

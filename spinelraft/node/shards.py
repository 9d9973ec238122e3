"""The shards of the cluster as one node sees them.

Every shard is a Raft group owning a contiguous range of the 16384 slots. This node runs a
`Shard` (group + proposer) for each shard it replicates; for the others it keeps what it last
learned from their members (who they are, who leads), which it needs to proxy commands there,
to answer CLUSTER SLOTS and to redirect clients with -MOVED.
"""
from spinelraft.placement import place
from spinelraft.slots import SLOTS, shard_slot_range, slot_shard


class Shard:
    """One Raft group this node replicates, with the proposer that feeds it."""

    __slots__ = ("id", "group", "proposer", "first_slot", "last_slot")

    def __init__(self, shard_id: int, group, proposer, count: int):
        self.id = shard_id
        self.group = group
        self.proposer = proposer
        self.first_slot, self.last_slot = shard_slot_range(shard_id, count)


def member_dict(member_id: str, host: str, port: int, raft: str, grpc_port: int = 0) -> dict:
    return {"id": member_id, "host": host, "port": port, "raft": raft, "grpc": grpc_port}


class Layout:
    """Shard count, slot -> shard, and the configured placement of shards on members."""

    def __init__(self, settings):
        self.count = settings.shards
        self.slot_to_shard = bytes(slot_shard(slot, self.count) for slot in range(SLOTS))
        configured = settings.members or []
        self.config_members = {m.id: m for m in configured}
        ids = [m.id for m in configured] or [settings.node_id]
        self.placement = place(ids, self.count, settings.replication_factor)
        self.settings = settings

    def shard_of_slot(self, slot: int) -> int:
        return self.slot_to_shard[slot]

    def hosted_here(self) -> list:
        me = self.settings.node_id
        return [shard for shard, members in enumerate(self.placement) if me in members]

    def preferred_leader(self, shard: int) -> str:
        return self.placement[shard][0]

    def configured_members(self, shard: int) -> list:
        """Member dicts of a shard as the config places it (raft address of that shard)."""
        settings = self.settings
        if not settings.members:
            return [member_dict(settings.node_id, settings.host, settings.port,
                                settings.raft_address_of(shard), settings.grpc_port)]
        return [member_dict(m.id, m.host, m.port, m.raft_address_of(shard), m.grpc_port)
                for m in (self.config_members[i] for i in self.placement[shard])]

    def configured_members_all(self) -> list:
        """Every configured node once (shard 0's raft address), in config order."""
        settings = self.settings
        if not settings.members:
            return self.configured_members(0)
        return [member_dict(m.id, m.host, m.port, m.raft_address_of(0), m.grpc_port)
                for m in settings.members]

    def partners(self, shard: int) -> list:
        me = self.settings.node_id
        return [m["raft"] for m in self.configured_members(shard) if m["id"] != me]


class RemoteShard:
    """A shard replicated elsewhere: its members and leader as last learned from them."""

    __slots__ = ("id", "members", "leader_id", "learned_at", "next_member")

    def __init__(self, shard_id: int, members: list):
        self.id = shard_id
        self.members = members  # member dicts
        self.leader_id = None
        self.learned_at = 0.0
        self.next_member = 0  # round-robin start when no leader is known

    def candidates(self) -> list:
        """Members to try, the leader first."""
        members = self.members
        if not members:
            return []
        leader = [m for m in members if m["id"] == self.leader_id]
        start = self.next_member % len(members)
        rest = [m for m in members[start:] + members[:start] if m["id"] != self.leader_id]
        return leader + rest

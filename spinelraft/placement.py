"""Where shards live: which nodes replicate each shard, and which of them should lead it.

Deterministic from the member list alone, so every node computes the same layout from its
config, and adding nodes adds capacity: replicas are dealt round-robin over the nodes (shard s
starts where shard s-1 stopped), so with 5 nodes and a replication factor of 3 the shards sit
on different subsets; each node carries about shards x RF / nodes replicas. Preferred leaders
are spread so that no node leads two shards while another node leads none. Leaf module.
"""


def place(member_ids: list, shards: int, replication_factor: int) -> list:
    """For each shard, its member ids (the preferred leader first)."""
    count = len(member_ids)
    if count == 0:
        raise ValueError("no members")
    width = min(replication_factor, count)
    replicas = [[member_ids[(shard * width + offset) % count] for offset in range(width)]
                for shard in range(shards)]
    led = dict.fromkeys(member_ids, 0)
    layout = []
    for shard, members in enumerate(replicas):
        # the least-loaded member leads; ties go round-robin so shard s prefers its s-th member
        order = sorted(range(width), key=lambda i: (led[members[i]], (i - shard) % width))
        leader = members[order[0]]
        led[leader] += 1
        layout.append([leader] + [m for m in members if m != leader])
    return layout

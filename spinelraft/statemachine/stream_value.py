"""Stream values (t_stream.c): entries by ID, the listpack node layout, consumer groups.

An entry ID <ms>-<seq> is one int, ms << 64 | seq, so IDs compare, increment and sort as
Redis's 128-bit big-endian rax keys do. Entries live in a SortedDict id -> (field, value, ...).

Redis stores entries in listpacks of at most 100 entries or 4096 bytes (the radix tree "nodes").
That layout shows through: approximate trimming (MAXLEN ~, MINID ~) only drops whole nodes, and
XINFO STREAM reports radix-tree-keys and radix-tree-nodes. So each node is modelled by its master
ID, its master fields, its live and deleted entry counts and its exact byte size (listpack
element sizes are computed the way listpack.c encodes them); entries never move between nodes.

Consumer groups and consumers are kept in SortedDicts by name (Redis keeps them in raxes, which
iterate in byte order); a group's pending entries list (PEL) and each consumer's PEL share
PendingEntry objects, as Redis shares its NACKs.
"""
from bisect import bisect_left

from sortedcontainers import SortedDict

from spinelraft.statemachine import snapshot, values
from spinelraft.statemachine.args import to_int

UINT64_MAX = (1 << 64) - 1
ID_MAX = (1 << 128) - 1
INVALID_ENTRIES_READ = -1  # SCG_INVALID_ENTRIES_READ: the group's read counter is unknown

# Redis 7.0 defaults: stream-node-max-bytes, stream-node-max-entries.
NODE_MAX_BYTES = 4096
NODE_MAX_ENTRIES = 100
APPROX_TRIM_LIMIT = 100 * NODE_MAX_ENTRIES  # default LIMIT of MAXLEN ~ / MINID ~
LISTPACK_MAX_SIZE = 1 << 30  # STREAM_LISTPACK_MAX_SIZE: an entry's fields and values in total
LISTPACK_EMPTY_BYTES = 7  # 6-byte header and the end marker
FLAG_SAME_FIELDS = 2
RAX_KEY_BYTES = 16


def make_id(ms: int, seq: int) -> int:
    return (ms << 64) | seq


def format_id(entry_id: int) -> bytes:
    return b"%d-%d" % (entry_id >> 64, entry_id & UINT64_MAX)


# -- listpack sizes (listpack.c) ------------------------------------------------------------------
def _backlen_size(encoded_size: int) -> int:
    if encoded_size <= 127:
        return 1
    if encoded_size < 16383:
        return 2
    if encoded_size < 2097151:
        return 3
    if encoded_size < 268435455:
        return 4
    return 5


def integer_element_size(value: int) -> int:
    """Bytes of an int64 listpack element, backlen included."""
    if 0 <= value <= 127:
        encoded = 1
    elif -4096 <= value <= 4095:
        encoded = 2
    elif -32768 <= value <= 32767:
        encoded = 3
    elif -8388608 <= value <= 8388607:
        encoded = 4
    elif -2147483648 <= value <= 2147483647:
        encoded = 5
    else:
        encoded = 9
    return encoded + _backlen_size(encoded)


def string_element_size(raw: bytes) -> int:
    """Bytes of a string listpack element; strings that read as an int64 are stored as ints."""
    number = to_int(raw)
    if number is not None:
        return integer_element_size(number)
    length = len(raw)
    if length < 64:
        encoded = 1 + length
    elif length < 4096:
        encoded = 2 + length
    else:
        encoded = 5 + length
    return encoded + _backlen_size(encoded)


def _int64(value: int) -> int:
    """A difference of two uint64 values as C stores it in an int64."""
    value &= UINT64_MAX
    return value - (1 << 64) if value >> 63 else value


# -- nodes ----------------------------------------------------------------------------------------
class StreamNode:
    """One listpack: its master entry and counters; entries are in StreamValue.entries."""

    __slots__ = ("master_id", "master_fields", "live", "deleted", "body_bytes", "last_id")

    def __init__(self, master_id: int, master_fields: tuple):
        self.master_id = master_id
        self.master_fields = master_fields
        self.live = 0
        self.deleted = 0
        self.last_id = master_id  # the last entry appended, even if deleted since
        # Everything but the live and deleted counters, whose encoded size varies.
        self.body_bytes = (LISTPACK_EMPTY_BYTES + integer_element_size(len(master_fields))
                           + sum(string_element_size(field) for field in master_fields)
                           + integer_element_size(0))

    def size(self) -> int:
        counters = integer_element_size(self.live) + integer_element_size(self.deleted)
        return self.body_bytes + counters

    def append(self, entry_id: int, pairs: tuple):
        fields = pairs[0::2]
        same_fields = fields == self.master_fields
        added = (integer_element_size(FLAG_SAME_FIELDS if same_fields else 0)
                 + integer_element_size(_int64((entry_id >> 64) - (self.master_id >> 64)))
                 + integer_element_size(_int64(entry_id - self.master_id)))
        if same_fields:
            added += sum(string_element_size(value) for value in pairs[1::2])
            added += integer_element_size(len(fields) + 3)
        else:
            added += integer_element_size(len(fields))
            added += sum(string_element_size(part) for part in pairs)
            added += integer_element_size(2 * len(fields) + 4)
        self.body_bytes += added
        self.live += 1
        self.last_id = entry_id


def _common_prefix_bytes(first: int, second: int) -> int:
    difference = first ^ second
    return (128 - difference.bit_length()) // 8


def radix_tree_nodes(keys) -> int:
    """How many nodes Redis's rax uses for these 16-byte keys (sorted): every branching point is
    one node, every run of bytes without branching one compressed node, every key one leaf."""
    if not keys:
        return 1
    count = 0
    pending = [(0, len(keys), 0)]  # (start, end, depth): one rax node for keys[start:end]
    while pending:
        start, end, depth = pending.pop()
        if end - start == 1:
            count += 1 if depth == RAX_KEY_BYTES else 2
            continue
        shared = _common_prefix_bytes(keys[start], keys[end - 1])
        if shared > depth:
            count += 1
            depth = shared
        count += 1
        shift = 8 * (RAX_KEY_BYTES - 1 - depth)
        while start < end:
            boundary = ((keys[start] >> shift) + 1) << shift
            split = bisect_left(keys, boundary, start, end)
            pending.append((start, split, depth + 1))
            start = split
    return count


# -- consumer groups --------------------------------------------------------------------------
class PendingEntry:
    """A NACK: delivered to `consumer` (None only while XCLAIM FORCE creates it), not acked."""

    __slots__ = ("consumer", "delivery_time", "delivery_count")

    def __init__(self, consumer, delivery_time: int, delivery_count: int = 1):
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("name", "seen_time", "pending")

    def __init__(self, name: bytes, seen_time: int):
        self.name = name
        self.seen_time = seen_time
        self.pending = SortedDict()  # id -> PendingEntry, shared with the group's PEL


class ConsumerGroup:
    __slots__ = ("last_id", "entries_read", "pending", "consumers")

    def __init__(self, last_id: int, entries_read: int):
        self.last_id = last_id
        self.entries_read = entries_read
        self.pending = SortedDict()  # id -> PendingEntry
        self.consumers = SortedDict()  # name -> Consumer

    def consumer(self, name: bytes, now_ms: int) -> Consumer:
        """The named consumer, created if missing (XREADGROUP, XCLAIM and XAUTOCLAIM do that)."""
        found = self.consumers.get(name)
        if found is None:
            found = self.consumers[name] = Consumer(name, now_ms)
        return found

    def deliver(self, entry_id: int, consumer: Consumer, now_ms: int):
        """Record a delivery in the PEL: a new NACK, or one taken over from another consumer."""
        nack = self.pending.get(entry_id)
        if nack is None:
            nack = self.pending[entry_id] = PendingEntry(consumer, now_ms)
            consumer.pending[entry_id] = nack
            return
        del nack.consumer.pending[entry_id]
        nack.consumer = consumer
        nack.delivery_time = now_ms
        nack.delivery_count = 1
        consumer.pending[entry_id] = nack

    def acknowledge(self, entry_id: int) -> bool:
        nack = self.pending.pop(entry_id, None)
        if nack is None:
            return False
        if nack.consumer is not None:
            del nack.consumer.pending[entry_id]
        return True

    def assign(self, entry_id: int, nack: PendingEntry, consumer: Consumer):
        """Move a NACK to `consumer` (XCLAIM, XAUTOCLAIM)."""
        if nack.consumer is consumer:
            return
        if nack.consumer is not None:
            del nack.consumer.pending[entry_id]
        nack.consumer = consumer
        consumer.pending[entry_id] = nack

    def delete_consumer(self, name: bytes) -> int:
        """Remove a consumer and its pending entries; returns how many it had."""
        consumer = self.consumers.pop(name)
        for entry_id in consumer.pending:
            del self.pending[entry_id]
        return len(consumer.pending)


# -- the stream ---------------------------------------------------------------------------------
class StreamValue:
    ENCODING = b"stream"

    __slots__ = ("entries", "nodes", "last_id", "max_deleted_id", "entries_added", "groups")

    def __init__(self):
        self.entries = SortedDict()  # id -> (field, value, field, value, ...)
        self.nodes = SortedDict()  # master id -> StreamNode
        self.last_id = 0
        self.max_deleted_id = 0
        self.entries_added = 0
        self.groups = SortedDict()  # name -> ConsumerGroup

    @property
    def length(self) -> int:
        return len(self.entries)

    @property
    def first_id(self) -> int:
        """Redis's recorded first ID: the first live entry, 0-0 when there is none."""
        return self.entries.keys()[0] if self.entries else 0

    def top_id(self) -> int:
        """The last live entry's ID (0-0 when empty); last_id may be beyond it."""
        return self.entries.keys()[-1] if self.entries else 0

    # -- appending and deleting -----------------------------------------------------------------
    def append(self, entry_id: int, pairs: tuple):
        """Add an entry; the caller checked that entry_id > last_id."""
        assert entry_id > self.last_id, "stream IDs must grow"
        node = self._tail_with_room(pairs)
        if node is None:
            node = self.nodes[entry_id] = StreamNode(entry_id, pairs[0::2])
        node.append(entry_id, pairs)
        self.entries[entry_id] = pairs
        self.entries_added += 1
        self.last_id = entry_id

    def _tail_with_room(self, pairs: tuple):
        if not self.nodes:
            return None
        node = self.nodes.peekitem(-1)[1]
        pairs_bytes = sum(len(part) for part in pairs)
        if node.size() + pairs_bytes >= NODE_MAX_BYTES:
            return None
        if node.live + node.deleted >= NODE_MAX_ENTRIES:
            return None
        return node

    def _node_of(self, entry_id: int) -> StreamNode:
        index = self.nodes.bisect_right(entry_id) - 1
        assert index >= 0, "an entry before the first node"
        return self.nodes.peekitem(index)[1]

    def _remove_entry(self, entry_id: int, node: StreamNode):
        """Mark one entry deleted in its node; a node losing its last live entry goes away."""
        del self.entries[entry_id]
        if node.live == 1:
            del self.nodes[node.master_id]
            return
        node.live -= 1
        node.deleted += 1

    def delete(self, ids) -> int:
        """XDEL: remove the entries that exist; returns how many did."""
        deleted = 0
        for entry_id in ids:
            if entry_id not in self.entries:
                continue
            self._remove_entry(entry_id, self._node_of(entry_id))
            self.max_deleted_id = max(self.max_deleted_id, entry_id)
            deleted += 1
        return deleted

    # -- trimming ---------------------------------------------------------------------------------
    def trim(self, maxlen, minid, approx: bool, limit: int) -> int:
        """streamTrim: by length (maxlen not None) or by minimal ID; returns entries removed.

        Whole nodes go first; with `approx` that is all, otherwise the first node that cannot go
        whole loses its oldest entries. `limit` (0: none) caps the entries removed."""
        deleted = 0
        while self.nodes:
            if maxlen is not None and self.length <= maxlen:
                break
            node = self.nodes.peekitem(0)[1]
            if limit and deleted + node.live > limit:
                break
            if maxlen is not None:
                whole = self.length - node.live >= maxlen
            else:
                whole = node.last_id < minid
            if whole:
                deleted += node.live
                for entry_id in list(self.entries.irange(node.master_id, node.last_id)):
                    del self.entries[entry_id]
                del self.nodes[node.master_id]
                continue
            if not approx:
                deleted += self._trim_inside(node, maxlen, minid)
            break
        return deleted

    def _trim_inside(self, node: StreamNode, maxlen, minid) -> int:
        deleted = 0
        for entry_id in list(self.entries.irange(node.master_id, node.last_id)):
            if maxlen is not None and self.length <= maxlen:
                break
            if maxlen is None and entry_id >= minid:
                break
            del self.entries[entry_id]
            node.live -= 1
            node.deleted += 1
            deleted += 1
        return deleted

    # -- consumer group counters (7.0's lag arithmetic) ------------------------------------------
    def has_tombstones_from(self, start_id: int) -> bool:
        """streamRangeHasTombstones(start, +): may a deleted entry lie at or after start_id?"""
        if not self.entries or self.max_deleted_id == 0:
            return False
        if self.first_id > self.max_deleted_id:
            return False
        return start_id <= self.max_deleted_id

    def estimate_entries_read(self, entry_id: int) -> int:
        """streamEstimateDistanceFromFirstEverEntry: how many entries were ever added up to
        entry_id, or INVALID_ENTRIES_READ when deletions make it unknowable."""
        if not self.entries_added:
            return 0
        if not self.entries and entry_id <= self.last_id:
            return self.entries_added
        if entry_id == self.last_id:
            return self.entries_added
        if entry_id > self.last_id:
            return INVALID_ENTRIES_READ
        first_id = self.first_id
        if self.max_deleted_id == 0 or self.max_deleted_id < first_id:
            if entry_id < first_id:
                return self.entries_added - self.length
            if entry_id == first_id:
                return self.entries_added - self.length + 1
        return INVALID_ENTRIES_READ

    def group_lag(self, group: ConsumerGroup):
        """Entries not yet delivered to the group, or None when that cannot be known."""
        if not self.entries_added:
            return 0
        counted = group.entries_read != INVALID_ENTRIES_READ
        if counted and not self.has_tombstones_from(group.last_id):
            return self.entries_added - group.entries_read
        entries_read = self.estimate_entries_read(group.last_id)
        if entries_read == INVALID_ENTRIES_READ:
            return None
        return self.entries_added - entries_read

    def advance_group(self, group: ConsumerGroup, entry_id: int):
        """A group is served entry_id: move its last delivered ID and its read counter."""
        if entry_id <= group.last_id:
            return
        if group.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones_from(entry_id):
            group.entries_read += 1
        elif self.entries_added:
            group.entries_read = self.estimate_entries_read(entry_id)
        group.last_id = entry_id

    def radix_tree_nodes(self) -> int:
        return radix_tree_nodes(self.nodes.keys())

    # -- copies and snapshots -------------------------------------------------------------------
    def copy(self):
        return decode_stream(encode_stream(self))


def _encode_node(node: StreamNode) -> tuple:
    return (node.master_id, node.master_fields, node.live, node.deleted, node.body_bytes,
            node.last_id)


def _encode_group(name: bytes, group: ConsumerGroup) -> tuple:
    consumers = [(consumer.name, consumer.seen_time) for consumer in group.consumers.values()]
    pending = [(entry_id, nack.consumer.name, nack.delivery_time, nack.delivery_count)
               for entry_id, nack in group.pending.items()]
    return (name, group.last_id, group.entries_read, consumers, pending)


def encode_stream(stream: StreamValue) -> tuple:
    """A marshal-able image, in ID and name order (deterministic)."""
    return (stream.last_id, stream.max_deleted_id, stream.entries_added,
            [_encode_node(node) for node in stream.nodes.values()],
            list(stream.entries.items()),
            [_encode_group(name, group) for name, group in stream.groups.items()])


def _decode_group(payload) -> tuple:
    name, last_id, entries_read, consumers, pending = payload
    group = ConsumerGroup(last_id, entries_read)
    for consumer_name, seen_time in consumers:
        group.consumers[consumer_name] = Consumer(consumer_name, seen_time)
    for entry_id, consumer_name, delivery_time, delivery_count in pending:
        consumer = group.consumers[consumer_name]
        nack = PendingEntry(consumer, delivery_time, delivery_count)
        group.pending[entry_id] = nack
        consumer.pending[entry_id] = nack
    return name, group


def decode_stream(payload) -> StreamValue:
    last_id, max_deleted_id, entries_added, nodes, entries, groups = payload
    stream = StreamValue()
    stream.last_id = last_id
    stream.max_deleted_id = max_deleted_id
    stream.entries_added = entries_added
    for master_id, master_fields, live, deleted, body_bytes, node_last_id in nodes:
        node = StreamNode(master_id, tuple(master_fields))
        node.live, node.deleted = live, deleted
        node.body_bytes, node.last_id = body_bytes, node_last_id
        stream.nodes[master_id] = node
    for entry_id, pairs in entries:
        stream.entries[entry_id] = tuple(pairs)
    for group_payload in groups:
        name, group = _decode_group(group_payload)
        stream.groups[name] = group
    return stream


values.register_type(StreamValue, b"stream")
snapshot.register_codec(StreamValue, "stream", encode_stream, decode_stream)

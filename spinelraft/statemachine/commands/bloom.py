"""Scalable Bloom filters, compatible with RedisBloom 2.6: BF.RESERVE BF.ADD BF.MADD BF.EXISTS
BF.MEXISTS BF.INSERT BF.INFO BF.CARD.

The layout follows RedisBloom (sb.c, deps/bloom/bloom.c) bit for bit: 64-bit MurmurHash64A
double hashing, bit i of a filter is bit (i % 8) of byte i // 8, filters sized without rounding
to a power of two. A chain starts with one filter; when the newest is full a new one is added
with `expansion` times its capacity and half its error rate. A scaling chain's first filter
already uses half the requested rate so the whole chain stays within it (BF.INFO's Size for
BF.RESERVE k 0.01 100 is 240, as in RedisBloom's documentation).

Error texts follow RedisBloom; where versions differ (doubts noted inline) the 2.4/2.6 source
was preferred.
"""
import math
import struct

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK, ErrorReply, Simple
from spinelraft.statemachine.args import to_float, to_int
from spinelraft.statemachine.rdb import (
    MODULE_OPCODE_DOUBLE,
    MODULE_OPCODE_STRING,
    MODULE_OPCODE_UINT,
    ModuleType,
    RdbError,
    register_module_type,
)
from spinelraft.statemachine.snapshot import register_codec
from spinelraft.statemachine.values import register_type

UINT64_MASK = (1 << 64) - 1
MURMUR_MULTIPLIER = 0xC6A4A7935BD1E995
HASH_SEED = 0xC6A4A7935BD1E995
LN2 = 0.693147180559945
LN2_SQUARED = 0.480453013918201
TIGHTENING_RATIO = 0.5
DEFAULT_ERROR_RATE = 0.01
DEFAULT_CAPACITY = 100
DEFAULT_EXPANSION = 2
# Allocation sizes RedisBloom reports in BF.INFO Size: sizeof(SBChain) and sizeof(SBLink).
CHAIN_OVERHEAD = 32
LINK_OVERHEAD = 64
# RedisBloom only stops at a failed calloc; replicas here refuse one filter above this size
# instead of exhausting memory ("ERR could not create filter").
MAX_FILTER_BYTES = 512 * 1024 * 1024
MAX_HASHES = 1075  # BLOOM_MAX_HASHES: the most an error rate above 0 can call for
# RedisBloom's options word (BFRdbSave): FORCE64 | NOROUND, plus NO_SCALING.
OPTION_NOROUND = 1
OPTION_FORCE64 = 4
OPTION_NO_SCALING = 8
FILTER_ADDED, FILTER_PRESENT, FILTER_FULL, FILTER_NO_MEMORY = 1, 0, -2, -1
CREATE_FAILED = "ERR could not create filter"


def murmur_hash64a(data: bytes, seed: int) -> int:
    """MurmurHash64A (Austin Appleby), little-endian, as RedisBloom's MurmurHash64A_Bloom."""
    length = len(data)
    hashed = (seed ^ (length * MURMUR_MULTIPLIER)) & UINT64_MASK
    blocks = length // 8
    for block in struct.unpack_from("<%dQ" % blocks, data):
        block = (block * MURMUR_MULTIPLIER) & UINT64_MASK
        block ^= block >> 47
        block = (block * MURMUR_MULTIPLIER) & UINT64_MASK
        hashed = ((hashed ^ block) * MURMUR_MULTIPLIER) & UINT64_MASK
    tail = data[blocks * 8 :]
    if tail:
        hashed = ((hashed ^ int.from_bytes(tail, "little")) * MURMUR_MULTIPLIER) & UINT64_MASK
    hashed ^= hashed >> 47
    hashed = (hashed * MURMUR_MULTIPLIER) & UINT64_MASK
    return hashed ^ (hashed >> 47)


def item_hash(item: bytes):
    first = murmur_hash64a(item, HASH_SEED)
    return first, murmur_hash64a(item, first)


class BloomLink:
    """One fixed-size Bloom filter of a chain (RedisBloom's SBLink + struct bloom)."""

    __slots__ = ("entries", "error", "hashes", "bpe", "bits", "bitmap", "size")

    def __init__(self, entries, error, hashes, bpe, bits, bitmap, size=0):
        self.entries = entries  # capacity
        self.error = error
        self.hashes = hashes
        self.bpe = bpe  # bits per entry
        self.bits = bits
        self.bitmap = bitmap  # bytearray of bits // 8 bytes
        self.size = size  # items added to this filter

    @classmethod
    def create(cls, entries: int, error: float):
        """bloom_init with NOROUND; None when the parameters are unusable (RedisBloom fails)."""
        if entries < 1 or not 0 < error < 1:
            return None
        bpe = abs(-(math.log(error) / LN2_SQUARED))
        bits = int(entries * bpe) or 1
        size_bytes = (bits // 64 + 1) * 8 if bits % 64 else bits // 8
        if size_bytes > MAX_FILTER_BYTES:
            return None
        hashes = math.ceil(LN2 * bpe)
        return cls(entries, error, hashes, bpe, size_bytes * 8, bytearray(size_bytes))

    def positions(self, hashed):
        first, second = hashed
        bits = self.bits
        return [((first + index * second) & UINT64_MASK) % bits for index in range(self.hashes)]

    def contains(self, hashed) -> bool:
        bitmap = self.bitmap
        first, second = hashed
        bits = self.bits
        for index in range(self.hashes):
            position = ((first + index * second) & UINT64_MASK) % bits
            if not bitmap[position >> 3] & (1 << (position & 7)):
                return False
        return True

    def add(self, hashed):
        bitmap = self.bitmap
        for position in self.positions(hashed):
            bitmap[position >> 3] |= 1 << (position & 7)
        self.size += 1

    def copy(self):
        return BloomLink(self.entries, self.error, self.hashes, self.bpe, self.bits,
                         bytearray(self.bitmap), self.size)


class BloomFilter:
    """A scalable Bloom filter (RedisBloom's SBChain)."""

    __slots__ = ("links", "size", "growth", "scaling")
    ENCODING = b"raw"  # what OBJECT ENCODING says for a module value

    def __init__(self, links, size: int, growth: int, scaling: bool):
        self.links = links
        self.size = size  # items added to the whole chain
        self.growth = growth
        self.scaling = scaling

    @classmethod
    def create(cls, capacity: int, error_rate: float, growth: int, scaling: bool):
        first = BloomLink.create(capacity, error_rate * (TIGHTENING_RATIO if scaling else 1))
        return None if first is None else cls([first], 0, growth, scaling)

    def contains(self, item: bytes) -> bool:
        hashed = item_hash(item)
        return any(link.contains(hashed) for link in reversed(self.links))

    def add(self, item: bytes) -> int:
        """SBChain_Add: FILTER_ADDED, FILTER_PRESENT, FILTER_FULL or FILTER_NO_MEMORY."""
        hashed = item_hash(item)
        if any(link.contains(hashed) for link in reversed(self.links)):
            return FILTER_PRESENT
        current = self.links[-1]
        if current.size >= current.entries:
            if not self.scaling:
                return FILTER_FULL
            current = BloomLink.create(current.entries * self.growth,
                                       current.error * TIGHTENING_RATIO)
            if current is None:
                return FILTER_NO_MEMORY
            self.links.append(current)
        current.add(hashed)
        self.size += 1
        return FILTER_ADDED

    def capacity(self) -> int:
        return sum(link.entries for link in self.links)

    def memory_usage(self) -> int:
        return CHAIN_OVERHEAD + sum(LINK_OVERHEAD + len(link.bitmap) for link in self.links)

    def options(self) -> int:
        return OPTION_FORCE64 | OPTION_NOROUND | (0 if self.scaling else OPTION_NO_SCALING)

    def copy(self):
        return BloomFilter([link.copy() for link in self.links], self.size, self.growth,
                           self.scaling)


def _encode_filter(value: BloomFilter):
    links = [(link.entries, link.error, link.hashes, link.bpe, link.bits, bytes(link.bitmap),
              link.size) for link in value.links]
    return (value.size, value.growth, value.scaling, links)


def _decode_filter(payload) -> BloomFilter:
    size, growth, scaling, links = payload
    decoded = [BloomLink(entries, error, hashes, bpe, bits, bytearray(bitmap), link_size)
               for entries, error, hashes, bpe, bits, bitmap, link_size in links]
    return BloomFilter(decoded, size, growth, scaling)


register_type(BloomFilter, b"MBbloom--")
register_codec(BloomFilter, "bloom", _encode_filter, _decode_filter)


# -- DUMP / RESTORE: RedisBloom's module type "MBbloom--", encoding version 4 (BFRdbSave) -------
def _rdb_save(value: BloomFilter):
    uint, double, string = MODULE_OPCODE_UINT, MODULE_OPCODE_DOUBLE, MODULE_OPCODE_STRING
    fields = [(uint, value.size), (uint, len(value.links)), (uint, value.options()),
              (uint, value.growth)]
    for link in value.links:
        fields += [(uint, link.entries), (double, link.error), (uint, link.hashes),
                   (double, link.bpe), (uint, link.bits), (uint, 0), (string, bytes(link.bitmap)),
                   (uint, link.size)]
    return fields


def _rdb_load(reader, version: int) -> BloomFilter:
    """BFRdbLoad for filters with 64-bit hashing (every RedisBloom 2.x filter)."""
    if version < 2:
        raise RdbError("bloom filter encoding too old")
    size, count, options = reader.unsigned(), reader.unsigned(), reader.unsigned()
    growth = reader.unsigned() if version >= 4 else DEFAULT_EXPANSION
    if not options & OPTION_FORCE64 or not 1 <= count <= 1000:
        raise RdbError("unsupported bloom filter")
    links = [_rdb_load_link(reader) for _ in range(count)]
    if sum(link.size for link in links) != size:
        raise RdbError("bloom filter sizes disagree")
    return BloomFilter(links, size, growth, not options & OPTION_NO_SCALING)


def _rdb_load_link(reader) -> BloomLink:
    entries, error, hashes, bpe = (reader.unsigned(), reader.double(), reader.unsigned(),
                                   reader.double())
    bits, power_of_two, bitmap, size = (reader.unsigned(), reader.unsigned(), reader.string(),
                                        reader.unsigned())
    # bloom_validate_integrity's checks (the hash count also bounds the work per lookup).
    valid = (entries >= 1 and 0 < error < 1 and bits == len(bitmap) * 8 > 0
             and hashes == math.ceil(LN2 * bpe) <= MAX_HASHES)
    if not valid or (power_of_two and bits != 1 << power_of_two):
        raise RdbError("bad bloom filter link")
    return BloomLink(entries, error, hashes, bpe, bits, bytearray(bitmap), size)


register_module_type(BloomFilter, ModuleType(b"MBbloom--", 4, _rdb_save, _rdb_load))


# -- lookups -------------------------------------------------------------------------------------
def _filter_or_none(ctx, key: bytes):
    """The filter at key, None if missing; WRONGTYPE for another type (statusStrerror)."""
    return ctx.get_typed(key, BloomFilter)


def _existing_filter(ctx, key: bytes) -> BloomFilter:
    value = _filter_or_none(ctx, key)
    if value is None:
        raise CommandError(errors.BF_NOT_FOUND)
    return value


def _add_items(value: BloomFilter, items, multi: bool):
    """bfInsertCommon's loop: a full non-scaling filter ends the reply with an error."""
    replies = []
    for item in items:
        outcome = value.add(item)
        if outcome == FILTER_FULL:
            replies.append(_reply_error(errors.BF_FILTER_FULL, multi))
            break
        if outcome == FILTER_NO_MEMORY:
            replies.append(_reply_error(CREATE_FAILED, multi))
            break
        replies.append(1 if outcome == FILTER_ADDED else 0)
    return replies


def _reply_error(message: str, multi: bool):
    if not multi:
        raise CommandError(message)  # nothing was changed: the item was refused up front
    return ErrorReply(message)


def _insert(ctx, key: bytes, items, multi: bool, settings=None, create: bool = True):
    """Add items, creating the filter from `settings` (capacity, error, expansion, scaling)."""
    value = _filter_or_none(ctx, key)
    if value is None:
        if not create:
            raise CommandError(errors.BF_NOT_FOUND)
        capacity, error_rate, expansion, scaling = settings or (
            DEFAULT_CAPACITY, DEFAULT_ERROR_RATE, DEFAULT_EXPANSION, True)
        value = BloomFilter.create(capacity, error_rate, expansion, scaling)
        if value is None:
            raise CommandError(CREATE_FAILED)
        ctx.set(key, value)
    replies = _add_items(value, items, multi)
    return replies if multi else replies[0]


# -- BF.RESERVE ----------------------------------------------------------------------------------
def _argument_index(argv, word: bytes) -> int:
    """RMUtil_ArgIndex: the first argument (the command name included) equal to `word`."""
    for index, argument in enumerate(argv):
        if argument.upper() == word:
            return index
    return -1


def _parse_reserve(args):
    """BF.RESERVE's checks in RedisBloom's order -> (error rate, capacity, expansion, scaling)."""
    if len(args) > 6:
        raise CommandError(errors.wrong_arity("bf.reserve"))
    error_rate = to_float(args[1])
    if error_rate is None:
        raise CommandError(errors.BF_BAD_ERROR_RATE)
    if not 0 < error_rate < 1:
        raise CommandError(errors.BF_ERROR_RATE_RANGE)
    capacity = to_int(args[2])
    if capacity is None:
        raise CommandError(errors.BF_BAD_CAPACITY)
    if capacity <= 0:
        raise CommandError(errors.BF_CAPACITY_NOT_POSITIVE)
    argv = [b"bf.reserve"] + list(args)
    scaling = _argument_index(argv, b"NONSCALING") == -1
    expansion = DEFAULT_EXPANSION
    position = _argument_index(argv, b"EXPANSION")
    if position + 1 == len(argv):
        raise CommandError(errors.BF_NO_EXPANSION)
    if position != -1:
        if not scaling:
            raise CommandError(errors.BF_NONSCALING_CANNOT_EXPAND)
        expansion = to_int(argv[position + 1])
        if expansion is None:
            raise CommandError(errors.BF_BAD_EXPANSION)
        # RedisBloom 2.4 let 0 through (the filter then never grows); later versions refuse it.
        if expansion < 1:
            raise CommandError(errors.BF_EXPANSION_NOT_POSITIVE)
    return error_rate, capacity, expansion, scaling


@command("bf.reserve", -4, "write denyoom", keys=(1, 1, 1), group="module")
def bf_reserve(ctx, args):
    """Create an empty Bloom filter: error_rate capacity [EXPANSION n] [NONSCALING]."""
    error_rate, capacity, expansion, scaling = _parse_reserve(args)
    if _filter_or_none(ctx, args[0]) is not None:
        raise CommandError(errors.BF_ITEM_EXISTS)
    value = BloomFilter.create(capacity, error_rate, expansion, scaling)
    if value is None:
        raise CommandError(CREATE_FAILED)
    ctx.set(args[0], value)
    return OK


# -- adding and checking -------------------------------------------------------------------------
@command("bf.add", 3, "write denyoom", keys=(1, 1, 1), group="module")
def bf_add(ctx, args):
    """Add an item (creating a default filter); 1 if it was new, 0 if it may have been there."""
    return _insert(ctx, args[0], args[1:], multi=False)


@command("bf.madd", -3, "write denyoom", keys=(1, 1, 1), group="module")
def bf_madd(ctx, args):
    """Add items (creating a default filter); one 1/0 per item."""
    return _insert(ctx, args[0], args[1:], multi=True)


def _parse_insert(args):
    """BF.INSERT options up to ITEMS -> (settings, create, index of the first item)."""
    capacity, error_rate, expansion = DEFAULT_CAPACITY, DEFAULT_ERROR_RATE, DEFAULT_EXPANSION
    scaling, create = True, True
    position, items_at = 1, -1
    while position < len(args) and items_at < 0:
        word = args[position].lower()
        initial = word[:1]
        if initial == b"i":
            items_at = position + 1
            continue
        if initial in (b"e", b"c") and position + 1 == len(args):
            raise CommandError(errors.wrong_arity("bf.insert"))
        if initial == b"e" and word[1:2] == b"r":
            error_rate = to_float(args[position + 1])
            if error_rate is None:
                raise CommandError(errors.BF_INSERT_BAD_ERROR_RATE)
        elif initial == b"e":
            expansion = to_int(args[position + 1])
            if expansion is None:
                raise CommandError(errors.BF_INSERT_BAD_EXPANSION)
        elif initial == b"c":
            capacity = to_int(args[position + 1])
            if capacity is None:
                raise CommandError(errors.BF_INSERT_BAD_CAPACITY)
        elif initial == b"n":
            create, scaling = (False, scaling) if word[2:3] == b"c" else (create, False)
            position += 1
            continue
        else:
            raise CommandError(errors.BF_INSERT_UNKNOWN_ARGUMENT)
        position += 2
    if items_at < 0 or items_at == len(args):
        raise CommandError(errors.wrong_arity("bf.insert"))
    if not 0 < error_rate < 1 or capacity < 1 or expansion < 1:
        raise CommandError(errors.BF_INSERT_BAD_ARGUMENT)
    return (capacity, error_rate, expansion, scaling), create, items_at


@command("bf.insert", -4, "write denyoom", keys=(1, 1, 1), group="module")
def bf_insert(ctx, args):
    """Add items, creating the filter with [CAPACITY n] [ERROR e] [EXPANSION n] [NOCREATE]
    [NONSCALING] if needed: ... ITEMS item [item ...]."""
    settings, create, items_at = _parse_insert(args)
    return _insert(ctx, args[0], args[items_at:], True, settings, create)


def _check(ctx, key: bytes, items):
    """BF.EXISTS answers 0 for a missing key and for a key of another type, as RedisBloom."""
    value = ctx.get(key)
    if type(value) is not BloomFilter:
        return [0] * len(items)
    return [1 if value.contains(item) else 0 for item in items]


@command("bf.exists", 3, "readonly fast", keys=(1, 1, 1), group="module")
def bf_exists(ctx, args):
    """1 if the item may have been added, 0 if it certainly was not."""
    return _check(ctx, args[0], args[1:])[0]


@command("bf.mexists", -3, "readonly fast", keys=(1, 1, 1), group="module")
def bf_mexists(ctx, args):
    """BF.EXISTS for several items."""
    return _check(ctx, args[0], args[1:])


# -- introspection -------------------------------------------------------------------------------
INFO_FIELDS = {
    b"capacity": lambda value: value.capacity(),
    b"size": lambda value: value.memory_usage(),
    b"filters": lambda value: len(value.links),
    b"items": lambda value: value.size,
    b"expansion": lambda value: value.growth if value.scaling else None,
}


@command("bf.info", -2, "readonly fast", keys=(1, 1, 1), group="module")
def bf_info(ctx, args):
    """Capacity, Size, Number of filters, Number of items inserted, Expansion rate (or one)."""
    if len(args) > 2:
        raise CommandError(errors.wrong_arity("bf.info"))
    value = _existing_filter(ctx, args[0])
    if len(args) == 2:
        field = INFO_FIELDS.get(args[1].lower())
        if field is None:
            raise CommandError(errors.BF_INFO_INVALID_FIELD)
        return [field(value)]
    return [Simple("Capacity"), value.capacity(),
            Simple("Size"), value.memory_usage(),
            Simple("Number of filters"), len(value.links),
            Simple("Number of items inserted"), value.size,
            Simple("Expansion rate"), value.growth if value.scaling else None]


@command("bf.card", 2, "readonly fast", keys=(1, 1, 1), group="module")
def bf_card(ctx, args):
    """How many items were added (0 for a missing key)."""
    value = _filter_or_none(ctx, args[0])
    return 0 if value is None else value.size

"""HyperLogLog commands (hyperloglog.c of Redis 7.0): PFADD, PFCOUNT, PFMERGE.

An HLL is a plain string in Redis's own layout, so GET / SET / DUMP round-trip it and a value
copied from Redis reads back here:

    "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | 8-byte cached cardinality (LE,
    top bit set = stale) | registers

16384 registers hold the longest run of zeroes (+1) seen in MurmurHash64A(element, seed
0xadc83b19) after its low 14 bits pick the register. Dense registers are 6 bits packed little
endian; the sparse form is a run-length code (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy,
VAL 1vvvvvxx) promoted to dense past 3000 bytes (hll-sparse-max-bytes) or for a value above 32.
Updates follow Redis's code step by step so the bytes are Redis's bytes, and the count is
Ertl's estimator computed in the same double arithmetic.

PFCOUNT is a read here: it uses a valid cached cardinality but never writes one back (Redis
refreshes the 8 cache bytes in place), so only those bytes can differ from Redis's after it.
"""
import math
import struct

from spinelraft import errors
from spinelraft.command_table import command
from spinelraft.errors import CommandError
from spinelraft.replies import OK

GROUP = "hyperloglog"
HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_P_MASK = HLL_REGISTERS - 1
HLL_HDR_SIZE = 16
HLL_DENSE_BYTES = HLL_REGISTERS * 6 // 8
HLL_DENSE_SIZE = HLL_HDR_SIZE + HLL_DENSE_BYTES
HLL_DENSE, HLL_SPARSE = 0, 1
HLL_SPARSE_MAX_BYTES = 3000  # Redis's default hll-sparse-max-bytes
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
CACHE_STALE_BIT = 0x80  # in the last cardinality byte
HLL_ALPHA_INF = 0.721347520444481703680
MURMUR_SEED = 0xADC83B19
MURMUR_M = 0xC6A4A7935BD1E995
UINT64_MASK = (1 << 64) - 1
PROMOTE = 2  # sparse_set's answer when the register needs the dense form

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED = "INVALIDOBJ Corrupted HLL object detected"

# A new HLL: sparse, one XZERO opcode covering all 16384 registers, cache valid at 0.
EMPTY_HLL = b"HYLL" + bytes([HLL_SPARSE]) + bytes(11) + bytes([0x40 | 0x3F, 0xFF])


# -- hashing -------------------------------------------------------------------------------
def murmur64a(data: bytes) -> int:
    """MurmurHash64A as Redis has it (little-endian 8-byte blocks)."""
    length = len(data)
    h = MURMUR_SEED ^ ((length * MURMUR_M) & UINT64_MASK)
    blocks = length >> 3
    if blocks:
        for k in struct.unpack_from("<%dQ" % blocks, data):
            k = (k * MURMUR_M) & UINT64_MASK
            k ^= k >> 47
            h ^= (k * MURMUR_M) & UINT64_MASK
            h = (h * MURMUR_M) & UINT64_MASK
    tail = length & 7
    if tail:
        h ^= int.from_bytes(data[length - tail:], "little")
        h = (h * MURMUR_M) & UINT64_MASK
    h ^= h >> 47
    h = (h * MURMUR_M) & UINT64_MASK
    return h ^ (h >> 47)


def pattern(element: bytes) -> tuple:
    """hllPatLen -> (register index, length of the 000..1 run after the index bits)."""
    hashed = murmur64a(element)
    rest = (hashed >> HLL_P) | (1 << HLL_Q)
    return hashed & HLL_P_MASK, (rest & -rest).bit_length()


# -- dense registers -----------------------------------------------------------------------
def dense_get(hll, index: int) -> int:
    bit = index * 6
    position = HLL_HDR_SIZE + (bit >> 3)
    shift = bit & 7
    if shift <= 2:  # the register sits inside one byte (always true for the last one)
        return (hll[position] >> shift) & 63
    return ((hll[position] >> shift) | (hll[position + 1] << (8 - shift))) & 63


def dense_set(hll: bytearray, index: int, count: int) -> int:
    """hllDenseSet: raise the register to `count` -> 1 if it changed, else 0."""
    bit = index * 6
    position = HLL_HDR_SIZE + (bit >> 3)
    shift = bit & 7
    if shift <= 2:
        old = (hll[position] >> shift) & 63
        if count <= old:
            return 0
        hll[position] = (hll[position] & ~(63 << shift) & 0xFF) | (count << shift)
        return 1
    old = ((hll[position] >> shift) | (hll[position + 1] << (8 - shift))) & 63
    if count <= old:
        return 0
    hll[position] = (hll[position] & ~(63 << shift) & 0xFF) | ((count << shift) & 0xFF)
    hll[position + 1] = (hll[position + 1] & ~(63 >> (8 - shift)) & 0xFF) | (count >> (8 - shift))
    return 1


def _table(function) -> bytes:
    return bytes(function(byte) & 0xFF for byte in range(256))


_LOW6, _HIGH2 = _table(lambda b: b & 63), _table(lambda b: b >> 6)
_LOW4_UP2, _HIGH4 = _table(lambda b: (b & 15) << 2), _table(lambda b: b >> 4)
_LOW2_UP4, _HIGH6 = _table(lambda b: (b & 3) << 4), _table(lambda b: b >> 2)
_UP6, _DOWN2, _LOW4_UP4 = _table(lambda b: b << 6), _table(lambda b: b >> 2), \
    _table(lambda b: (b & 15) << 4)
_DOWN4, _UP2 = _table(lambda b: b >> 4), _table(lambda b: b << 2)


def _or_bytes(first: bytes, second: bytes) -> bytes:
    """Bytewise OR of two equal-length strings (the bits never cross a byte)."""
    joined = int.from_bytes(first, "big") | int.from_bytes(second, "big")
    return joined.to_bytes(len(first), "big")


def unpack_dense(hll) -> bytearray:
    """The 16384 dense registers, one byte each (every 3 bytes hold 4 registers)."""
    data = bytes(hll[HLL_HDR_SIZE:HLL_DENSE_SIZE])
    first, second, third = data[0::3], data[1::3], data[2::3]
    registers = bytearray(HLL_REGISTERS)
    registers[0::4] = first.translate(_LOW6)
    registers[1::4] = _or_bytes(first.translate(_HIGH2), second.translate(_LOW4_UP2))
    registers[2::4] = _or_bytes(second.translate(_HIGH4), third.translate(_LOW2_UP4))
    registers[3::4] = third.translate(_HIGH6)
    return registers


def pack_dense(registers) -> bytes:
    """The inverse of unpack_dense (every register is at most 63)."""
    registers = bytes(registers)
    r0, r1, r2, r3 = registers[0::4], registers[1::4], registers[2::4], registers[3::4]
    data = bytearray(HLL_DENSE_BYTES)
    data[0::3] = _or_bytes(r0, r1.translate(_UP6))
    data[1::3] = _or_bytes(r1.translate(_DOWN2), r2.translate(_LOW4_UP4))
    data[2::3] = _or_bytes(r2.translate(_DOWN4), r3.translate(_UP2))
    return bytes(data)


# -- sparse representation -------------------------------------------------------------------
def _val_opcode(value: int, run: int) -> int:
    return ((value - 1) << 2 | (run - 1)) | 0x80


def _zero_opcodes(run: int) -> bytes:
    """A run of empty registers as one ZERO (up to 64) or XZERO opcode."""
    if run > SPARSE_ZERO_MAX_LEN:
        return bytes([((run - 1) >> 8) | 0x40, (run - 1) & 0xFF])
    return bytes([run - 1])


def _split(hll, p: int, first: int, span: int, index: int, count: int) -> bytes:
    """The opcodes replacing the one at p once register `index` holds `count`."""
    last = first + span - 1
    op = hll[p]
    if op & 0x80:  # VAL: keep the neighbours' value on both sides
        value = ((op >> 2) & 0x1F) + 1
        before = bytes([_val_opcode(value, index - first)]) if index != first else b""
        after = bytes([_val_opcode(value, last - index)]) if index != last else b""
    else:
        before = _zero_opcodes(index - first) if index != first else b""
        after = _zero_opcodes(last - index) if index != last else b""
    return before + bytes([_val_opcode(count, 1)]) + after


def _merge_values(hll: bytearray, p: int):
    """Step 4 of hllSparseSet: fold adjacent equal VAL opcodes, looking at 5 opcodes from p."""
    end = len(hll)
    scan = 5
    while p < end and scan > 0:
        scan -= 1
        op = hll[p]
        if op & 0xC0 == 0x40:
            p += 2
            continue
        if op & 0xC0 == 0:
            p += 1
            continue
        if p + 1 < end and hll[p + 1] & 0x80 and (op & 0x7C) == (hll[p + 1] & 0x7C):
            run = (op & 3) + (hll[p + 1] & 3) + 2
            if run <= SPARSE_VAL_MAX_LEN:
                hll[p + 1] = _val_opcode(((op >> 2) & 0x1F) + 1, run)
                del hll[p]
                end -= 1
                continue  # the merged opcode may merge again with the next one
        p += 1


def sparse_set(hll: bytearray, index: int, count: int, trail=None) -> int:
    """hllSparseSet -> 1 (changed), 0 (already >= count), -1 (corrupted) or PROMOTE.

    `trail`, for callers setting registers in increasing order, lists (position, first register)
    of the opcodes known to be untouched so far: the scan resumes from its end.
    """
    if count > SPARSE_VAL_MAX_VALUE:
        return PROMOTE
    end = len(hll)
    p, first = trail.pop() if trail else (HLL_HDR_SIZE, 0)
    prev, span, oplen = -1, 0, 1
    while p < end:
        op = hll[p]
        if op & 0x80:
            span, oplen = (op & 3) + 1, 1
        elif op & 0x40:
            low = hll[p + 1] if p + 1 < end else 0
            span, oplen = (((op & 0x3F) << 8) | low) + 1, 2
        else:
            span, oplen = (op & 0x3F) + 1, 1
        if index <= first + span - 1:
            break
        if trail is not None:
            trail.append((p, first))
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return -1
    while trail and trail[-1][0] >= prev:  # what follows prev may be rewritten
        trail.pop()
    op = hll[p]
    if op & 0x80 and ((op >> 2) & 0x1F) + 1 >= count:
        return 0
    if span == 1 and op & 0xC0 != 0x40:  # a single ZERO or VAL register: rewrite in place
        hll[p] = _val_opcode(count, 1)
    else:
        replacement = _split(hll, p, first, span, index, count)
        grows = len(replacement) - oplen
        if grows > 0 and len(hll) + grows > HLL_SPARSE_MAX_BYTES:
            return PROMOTE
        hll[p:p + oplen] = replacement
    _merge_values(hll, prev if prev >= 0 else HLL_HDR_SIZE)
    hll[HLL_HDR_SIZE - 1] |= CACHE_STALE_BIT
    return 1


def _runs(hll):
    """(register value, run length) per opcode of a sparse HLL, in order."""
    p, end = HLL_HDR_SIZE, len(hll)
    while p < end:
        op = hll[p]
        if op & 0xC0 == 0:
            yield 0, (op & 0x3F) + 1
            p += 1
        elif op & 0xC0 == 0x40:
            low = hll[p + 1] if p + 1 < end else 0
            yield 0, (((op & 0x3F) << 8) | low) + 1
            p += 2
        else:
            yield ((op >> 2) & 0x1F) + 1, (op & 3) + 1
            p += 1


def sparse_registers(hll):
    """The registers of a sparse HLL, None if corrupted: like the Redis 7.0.15 build here
    (with the CVE-2025-32023 fix), any opcode running past register 16383 is corruption."""
    registers = bytearray(HLL_REGISTERS)
    index = 0
    for value, run in _runs(hll):
        if index + run > HLL_REGISTERS:
            return None
        if value:
            registers[index:index + run] = bytes([value]) * run
        index += run
    return registers if index == HLL_REGISTERS else None


def sparse_to_dense(hll):
    """hllSparseToDense: same header (cached count included), dense registers; None if corrupted."""
    registers = sparse_registers(hll)
    if registers is None:
        return None
    dense = bytearray(hll[:HLL_HDR_SIZE])
    dense[4] = HLL_DENSE
    return dense + pack_dense(registers)


def sparse_histogram(hll):
    """hllSparseRegHisto -> register histogram, or None when the runs do not cover exactly
    the 16384 registers."""
    histogram = [0] * 64
    index = 0
    for value, run in _runs(hll):
        if index + run > HLL_REGISTERS:
            return None
        histogram[value] += run
        index += run
    return histogram if index == HLL_REGISTERS else None


# -- counting ----------------------------------------------------------------------------------
def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= math.pow(1 - x, 2) * y
        if previous == z:
            return z / 3


def estimate(histogram) -> int:
    """hllCount's estimator (Ertl, arXiv:1702.01284), rounded like llroundl."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - histogram[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    value = HLL_ALPHA_INF * m * m / z
    floor = math.floor(value)
    return int(floor) + (1 if value - floor >= 0.5 else 0)


def histogram_of(registers) -> list:
    return [registers.count(value) for value in range(64)]


def count_of(hll) -> int:
    """The cardinality of one HLL, ignoring its cache; CORRUPTED for broken sparse data."""
    if hll[4] == HLL_DENSE:
        return estimate(histogram_of(unpack_dense(hll)))
    histogram = sparse_histogram(hll)
    if histogram is None:
        raise CommandError(CORRUPTED)
    return estimate(histogram)


def registers_of(hll) -> bytearray:
    """One byte per register, for merging (CORRUPTED for broken sparse data)."""
    if hll[4] == HLL_DENSE:
        return unpack_dense(hll)
    registers = sparse_registers(hll)
    if registers is None:
        raise CommandError(CORRUPTED)
    return registers


def merge_max(target: bytearray, registers) -> bytearray:
    return bytearray(map(max, target, registers))


# -- commands ----------------------------------------------------------------------------------
def get_hll(ctx, key: bytes):
    """isHLLObjectOrReply: the HLL string at key, None if missing."""
    value = ctx.get(key)
    if value is None:
        return None
    if type(value) is not bytes:
        raise CommandError(errors.WRONGTYPE)
    if (len(value) < HLL_HDR_SIZE or value[:4] != b"HYLL" or value[4] > HLL_SPARSE
            or (value[4] == HLL_DENSE and len(value) != HLL_DENSE_SIZE)):
        raise CommandError(NOT_HLL)
    return value


def add_elements(hll: bytearray, elements) -> tuple:
    """hllAdd for each element -> (hll, changed registers); the HLL may turn dense."""
    changed = 0
    dense = hll[4] == HLL_DENSE
    for element in elements:
        index, count = pattern(element)
        if dense:
            changed += dense_set(hll, index, count)
            continue
        result = sparse_set(hll, index, count)
        if result == PROMOTE:
            hll = sparse_to_dense(hll)
            if hll is None:
                raise CommandError(CORRUPTED)
            dense = True
            result = dense_set(hll, index, count)
        if result < 0:
            raise CommandError(CORRUPTED)
        changed += result
    return hll, changed


@command("pfadd", -2, "write denyoom fast", keys=(1, 1, 1), group=GROUP)
def pfadd(ctx, args):
    """Add elements to a HyperLogLog; 1 if its estimate may have changed."""
    current = get_hll(ctx, args[0])
    hll = bytearray(EMPTY_HLL if current is None else current)
    hll, changed = add_elements(hll, args[1:])
    if current is not None and not changed:
        return 0
    hll[HLL_HDR_SIZE - 1] |= CACHE_STALE_BIT
    ctx.set(args[0], bytes(hll), keep_ttl=True)
    return 1


@command("pfcount", -2, "readonly", keys=(1, -1, 1), group=GROUP)
def pfcount(ctx, args):
    """Estimated cardinality of a HyperLogLog, or of the union of several."""
    if len(args) > 1:
        registers = bytearray(HLL_REGISTERS)
        for key in args:
            hll = get_hll(ctx, key)
            if hll is not None:
                registers = merge_max(registers, registers_of(hll))
        return estimate(histogram_of(registers))
    hll = get_hll(ctx, args[0])
    if hll is None:
        return 0
    if not hll[HLL_HDR_SIZE - 1] & CACHE_STALE_BIT:
        return int.from_bytes(hll[8:HLL_HDR_SIZE], "little")
    return count_of(hll)


def _write_sparse(hll: bytearray, registers) -> bytearray:
    """PFMERGE into a sparse destination: hllSparseSet for each register in order."""
    trail = []
    for index, count in enumerate(registers):
        if count and sparse_set(hll, index, count, trail) == PROMOTE:
            # Every later register only rises to the merged maximum: the result is exactly it.
            dense = sparse_to_dense(hll)
            return dense[:HLL_HDR_SIZE] + pack_dense(registers)
    return hll


@command("pfmerge", -2, "write denyoom", keys=(1, -1, 1), group=GROUP)
def pfmerge(ctx, args):
    """Merge HyperLogLogs into the first key (which is one of the sources)."""
    registers = bytearray(HLL_REGISTERS)
    use_dense = False
    for key in args:
        hll = get_hll(ctx, key)
        if hll is not None:
            use_dense = use_dense or hll[4] == HLL_DENSE
            registers = merge_max(registers, registers_of(hll))
    current = ctx.get(args[0])
    hll = bytearray(EMPTY_HLL if current is None else current)
    if use_dense and hll[4] == HLL_SPARSE:
        hll = sparse_to_dense(hll)
        if hll is None:
            raise CommandError(CORRUPTED)
    if hll[4] == HLL_DENSE:
        # The destination is one of the sources, so raising its registers gives the maximum.
        hll = hll[:HLL_HDR_SIZE] + pack_dense(registers)
    else:
        hll = _write_sparse(hll, registers)
    hll[HLL_HDR_SIZE - 1] |= CACHE_STALE_BIT
    ctx.set(args[0], bytes(hll), keep_ttl=True)
    return OK

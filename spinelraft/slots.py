"""Redis Cluster's key -> slot function: CRC16-XMODEM of the key (or its {hash tag}) mod 16384.

Stock cluster clients compute the same slot, so it must match Redis bit for bit. Leaf module.
"""
SLOTS = 16384


def _table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_TABLE = _table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def hash_tag(key: bytes) -> bytes:
    """The part of the key that is hashed: the first non-empty {...} section, else the key."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            return key[start + 1 : end]
    return key


def key_slot(key: bytes) -> int:
    return crc16(hash_tag(key)) & (SLOTS - 1)


def slot_shard(slot: int, shards: int) -> int:
    """Slots are split into `shards` contiguous ranges."""
    return slot * shards // SLOTS


def shard_slot_range(shard: int, shards: int) -> tuple:
    """(first slot, last slot) owned by a shard."""
    first = -(-shard * SLOTS // shards)  # ceil
    last = -(-(shard + 1) * SLOTS // shards) - 1
    return first, last

"""Key -> slot must equal Redis Cluster's for every key (stock cluster clients compute it too)."""
from spinelraft.slots import SLOTS, crc16, key_slot, shard_slot_range, slot_shard


def test_crc16_xmodem_check_value():
    assert crc16(b"123456789") == 0x31C3


def test_known_redis_slots():
    # values from the Redis Cluster specification and CLUSTER KEYSLOT on Redis 7
    assert key_slot(b"foo") == 12182
    assert key_slot(b"bar") == 5061
    assert key_slot(b"hello") == 866
    assert key_slot(b"somekey") == 11058
    assert key_slot(b"foo{hash_tag}") == 2515


def test_hash_tags():
    assert key_slot(b"{user1000}.following") == key_slot(b"{user1000}.followers") == key_slot(b"user1000")
    assert key_slot(b"foo{}{bar}") == key_slot(b"foo{}{bar}")  # empty tag: the whole key is hashed
    assert key_slot(b"foo{bar}{zap}") == key_slot(b"bar")  # only the first tag counts
    assert key_slot(b"foo{{bar}}zap") == key_slot(b"{bar")


def test_shard_ranges_cover_every_slot_once():
    for shards in (1, 2, 3, 5, 16):
        covered = []
        for shard in range(shards):
            first, last = shard_slot_range(shard, shards)
            assert slot_shard(first, shards) == shard and slot_shard(last, shards) == shard
            covered.extend(range(first, last + 1))
        assert covered == list(range(SLOTS))

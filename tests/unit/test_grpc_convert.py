"""Every reply type has a gRPC form, shaped as RESP3 shapes it."""
from spinelraft.grpc_api.convert import to_reply
from spinelraft.replies import Double, KeyedArray, Pairs


def test_pairs_become_an_array_of_pairs():
    reply = to_reply(Pairs([(b"m", Double(1.5))]))
    pair = reply.array.items[0].array.items
    assert pair[0].bulk == b"m" and pair[1].double == 1.5


def test_keyed_array_becomes_a_map():
    reply = to_reply(KeyedArray([(b"stream", [b"x"])]))
    entry = reply.map.entries[0]
    assert entry.key.bulk == b"stream" and entry.value.array.items[0].bulk == b"x"

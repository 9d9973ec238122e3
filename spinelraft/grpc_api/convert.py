"""Server replies (spinelraft.replies values) -> the proto Reply, typed as RESP3 types them."""
from spinelraft.grpc_api.generated import spinelraft_pb2 as pb
from spinelraft.replies import (
    NULL_ARRAY,
    Double,
    ErrorReply,
    KeyedArray,
    Map,
    Pairs,
    Push,
    SetReply,
    Simple,
    Verbatim,
)


def to_reply(value) -> pb.Reply:  # noqa: C901 - one flat dispatch on the reply type
    kind = type(value)
    if kind is bytes:
        return pb.Reply(bulk=value)
    if kind is bool:
        return pb.Reply(bool=value)
    if kind is int:
        return pb.Reply(integer=value)
    if value is None or value is NULL_ARRAY:
        return pb.Reply(null=True)
    if kind is Simple:
        return pb.Reply(simple=value.text)
    if kind is ErrorReply:
        return pb.Reply(error=value.message)
    if kind is list or kind is tuple or kind is Push:
        items = value.items if kind is Push else value
        return pb.Reply(array=pb.ReplyList(items=[to_reply(item) for item in items]))
    if kind is Map:
        return pb.Reply(map=pb.ReplyMap(entries=[
            pb.ReplyMapEntry(key=to_reply(key), value=to_reply(item)) for key, item in value.items]))
    if kind is Pairs:  # as RESP3 shapes it: an array of 2-element arrays
        return pb.Reply(array=pb.ReplyList(items=[to_reply([first, second]) for first, second in value.items]))
    if kind is KeyedArray:  # a map in RESP3
        return pb.Reply(map=pb.ReplyMap(entries=[
            pb.ReplyMapEntry(key=to_reply(key), value=to_reply(item)) for key, item in value.items]))
    if kind is SetReply:
        return pb.Reply(set=pb.ReplyList(items=[to_reply(item) for item in value.items]))
    if kind is Double:
        return pb.Reply(double=value.value)
    if kind is Verbatim:
        return pb.Reply(bulk=value.text)
    if kind is str:
        return pb.Reply(bulk=value.encode())
    if kind is float:
        return pb.Reply(double=value)
    raise TypeError("no gRPC form for reply %r" % (value,))


def optional(value) -> pb.OptionalValue:
    if value is None:
        return pb.OptionalValue(found=False)
    return pb.OptionalValue(found=True, value=value)

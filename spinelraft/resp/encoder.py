"""RESP2 / RESP3 reply encoder: encode(reply, protocol) -> bytes. I/O-free."""
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
    format_double,
)

_OK = b"+OK\r\n"
_NULL2 = b"$-1\r\n"
_NULL3 = b"_\r\n"
_SMALL_INTS = [b":%d\r\n" % number for number in range(-1, 1024)]


def encode(reply, protocol: int = 2) -> bytes:
    kind = type(reply)
    if kind is Simple and reply.text == "OK":  # the hot cases, without building a list
        return _OK
    if kind is bytes:
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    if kind is int and -1 <= reply < 1023:
        return _SMALL_INTS[reply + 1]
    out = []
    _encode(reply, protocol, out)
    return b"".join(out)


def _encode(reply, protocol: int, out: list):  # noqa: C901 - one flat dispatch on reply type
    kind = type(reply)
    if kind is bytes:
        out.append(b"$%d\r\n%s\r\n" % (len(reply), reply))
    elif kind is int:
        if -1 <= reply < 1023:
            out.append(_SMALL_INTS[reply + 1])
        else:
            out.append(b":%d\r\n" % reply)
    elif reply is None:
        out.append(_NULL3 if protocol == 3 else _NULL2)
    elif kind is Simple:
        out.append(_OK if reply.text == "OK" else b"+%s\r\n" % reply.text.encode())
    elif kind is list or kind is tuple:
        out.append(b"*%d\r\n" % len(reply))
        for item in reply:
            _encode(item, protocol, out)
    elif kind is ErrorReply:
        out.append(b"-%s\r\n" % _one_line(reply.message).encode("utf-8", "replace"))
    elif kind is Double:
        text = format_double(reply.value)
        if protocol == 3:
            out.append(b",%s\r\n" % text)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(text), text))
    elif kind is Map:
        if protocol == 3:
            out.append(b"%%%d\r\n" % len(reply.items))
        else:
            out.append(b"*%d\r\n" % (2 * len(reply.items)))
        for key, value in reply.items:
            _encode(key, protocol, out)
            _encode(value, protocol, out)
    elif kind is Pairs:
        if protocol == 3:
            out.append(b"*%d\r\n" % len(reply.items))
            for first, second in reply.items:
                out.append(b"*2\r\n")
                _encode(first, protocol, out)
                _encode(second, protocol, out)
        else:
            out.append(b"*%d\r\n" % (2 * len(reply.items)))
            for first, second in reply.items:
                _encode(first, protocol, out)
                _encode(second, protocol, out)
    elif kind is KeyedArray:
        out.append((b"%%%d\r\n" if protocol == 3 else b"*%d\r\n") % len(reply.items))
        for key, value in reply.items:
            if protocol != 3:
                out.append(b"*2\r\n")
            _encode(key, protocol, out)
            _encode(value, protocol, out)
    elif kind is SetReply:
        out.append((b"~%d\r\n" if protocol == 3 else b"*%d\r\n") % len(reply.items))
        for item in reply.items:
            _encode(item, protocol, out)
    elif kind is bool:
        if protocol == 3:
            out.append(b"#t\r\n" if reply else b"#f\r\n")
        else:
            out.append(b":1\r\n" if reply else b":0\r\n")
    elif reply is NULL_ARRAY:
        out.append(_NULL3 if protocol == 3 else b"*-1\r\n")
    elif kind is Verbatim:
        if protocol == 3:
            body = reply.format.encode() + b":" + reply.text
            out.append(b"=%d\r\n%s\r\n" % (len(body), body))
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(reply.text), reply.text))
    elif kind is Push:
        out.append((b">%d\r\n" if protocol == 3 else b"*%d\r\n") % len(reply.items))
        for item in reply.items:
            _encode(item, protocol, out)
    elif kind is str:
        data = reply.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    elif kind is float:
        _encode(Double(reply), protocol, out)
    else:
        raise TypeError("cannot encode reply of type %r" % kind)


def _one_line(message: str) -> str:
    """Error and status replies cannot contain newlines (Redis replaces them with spaces)."""
    if "\r" in message or "\n" in message:
        return message.replace("\r", " ").replace("\n", " ")
    return message

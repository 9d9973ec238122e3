"""A minimal asyncio RESP client for node-to-node requests (REPLICAOF NO ONE asks the leader to
hand over leadership, admin commands reach the leader). Replies are parsed with hiredis."""
import asyncio

import hiredis

from spinelraft.replies import ErrorReply

REQUEST_TIMEOUT_S = 10.0


def encode_request(argv) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


async def request(host: str, port: int, argv, password: str = "", timeout_s: float = REQUEST_TIMEOUT_S):
    """Send one command (after AUTH when a password is set) and return its reply."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
    try:
        commands = ([(b"AUTH", password.encode())] if password else []) + [argv]
        writer.write(b"".join(encode_request(command) for command in commands))
        await writer.drain()
        parser = hiredis.Reader(replyError=lambda message: ErrorReply(message))
        replies = []
        while len(replies) < len(commands):
            data = await asyncio.wait_for(reader.read(65536), timeout_s)
            if not data:
                raise ConnectionError("connection closed by %s:%d" % (host, port))
            parser.feed(data)
            while True:
                reply = parser.gets()
                if reply is False:
                    break
                replies.append(reply)
        return replies[-1]
    finally:
        writer.close()

"""Redis error replies -> gRPC status codes. The message stays the Redis text.

Trailing metadata tells a client what it may do next:
  spinelraft-leader   the leader's gRPC address, when known (on UNAVAILABLE)
  spinelraft-applied  "no": the write certainly did not happen (safe to retry);
                      "unknown": it may have happened (read before retrying)
"""
import grpc

LEADER_KEY = "spinelraft-leader"
APPLIED_KEY = "spinelraft-applied"

# error prefix -> (code, applied): applied is None when the error says nothing about it.
BY_PREFIX = {
    "WRONGTYPE": (grpc.StatusCode.FAILED_PRECONDITION, None),
    "NOAUTH": (grpc.StatusCode.UNAUTHENTICATED, "no"),
    "WRONGPASS": (grpc.StatusCode.UNAUTHENTICATED, "no"),
    "NOPERM": (grpc.StatusCode.PERMISSION_DENIED, "no"),
    "CLUSTERDOWN": (grpc.StatusCode.UNAVAILABLE, "no"),  # no Raft leader: nothing was proposed
    "TRYAGAIN": (grpc.StatusCode.UNAVAILABLE, "unknown"),  # proposed, outcome unknown
    "LOADING": (grpc.StatusCode.UNAVAILABLE, "no"),
    "MASTERDOWN": (grpc.StatusCode.UNAVAILABLE, "no"),
    "BUSY": (grpc.StatusCode.RESOURCE_EXHAUSTED, "no"),  # too many writes queued: not proposed
    "OOM": (grpc.StatusCode.RESOURCE_EXHAUSTED, "no"),
    "READONLY": (grpc.StatusCode.FAILED_PRECONDITION, "no"),
    "EXECABORT": (grpc.StatusCode.ABORTED, "no"),
    "BUSYKEY": (grpc.StatusCode.ALREADY_EXISTS, None),
    "BUSYGROUP": (grpc.StatusCode.ALREADY_EXISTS, None),
    "NOGROUP": (grpc.StatusCode.NOT_FOUND, None),
    "NOSCRIPT": (grpc.StatusCode.NOT_FOUND, None),
    "CROSSSLOT": (grpc.StatusCode.FAILED_PRECONDITION, "no"),
    "NOPROTO": (grpc.StatusCode.INVALID_ARGUMENT, "no"),
}
# Texts starting with ERR that are not about the request's arguments.
BY_TEXT = (
    ("ERR no such key", grpc.StatusCode.NOT_FOUND),
    ("ERR internal error", grpc.StatusCode.INTERNAL),
    ("ERR duplicate request", grpc.StatusCode.ABORTED),
    ("ERR max number of clients", grpc.StatusCode.RESOURCE_EXHAUSTED),
)
# Codes that are not a command's answer but the service's state (Command.Execute raises them
# instead of returning a Reply with an error).
SERVICE_CODES = frozenset((grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAUTHENTICATED,
                           grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.PERMISSION_DENIED))


def status_for(message: str):
    """(code, applied) for a Redis error text."""
    prefix = message.split(" ", 1)[0]
    if prefix == "ERR":
        for text, code in BY_TEXT:
            if message.startswith(text):
                return code, None
        return grpc.StatusCode.INVALID_ARGUMENT, None
    return BY_PREFIX.get(prefix, (grpc.StatusCode.UNKNOWN, None))


def trailing_metadata(code, applied, leader_address) -> tuple:
    metadata = []
    if applied is not None:
        metadata.append((APPLIED_KEY, applied))
    if code == grpc.StatusCode.UNAVAILABLE and leader_address:
        metadata.append((LEADER_KEY, leader_address))
    return tuple(metadata)

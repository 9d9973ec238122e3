"""Keys with a TTL (SET k v PX ttl; reads of GET and PTTL in one MULTI/EXEC, or GET alone).

Values are unique per key, so a read names the write it saw. With T the write's TTL and
`tolerance` covering clock differences (and any clock skew the nemesis injected):
  read-after-expiry  the value was read although the read began more than T (+ tolerance)
                     after its write was acknowledged: the key should have expired
  ttl-moved          the deadline implied by a read (read time + PTTL) is not the write's
                     deadline (write time + T): the TTL must not grow or jump between reads
  lost-write         nil was read although a write was acknowledged before the read began and no
                     write that might be the latest could have expired by the time it returned
  future-read        the value was read before its write was invoked
  read-of-failed     the value of a write that certainly failed was read
"""
from collections import defaultdict

from jepsen.history import FAIL, INFINITY, OK

MAX_EXAMPLES = 8
MS = 1_000_000  # history times are nanoseconds


def check(ops, tolerance_ms: float = 300.0) -> dict:
    tolerance = tolerance_ms * MS
    writes = {}
    by_key = defaultdict(list)
    for op in ops:
        if op.f == "write":
            writes[(op.key, op.value[0])] = op
        by_key[op.key].append(op)
    anomalies = defaultdict(list)
    reads = [op for op in ops if op.f == "read" and op.type == OK]
    for read in reads:
        value, pttl = read.result
        if value is None:
            check_nil_read(read, by_key[read.key], tolerance, anomalies)
        else:
            check_value_read(read, writes.get((read.key, value)), pttl, tolerance, anomalies)
    return {"valid": not anomalies, "reads": len(reads),
            "writes": sum(op.f == "write" for op in ops), "tolerance_ms": tolerance_ms,
            "anomaly_counts": {name: len(found) for name, found in anomalies.items()},
            "anomalies": {name: found[:MAX_EXAMPLES] for name, found in anomalies.items()}}


def check_value_read(read, write, pttl, tolerance, anomalies):
    if write is None:
        anomalies["garbage-read"].append({"read": read.to_dict()})
        return
    if write.type == FAIL:
        anomalies["read-of-failed"].append({"read": read.to_dict(), "write": write.to_dict()})
        return
    ttl = write.value[1] * MS
    if read.ret != INFINITY and write.call > read.ret:
        anomalies["future-read"].append({"read": read.to_dict(), "write": write.to_dict()})
    if write.ret != INFINITY and read.call > write.ret + ttl + tolerance:
        anomalies["read-after-expiry"].append({
            "read": read.to_dict(), "write": write.to_dict(),
            "late_by_ms": round((read.call - write.ret - ttl) / MS, 1)})
    if pttl is None or read.ret == INFINITY:
        return
    if pttl < 0 or pttl > write.value[1]:
        anomalies["ttl-moved"].append({"read": read.to_dict(), "write": write.to_dict()})
        return
    implied_earliest, implied_latest = read.call + pttl * MS, read.ret + pttl * MS
    allowed_latest = (write.ret if write.ret != INFINITY else read.ret) + ttl + tolerance
    if implied_earliest > allowed_latest or implied_latest < write.call + ttl - tolerance:
        anomalies["ttl-moved"].append({"read": read.to_dict(), "write": write.to_dict()})


def check_nil_read(read, key_ops, tolerance, anomalies):
    """nil is wrong when a write acknowledged before the read began must still be alive."""
    acknowledged = [op for op in key_ops if op.f == "write" and op.type == OK and op.ret < read.call]
    if not acknowledged or read.ret == INFINITY:
        return
    latest = max(acknowledged, key=lambda op: op.ret)
    candidates = [op for op in key_ops if op.f == "write" and op.type != FAIL
                  and op.call < read.ret and (op is latest or op.ret > latest.call)]
    earliest_expiry = min(op.call + op.value[1] * MS for op in candidates)
    if read.ret + tolerance < earliest_expiry:
        anomalies["lost-write"].append({"read": read.to_dict(), "write": latest.to_dict()})

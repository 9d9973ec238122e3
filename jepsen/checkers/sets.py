"""Sets (SADD of unique elements, SMEMBERS reads): acknowledged adds must survive; nothing may
appear that was never added; a read must hold every add acknowledged before it began."""
from jepsen.checkers import merge_validity
from jepsen.history import FAIL, OK

MAX_EXAMPLES = 10


def is_final(op) -> bool:
    return str(op.process).startswith("final")


def check(ops) -> dict:
    keys = sorted({op.key for op in ops if op.f == "add"}, key=str)
    per_key = {}
    totals = {"ok_adds": 0, "lost": 0, "unexpected": 0, "stale_reads": 0, "recovered_info": 0,
              "duplicates": 0}
    for key in keys:
        result = check_key([op for op in ops if op.key == key])
        per_key[str(key)] = result
        for name in totals:
            totals[name] += result.get(name, 0) if isinstance(result.get(name, 0), int) else 0
    validity = merge_validity(result["valid"] for result in per_key.values()) if per_key else "unknown"
    return {"valid": validity, "keys": len(keys), **totals,
            "per_key": {key: result for key, result in per_key.items() if result["valid"] is not True}}


def check_key(ops) -> dict:
    adds = [op for op in ops if op.f == "add"]
    attempted = {op.value for op in adds if op.type != FAIL}
    acknowledged = [op for op in adds if op.type == OK]
    finals = [op for op in ops if op.f == "read" and op.type == OK and is_final(op)]
    reads = [op for op in ops if op.f == "read" and op.type == OK and not is_final(op)]
    result = {"ok_adds": len(acknowledged)}
    stale = stale_reads(reads, acknowledged)
    duplicates = [op.result for op in reads + finals if len(set(op.result)) != len(op.result)]
    result.update(stale_reads=len(stale), duplicates=len(duplicates))
    if stale:
        result["stale_examples"] = stale[:MAX_EXAMPLES]
    if not finals:
        result.update(valid="unknown" if acknowledged else True, reason="no final read")
        return result
    final = set(finals[-1].result)
    lost = sorted(op.value for op in acknowledged if op.value not in final)
    unexpected = sorted(final - attempted - {op.value for op in adds})
    failed_but_present = sorted(final & {op.value for op in adds if op.type == FAIL})
    result.update(lost=len(lost), unexpected=len(unexpected) + len(failed_but_present),
                  recovered_info=len(final & {op.value for op in adds if op.type not in (OK, FAIL)}),
                  final_size=len(final))
    if lost:
        result["lost_examples"] = lost[:MAX_EXAMPLES]
    if unexpected or failed_but_present:
        result["unexpected_examples"] = (unexpected + failed_but_present)[:MAX_EXAMPLES]
    result["valid"] = not (lost or unexpected or failed_but_present or stale or duplicates)
    return result


def stale_reads(reads, acknowledged) -> list:
    """Reads missing an element whose add was acknowledged before the read was invoked."""
    done = sorted(acknowledged, key=lambda op: op.ret)
    found = []
    for read in reads:
        present = set(read.result)
        missing = [op.value for op in done if op.ret < read.call and op.value not in present]
        if missing:
            found.append({"read": read.to_dict(), "missing": missing[:MAX_EXAMPLES]})
    return found

"""Counters (INCRBY with positive deltas, GET reads). A read must lie between the acknowledged
increments completed before it began (lower bound: anything less is a lost update) and every
increment that may have happened by the time it returned, ok or unknown (upper bound: anything
more is a duplicated or phantom update). The final read is held to the same bounds."""
import bisect
import itertools

from jepsen.checkers import merge_validity
from jepsen.history import FAIL, INFINITY, OK

MAX_EXAMPLES = 10


def check(ops) -> dict:
    keys = sorted({op.key for op in ops if op.f == "add"}, key=str)
    per_key = {str(key): check_key([op for op in ops if op.key == key]) for key in keys}
    validity = merge_validity(result["valid"] for result in per_key.values()) if per_key else "unknown"
    return {"valid": validity, "keys": len(keys),
            "reads": sum(result["reads"] for result in per_key.values()),
            "lost_reads": sum(result["too_low"] for result in per_key.values()),
            "duplicated_reads": sum(result["too_high"] for result in per_key.values()),
            "per_key": per_key}


def check_key(ops) -> dict:
    adds = [op for op in ops if op.f == "add"]
    reads = [op for op in ops if op.f == "read" and op.type == OK]
    done = sorted((op for op in adds if op.type == OK), key=lambda op: op.ret)
    done_times = [op.ret for op in done]
    done_sums = list(itertools.accumulate((op.value for op in done), initial=0))
    possible = sorted((op for op in adds if op.type != FAIL), key=lambda op: op.call)
    possible_times = [op.call for op in possible]
    possible_sums = list(itertools.accumulate((op.value for op in possible), initial=0))
    too_low, too_high = [], []
    for read in reads:
        lower = done_sums[bisect.bisect_left(done_times, read.call)]
        upper = possible_sums[bisect.bisect_left(possible_times, read.ret if read.ret != INFINITY else float("inf"))]
        value = int(read.result or 0)
        if value < lower:
            too_low.append({"read": read.to_dict(), "lower": lower, "upper": upper})
        elif value > upper:
            too_high.append({"read": read.to_dict(), "lower": lower, "upper": upper})
    finals = [op for op in reads if str(op.process).startswith("final")]
    result = {"reads": len(reads), "too_low": len(too_low), "too_high": len(too_high),
              "acknowledged_sum": done_sums[-1], "possible_sum": possible_sums[-1],
              "final_value": int(finals[-1].result or 0) if finals else None}
    if too_low:
        result["too_low_examples"] = too_low[:MAX_EXAMPLES]
    if too_high:
        result["too_high_examples"] = too_high[:MAX_EXAMPLES]
    if too_low or too_high:
        result["valid"] = False
    elif not finals and done:
        result["valid"] = "unknown"
        result["reason"] = "no final read"
    else:
        result["valid"] = True
    return result

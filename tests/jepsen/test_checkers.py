"""The jepsen checkers on hand-made histories: valid ones pass, each planted anomaly fails."""
import random

from jepsen.checkers import counter, elle, expire, linearizable, sets
from jepsen.history import History, pair_ops


def history(*steps):
    """steps: (kind, process, f, key, value) in time order; kind invoke/ok/fail/info.
    For ok reads `value` is the result; times are the step numbers (in ms)."""
    events = []
    for number, (kind, process, f, key, value) in enumerate(steps):
        event = {"index": number, "type": kind, "process": process, "time": number * 1_000_000,
                 "f": f, "key": key, "value": value}
        events.append(event)
    return pair_ops(events)


def valid(ops, **kwargs):
    return linearizable.check(ops, time_limit_s=10, **kwargs)["valid"]


# -- registers: linearizable histories ------------------------------------------------------
def test_sequential_register_history_is_linearizable():
    ops = history(("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 1),
                  ("invoke", 0, "cas", "k", [1, 2]), ("ok", 0, "cas", "k", None),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 2))
    assert valid(ops) is True


def test_concurrent_reads_may_see_either_value():
    ops = history(("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1),
                  ("invoke", 0, "write", "k", 2), ("invoke", 1, "read", "k", None),
                  ("invoke", 2, "read", "k", None), ("ok", 1, "read", "k", 2),
                  ("ok", 2, "read", "k", 1), ("ok", 0, "write", "k", 2))
    assert valid(ops) is True


def test_read_of_old_value_after_new_value_was_read_fails():
    ops = history(("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1),
                  ("invoke", 0, "write", "k", 2), ("invoke", 1, "read", "k", None),
                  ("ok", 1, "read", "k", 2), ("invoke", 2, "read", "k", None),
                  ("ok", 2, "read", "k", 1), ("ok", 0, "write", "k", 2))
    assert valid(ops) is False


def test_unknown_write_may_take_effect_late_or_never():
    took_effect = history(("invoke", 0, "write", "k", 1), ("info", 0, "write", "k", None),
                          ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", None),
                          ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 1))
    assert valid(took_effect) is True
    never = history(("invoke", 0, "write", "k", 1), ("info", 0, "write", "k", None),
                    ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", None))
    assert valid(never) is True


def test_failed_operations_are_ignored():
    ops = history(("invoke", 0, "write", "k", 1), ("fail", 0, "write", "k", None),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", None),
                  ("invoke", 1, "cas", "k", [5, 6]), ("fail", 1, "cas", "k", None))
    assert valid(ops) is True


def test_keys_are_independent():
    ops = history(("invoke", 0, "write", "a", 1), ("ok", 0, "write", "a", 1),
                  ("invoke", 1, "write", "b", 7), ("ok", 1, "write", "b", 7),
                  ("invoke", 2, "read", "a", None), ("ok", 2, "read", "a", 1),
                  ("invoke", 2, "read", "b", None), ("ok", 2, "read", "b", 7))
    assert valid(ops) is True


def test_many_concurrent_clients_simulated_register_is_linearizable():
    """A real register under a random interleaving: every history it produces passes."""
    rng = random.Random(7)
    events, value, pending, now = [], None, {}, 0
    for _ in range(400):
        now += 1
        process = rng.randrange(5)
        if process not in pending:
            f = rng.choice(["read", "write", "cas"])
            argument = {"read": None, "write": now, "cas": [value, now]}[f]
            events.append({"type": "invoke", "process": process, "time": now, "f": f, "key": "k",
                           "value": argument})
            pending[process] = (f, argument)
            continue
        f, argument = pending.pop(process)
        if f == "read":
            kind, result = "ok", value
        elif f == "write":
            value, kind, result = argument, "ok", None
        elif argument[0] == value:
            value, kind, result = argument[1], "ok", None
        else:
            kind, result = "fail", None
        events.append({"type": kind, "process": process, "time": now, "f": f, "key": "k", "value": result})
    for number, event in enumerate(events):
        event["index"] = number
    assert valid(pair_ops(events)) is True


# -- registers: anomalies -------------------------------------------------------------------
def test_stale_read_fails():
    ops = history(("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1),
                  ("invoke", 0, "write", "k", 2), ("ok", 0, "write", "k", 2),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 1))
    report = linearizable.check(ops, time_limit_s=10)
    assert report["valid"] is False
    assert report["failed_keys"] == ["k"]
    smallest = report["anomaly"]["ops"]
    assert [op["f"] for op in smallest] == ["write", "write", "read"]


def test_lost_write_fails():
    ops = history(("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", None))
    assert valid(ops) is False


def test_double_cas_success_fails():
    ops = history(("invoke", 0, "write", "k", 0), ("ok", 0, "write", "k", 0),
                  ("invoke", 1, "cas", "k", [0, 1]), ("invoke", 2, "cas", "k", [0, 2]),
                  ("ok", 1, "cas", "k", None), ("ok", 2, "cas", "k", None))
    assert valid(ops) is False


def test_write_seen_before_it_began_fails():
    ops = history(("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 1),
                  ("invoke", 0, "write", "k", 1), ("ok", 0, "write", "k", 1))
    assert valid(ops) is False


def test_write_seen_then_unseen_fails():
    ops = history(("invoke", 0, "write", "k", 1), ("invoke", 1, "read", "k", None),
                  ("ok", 1, "read", "k", 1), ("invoke", 2, "read", "k", None),
                  ("ok", 2, "read", "k", None), ("ok", 0, "write", "k", 1))
    assert valid(ops) is False


def test_unknown_write_seen_then_unseen_fails():
    ops = history(("invoke", 0, "write", "k", 1), ("info", 0, "write", "k", None),
                  ("invoke", 1, "read", "k", None), ("ok", 1, "read", "k", 1),
                  ("invoke", 2, "read", "k", None), ("ok", 2, "read", "k", None))
    assert valid(ops) is False


def test_search_out_of_time_is_unknown():
    ops = []
    events = []
    for process in range(14):  # 14 concurrent writes then a read no order can explain
        events.append({"type": "invoke", "process": process, "time": 0, "f": "write", "key": "k",
                       "value": process})
    events.append({"type": "invoke", "process": 99, "time": 1, "f": "read", "key": "k", "value": None})
    events.append({"type": "ok", "process": 99, "time": 2, "f": "read", "key": "k", "value": -1})
    for process in range(14):
        events.append({"type": "ok", "process": process, "time": 3, "f": "write", "key": "k", "value": None})
    for process in range(14):
        events.append({"type": "invoke", "process": process, "time": 4, "f": "read", "key": "k", "value": None})
        events.append({"type": "ok", "process": process, "time": 5, "f": "read", "key": "k",
                       "value": process})
    for number, event in enumerate(events):
        event["index"] = number
    ops = pair_ops(events)
    assert linearizable.check(ops, time_limit_s=0.0, minimize_s=0)["valid"] == "unknown"
    assert linearizable.check(ops, time_limit_s=30, minimize_s=0)["valid"] is False


def test_history_records_events_in_order():
    recorded = History()
    invocation = recorded.invoke(0, "write", "k", 1, node="n1")
    recorded.complete(invocation, "ok")
    ops = pair_ops(recorded.events)
    assert len(ops) == 1 and ops[0].type == "ok" and ops[0].ret >= ops[0].call


# -- sets -----------------------------------------------------------------------------------
def test_set_with_every_add_present_is_valid():
    ops = history(("invoke", 0, "add", "s", 1), ("ok", 0, "add", "s", None),
                  ("invoke", 1, "add", "s", 2), ("info", 1, "add", "s", None),
                  ("invoke", "final", "read", "s", None), ("ok", "final", "read", "s", [1, 2]))
    assert sets.check(ops)["valid"] is True


def test_set_lost_and_unexpected_elements_fail():
    lost = history(("invoke", 0, "add", "s", 1), ("ok", 0, "add", "s", None),
                   ("invoke", "final", "read", "s", None), ("ok", "final", "read", "s", []))
    report = sets.check(lost)
    assert report["valid"] is False and report["lost"] == 1
    unexpected = history(("invoke", 0, "add", "s", 1), ("ok", 0, "add", "s", None),
                         ("invoke", "final", "read", "s", None), ("ok", "final", "read", "s", [1, 9]))
    assert sets.check(unexpected)["unexpected"] == 1


def test_set_stale_read_fails():
    ops = history(("invoke", 0, "add", "s", 1), ("ok", 0, "add", "s", None),
                  ("invoke", 1, "read", "s", None), ("ok", 1, "read", "s", []),
                  ("invoke", "final", "read", "s", None), ("ok", "final", "read", "s", [1]))
    report = sets.check(ops)
    assert report["valid"] is False and report["stale_reads"] == 1


# -- counters -------------------------------------------------------------------------------
def test_counter_within_bounds_is_valid():
    ops = history(("invoke", 0, "add", "c", 2), ("ok", 0, "add", "c", None),
                  ("invoke", 1, "add", "c", 3), ("info", 1, "add", "c", None),
                  ("invoke", 2, "read", "c", None), ("ok", 2, "read", "c", 5),
                  ("invoke", "final", "read", "c", None), ("ok", "final", "read", "c", 5))
    assert counter.check(ops)["valid"] is True


def test_counter_lost_and_duplicated_increments_fail():
    lost = history(("invoke", 0, "add", "c", 2), ("ok", 0, "add", "c", None),
                   ("invoke", "final", "read", "c", None), ("ok", "final", "read", "c", 0))
    assert counter.check(lost)["lost_reads"] == 1
    doubled = history(("invoke", 0, "add", "c", 2), ("ok", 0, "add", "c", None),
                      ("invoke", "final", "read", "c", None), ("ok", "final", "read", "c", 4))
    report = counter.check(doubled)
    assert report["valid"] is False and report["duplicated_reads"] == 1


# -- list-append ----------------------------------------------------------------------------
def txn(*mops):
    return [list(mop) for mop in mops]


def test_list_append_serial_history_is_valid():
    ops = history(("invoke", 0, "txn", None, txn(("append", "x", 1), ("r", "y", None))),
                  ("ok", 0, "txn", None, txn(("append", "x", 1), ("r", "y", []))),
                  ("invoke", 1, "txn", None, txn(("append", "y", 1), ("r", "x", None))),
                  ("ok", 1, "txn", None, txn(("append", "y", 1), ("r", "x", [1]))),
                  ("invoke", "final", "txn", None, txn(("r", "x", None), ("r", "y", None))),
                  ("ok", "final", "txn", None, txn(("r", "x", [1]), ("r", "y", [1]))))
    report = elle.check(ops)
    assert report["valid"] is True, report


def test_list_append_write_skew_is_g_single_or_g2():
    """T1 reads x=[] and appends y; T2 reads y=[] and appends x; both commit concurrently."""
    ops = history(("invoke", 0, "txn", None, txn(("r", "x", None), ("append", "y", 1))),
                  ("invoke", 1, "txn", None, txn(("r", "y", None), ("append", "x", 1))),
                  ("ok", 0, "txn", None, txn(("r", "x", []), ("append", "y", 1))),
                  ("ok", 1, "txn", None, txn(("r", "y", []), ("append", "x", 1))),
                  ("invoke", "final", "txn", None, txn(("r", "x", None), ("r", "y", None))),
                  ("ok", "final", "txn", None, txn(("r", "x", [1]), ("r", "y", [1]))))
    report = elle.check(ops)
    assert report["valid"] is False
    assert "G2" in report["anomaly_counts"]


def test_list_append_g1c_and_g_single():
    # T1 appends x1 and reads y=[1] (T2's); T2 appends y1 and reads x=[1] (T1's): G1c
    g1c = history(("invoke", 0, "txn", None, txn(("append", "x", 1), ("r", "y", None))),
                  ("invoke", 1, "txn", None, txn(("append", "y", 1), ("r", "x", None))),
                  ("ok", 0, "txn", None, txn(("append", "x", 1), ("r", "y", [1]))),
                  ("ok", 1, "txn", None, txn(("append", "y", 1), ("r", "x", [1]))))
    assert "G1c" in elle.check(g1c)["anomaly_counts"]
    # T1 appends x1, y1; T2 reads x=[1] (wr from T1) and y=[] (rw to T1): G-single
    single = history(("invoke", 0, "txn", None, txn(("append", "x", 1), ("append", "y", 1))),
                     ("invoke", 1, "txn", None, txn(("r", "x", None), ("r", "y", None))),
                     ("ok", 0, "txn", None, txn(("append", "x", 1), ("append", "y", 1))),
                     ("ok", 1, "txn", None, txn(("r", "x", [1]), ("r", "y", []))),
                     ("invoke", 2, "txn", None, txn(("r", "y", None),)),
                     ("ok", 2, "txn", None, txn(("r", "y", [1]),)))
    assert "G-single" in elle.check(single)["anomaly_counts"]


def test_list_append_g0_lost_duplicates_and_stale():
    # x order [1, 2], y order [2, 1]: T1 and T2 overwrite each other: G0
    g0 = history(("invoke", 0, "txn", None, txn(("append", "x", 1), ("append", "y", 1))),
                 ("invoke", 1, "txn", None, txn(("append", "x", 2), ("append", "y", 2))),
                 ("ok", 0, "txn", None, txn(("append", "x", 1), ("append", "y", 1))),
                 ("ok", 1, "txn", None, txn(("append", "x", 2), ("append", "y", 2))),
                 ("invoke", "final", "txn", None, txn(("r", "x", None), ("r", "y", None))),
                 ("ok", "final", "txn", None, txn(("r", "x", [1, 2]), ("r", "y", [2, 1]))))
    assert "G0" in elle.check(g0)["anomaly_counts"]
    appends = (("invoke", 0, "txn", None, txn(("append", "x", 1),)),
               ("ok", 0, "txn", None, txn(("append", "x", 1),)),
               ("invoke", 0, "txn", None, txn(("append", "x", 2),)),
               ("ok", 0, "txn", None, txn(("append", "x", 2),)))

    def counts_after_appends(read, final):
        return elle.check(history(*appends, ("invoke", 1, "txn", None, txn(("r", "x", None),)),
                                  ("ok", 1, "txn", None, txn(("r", "x", read),)),
                                  ("invoke", "final", "txn", None, txn(("r", "x", None),)),
                                  ("ok", "final", "txn", None, txn(("r", "x", final),))))["anomaly_counts"]

    assert set(counts_after_appends([1, 2], [1, 2])) == set()
    assert "stale-read" in counts_after_appends([1], [1, 2])
    assert "lost-append" in counts_after_appends([1], [1])
    assert "duplicate-elements" in counts_after_appends([1, 2, 2], [1, 2, 2])
    assert "incompatible-order" in counts_after_appends([2], [1, 2])


def test_list_append_future_and_aborted_reads():
    ops = history(("invoke", 1, "txn", None, txn(("r", "x", None),)),
                  ("ok", 1, "txn", None, txn(("r", "x", [1, 2]),)),
                  ("invoke", 0, "txn", None, txn(("append", "x", 1),)),
                  ("ok", 0, "txn", None, txn(("append", "x", 1),)),
                  ("invoke", 2, "txn", None, txn(("append", "x", 2),)),
                  ("fail", 2, "txn", None, None))
    counts = elle.check(ops)["anomaly_counts"]
    assert {"future-read", "G1a"} <= set(counts)


# -- expiry ---------------------------------------------------------------------------------
def test_expiry_reads_within_ttl_are_valid_and_late_reads_fail():
    ms = 1_000_000
    write = {"type": "invoke", "process": 0, "time": 0, "f": "write", "key": "e", "value": ["v1", 1000]}
    done = {"type": "ok", "process": 0, "time": 10 * ms, "f": "write", "key": "e", "value": None}
    early = [{"type": "invoke", "process": 1, "time": 100 * ms, "f": "read", "key": "e", "value": None},
             {"type": "ok", "process": 1, "time": 110 * ms, "f": "read", "key": "e", "value": ["v1", 895]}]
    late = [{"type": "invoke", "process": 1, "time": 2000 * ms, "f": "read", "key": "e", "value": None},
            {"type": "ok", "process": 1, "time": 2010 * ms, "f": "read", "key": "e", "value": ["v1", 5]}]
    grown = [{"type": "invoke", "process": 1, "time": 500 * ms, "f": "read", "key": "e", "value": None},
             {"type": "ok", "process": 1, "time": 510 * ms, "f": "read", "key": "e", "value": ["v1", 990]}]
    lost = [{"type": "invoke", "process": 1, "time": 200 * ms, "f": "read", "key": "e", "value": None},
            {"type": "ok", "process": 1, "time": 210 * ms, "f": "read", "key": "e", "value": [None, -2]}]

    def run(*reads):
        events = [write, done] + [event for read in reads for event in read]
        for number, event in enumerate(events):
            event["index"] = number
        return expire.check(pair_ops(events), tolerance_ms=100)

    assert run(early)["valid"] is True
    assert "read-after-expiry" in run(late)["anomaly_counts"]
    assert "ttl-moved" in run(grown)["anomaly_counts"]
    assert "lost-write" in run(lost)["anomaly_counts"]

"""report.html: summary, latency and throughput over time with fault intervals shaded, checker
results, and for an anomaly the smallest failing sub-history of the key involved."""
import base64
import html
import io
import json
import os

from jepsen.history import FAIL, INFO, OK, pair_ops, read_jsonl

COLORS = {OK: "#2a9d8f", FAIL: "#e76f51", INFO: "#e9c46a"}
FAULT_COLORS = {"kill": "#e63946", "pause": "#457b9d", "partition": "#f4a261", "transfer": "#8d99ae",
                "clock": "#9b5de5", "lag": "#f15bb5"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def fault_intervals(nemesis_events, end_s: float) -> list:
    """[(fault, start s, stop s)] from start/stop events (an unstopped fault ends at end_s)."""
    open_faults, intervals = {}, []
    for event in nemesis_events:
        name, at = event["fault"], event["time"] / 1e9
        if event["type"] == "start":
            open_faults.setdefault(name, []).append(at)
        elif event["type"] == "stop" and open_faults.get(name):
            intervals.append((name, open_faults[name].pop(0), at))
    for name, starts in open_faults.items():
        intervals.extend((name, start, end_s) for start in starts)
    return intervals


def _shade(axis, intervals):
    seen = set()
    for name, start, stop in intervals:
        axis.axvspan(start, stop, color=FAULT_COLORS.get(name, "#cccccc"), alpha=0.18,
                     label=None if name in seen else name)
        seen.add(name)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def latency_png(ops, intervals) -> str:
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(11, 4))
    for kind in (OK, FAIL, INFO):
        chosen = [op for op in ops if op.type == kind and op.ret != float("inf")]
        if kind == INFO:  # no completion time: plot at the client timeout instead
            chosen = [op for op in ops if op.type == INFO]
        xs = [op.call / 1e9 for op in chosen]
        ys = [max(0.05, ((op.ret if op.ret != float("inf") else op.call + 5e9) - op.call) / 1e6) for op in chosen]
        axis.scatter(xs, ys, s=4, color=COLORS[kind], label="%s (%d)" % (kind, len(chosen)), alpha=0.7)
    _shade(axis, intervals)
    axis.set_yscale("log")
    axis.set_xlabel("time (s)")
    axis.set_ylabel("latency (ms)")
    axis.set_title("Latency of every operation (info plotted at invocation)")
    axis.legend(loc="upper right", fontsize=8, ncol=3)
    return _png(figure)


def throughput_png(ops, intervals, end_s: float) -> str:
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(11, 3.5))
    seconds = int(end_s) + 1
    for kind in (OK, FAIL, INFO):
        counts = [0] * seconds
        for op in ops:
            if op.type == kind:
                at = op.ret if op.ret != float("inf") else op.call
                bucket = int(at / 1e9)
                if 0 <= bucket < seconds:
                    counts[bucket] += 1
        axis.plot(range(seconds), counts, color=COLORS[kind], label=kind, linewidth=1.2)
    _shade(axis, intervals)
    axis.set_xlabel("time (s)")
    axis.set_ylabel("operations / s")
    axis.set_title("Throughput (completions per second)")
    axis.legend(loc="upper right", fontsize=8, ncol=4)
    return _png(figure)


def subhistory_png(ops) -> str:
    """Bars from invocation to completion per process, for a handful of operations."""
    pyplot = _pyplot()
    processes = sorted({str(op["process"]) for op in ops})
    figure, axis = pyplot.subplots(figsize=(10, 0.6 * len(processes) + 1.2))
    end = max((op["ret"] or op["call"]) for op in ops)
    span = max(end - min(op["call"] for op in ops), 1e6)
    for op in ops:
        row = processes.index(str(op["process"]))
        stop = op["ret"] if op["ret"] is not None else end + (end - op["call"]) * 0.1 + 1e6
        axis.barh(row, max(stop - op["call"], span * 0.01) / 1e6, left=op["call"] / 1e6, height=0.5,
                  color=COLORS.get(op["type"], "#999999"), alpha=0.8)
        axis.text(op["call"] / 1e6, row + 0.3, describe(op), fontsize=7)
    axis.set_yticks(range(len(processes)))
    axis.set_yticklabels(["process %s" % process for process in processes], fontsize=8)
    axis.set_xlabel("time (ms)")
    return _png(figure)


def describe(op) -> str:
    if op["f"] == "read":
        return "read -> %r" % (op["result"],)
    if op["f"] == "cas":
        return "cas %r->%r (%s)" % (op["value"][0], op["value"][1], op["type"])
    return "%s %r (%s)" % (op["f"], op["value"], op["type"])


def _table(rows, header) -> str:
    cells = "".join("<th>%s</th>" % html.escape(str(name)) for name in header)
    body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(str(cell)) for cell in row)
                   for row in rows)
    return "<table><tr>%s</tr>%s</table>" % (cells, body)


def anomaly_section(results) -> str:
    parts = []
    for name, checker in results.get("checkers", {}).items():
        anomaly = checker.get("anomaly") if isinstance(checker, dict) else None
        if anomaly:
            rows = [(op["process"], op["f"], op["value"], op["type"], op["result"],
                     "%.3f" % (op["call"] / 1e9), "" if op["ret"] is None else "%.3f" % (op["ret"] / 1e9), op["node"])
                    for op in anomaly["ops"]]
            parts.append("<h2>Anomaly: smallest failing sub-history of key %s (%d ops)</h2>"
                         % (html.escape(anomaly["key"]), len(anomaly["ops"])))
            parts.append(_table(rows, ("process", "f", "value", "type", "result", "invoked s", "completed s", "node")))
            parts.append('<img src="data:image/png;base64,%s">' % subhistory_png(anomaly["ops"]))
        examples = checker.get("anomalies") if isinstance(checker, dict) else None
        if examples:
            parts.append("<h2>%s anomalies</h2><pre>%s</pre>" % (
                html.escape(name), html.escape(json.dumps(examples, indent=1, default=str)[:20000])))
    return "\n".join(parts)


def write_report(store: str, events, results):
    ops = pair_ops(events)
    nemesis_path = os.path.join(store, "nemesis.jsonl")
    nemesis_events = read_jsonl(nemesis_path) if os.path.exists(nemesis_path) else []
    end_s = max([event["time"] for event in events] + [0]) / 1e9
    intervals = fault_intervals(nemesis_events, end_s)
    shards = results.get("shards")
    if isinstance(shards, dict):  # the per-key map is in results.json; here the totals
        shards = {key: value for key, value in shards.items() if key != "key_shards"}
    summary = [(key, json.dumps(shards if key == "shards" else results.get(key), default=str)) for key in (
        "valid", "workload", "nodes", "shards", "nemeses_run", "nemeses_skipped", "nemeses_unsupported",
        "faults", "unsafe_stale_reads", "time_s", "clients", "rate", "ops", "ok", "fail", "indeterminate",
        "seed")]
    verdict = {True: "valid", False: "INVALID"}.get(results["valid"], "unknown")
    page = """<!doctype html><html><head><meta charset="utf-8"><title>jepsen %s: %s</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left}pre{background:#f6f6f6;padding:1em;
overflow:auto;font-size:12px}.v{font-size:2em;font-weight:bold}</style></head><body>
<h1>%s under %s</h1><p class="v">%s</p>%s
<h2>Latency</h2><img src="data:image/png;base64,%s">
<h2>Throughput</h2><img src="data:image/png;base64,%s">
<h2>Faults</h2>%s
%s
<h2>Checkers</h2><pre>%s</pre></body></html>""" % (
        html.escape(results["workload"]), verdict, html.escape(results["workload"]),
        html.escape(", ".join(results.get("nemeses_run") or ["no faults"])), verdict,
        _table(summary, ("", "")), latency_png(ops, intervals), throughput_png(ops, intervals, end_s),
        _table([(name, "%.1f" % start, "%.1f" % stop) for name, start, stop in intervals],
               ("fault", "start s", "stop s")),
        anomaly_section(results),
        html.escape(json.dumps(results.get("checkers"), indent=1, default=str)[:200000]))
    with open(os.path.join(store, "report.html"), "w") as handle:
        handle.write(page)

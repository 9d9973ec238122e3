"""Prometheus /metrics of a real server: command counters and latency histograms, clients,
keys per database, Raft term / commit / applied index and group-commit batching."""
import re
import time
import urllib.request

import pytest

from tests.conftest import free_port

SCRAPE_TIMEOUT_S = 10


@pytest.fixture
def metrics_server(server_factory):
    port = free_port()
    server = server_factory(extra_args=["--metrics-port", str(port)])
    server.metrics_port = port
    return server


def scrape(port: int) -> str:
    deadline = time.monotonic() + SCRAPE_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as response:
                assert response.status == 200
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def sample(text: str, name: str, labels: str = "") -> float:
    """The value of one sample, e.g. sample(text, "spinelraft_keys", 'db="0"')."""
    pattern = r"^%s%s (\S+)$" % (re.escape(name), re.escape("{%s}" % labels) if labels else r"(?:\{[^}]*\})?")
    found = re.search(pattern, text, re.MULTILINE)
    assert found, "no sample %s{%s} in /metrics" % (name, labels)
    return float(found.group(1))


def test_metrics_endpoint(metrics_server):
    client = metrics_server.client()
    for index in range(20):
        client.set("m:%d" % index, index)
    client.get("m:1")
    client.select(2)
    client.set("in-db-2", 1)
    pipe = client.pipeline(transaction=False)
    for index in range(200):
        pipe.execute_command("INCR", "counter")  # redis-py's incr() sends INCRBY
    pipe.execute()
    text = scrape(metrics_server.metrics_port)
    assert sample(text, "spinelraft_commands_total", 'command="set"') == 21
    assert sample(text, "spinelraft_commands_total", 'command="get"') == 1
    assert sample(text, "spinelraft_commands_total", 'command="incr"') == 200
    assert sample(text, "spinelraft_command_latency_seconds_bucket", 'command="set",le="+Inf"') == 21
    assert sample(text, "spinelraft_command_latency_seconds_count", 'command="set"') == 21
    assert sample(text, "spinelraft_connected_clients") >= 1
    assert sample(text, "spinelraft_keys", 'db="0"') == 20
    assert sample(text, "spinelraft_keys", 'db="2"') == 2
    assert sample(text, "spinelraft_raft_term", 'shard="0"') >= 1
    commit = sample(text, "spinelraft_raft_commit_index", 'shard="0"')
    applied = sample(text, "spinelraft_raft_applied_index", 'shard="0"')
    assert commit >= applied >= 2  # 221 writes, batched into far fewer entries
    assert sample(text, "spinelraft_raft_commands_per_entry", 'shard="0"') > 1  # pipelined writes shared entries
    client.close()


def test_latency_buckets_are_cumulative(metrics_server):
    client = metrics_server.client()
    for index in range(50):
        client.set("k%d" % index, "v")
    client.close()
    text = scrape(metrics_server.metrics_port)
    buckets = re.findall(r'^spinelraft_command_latency_seconds_bucket\{command="set",le="([^"]+)"\} (\S+)$',
                         text, re.MULTILINE)
    assert len(buckets) >= 10
    counts = [float(count) for _, count in buckets]
    assert counts == sorted(counts) and counts[-1] == 50
    assert buckets[-1][0] == "+Inf"


def test_metrics_follow_the_server(metrics_server):
    client = metrics_server.client()
    before = scrape(metrics_server.metrics_port)
    extra = [metrics_server.client() for _ in range(3)]
    for other in extra:
        other.ping()
    during = scrape(metrics_server.metrics_port)
    assert sample(during, "spinelraft_connected_clients") >= sample(before, "spinelraft_connected_clients") + 3
    client.flushall()
    after = scrape(metrics_server.metrics_port)
    assert not re.search(r'^spinelraft_keys\{db="0"\} [1-9]', after, re.MULTILINE)
    for other in extra:
        other.close()
    client.close()

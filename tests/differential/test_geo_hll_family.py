"""Differential tests of the geo and HyperLogLog families: random sequences, redis-server vs
SpinelRaft, every reply compared (errors by their full text).

Geo runs over RESP2 only: SpinelRaft sends coordinates (WITHCOORD, GEOPOS) as bulk strings, which
is what Redis sends in RESP2, while Redis 7.0 sends RESP3 doubles. HyperLogLog runs over both.
SPINELRAFT_DIFF_EXAMPLES=<n> sets the example count.
"""
import os

from hypothesis import HealthCheck, Phase, given, note, settings

from tests.differential.geo_hll_strategies import geo_sequences, hll_sequences
from tests.differential.harness import run_pair, show

EXAMPLES = int(os.environ.get("SPINELRAFT_DIFF_EXAMPLES", "60"))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]


def _note_reply(argv, expected, actual):
    marker = "  " if expected == actual else "!!"
    note("%s %s\n     redis-server: %r\n     spinelraft:   %r"
         % (marker, show(argv), expected, actual))


def check(targets, commands):
    reference, candidate = targets
    mismatch = run_pair(reference, candidate, commands, on_reply=_note_reply)
    if mismatch is not None:
        raise AssertionError(mismatch.describe())


def _settings(examples):
    return settings(max_examples=examples, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@_settings(EXAMPLES)
@given(commands=geo_sequences)
def test_geo_match_redis(resp2_targets, commands):
    check(resp2_targets, commands)


@_settings(EXAMPLES)
@given(commands=hll_sequences)
def test_hyperloglog_match_redis(resp2_targets, commands):
    check(resp2_targets, commands)


@_settings(max(1, EXAMPLES // 2))
@given(commands=hll_sequences)
def test_hyperloglog_match_redis_resp3(resp3_targets, commands):
    check(resp3_targets, commands)

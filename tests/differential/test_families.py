"""Differential tests: random command sequences per family, redis-server vs SpinelRaft.

Each family runs over redis-py (RESP2) and over a raw RESP3 socket.  Every reply is compared
(errors by their full text); a failure prints the shrunk sequence, the command that differs and
both replies.  SPINELRAFT_DIFF_EXAMPLES=<n> sets the RESP2 example count (RESP3 runs half).
"""
import os

from hypothesis import HealthCheck, Phase, given, note, settings

from tests.differential.harness import run_pair, show
from tests.differential.strategies import FAMILIES

RESP2_EXAMPLES = int(os.environ.get("SPINELRAFT_DIFF_EXAMPLES", "100"))
RESP3_EXAMPLES = max(1, RESP2_EXAMPLES // 2)
# No "explain" phase: it replays a failing example hundreds of times for little extra insight.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]


def _note_reply(argv, expected, actual):
    marker = "  " if expected == actual else "!!"
    note("%s %s\n     redis-server: %r\n     spinelraft:   %r"
         % (marker, show(argv), expected, actual))


def check_sequence(targets, commands):
    reference, candidate = targets
    mismatch = run_pair(reference, candidate, commands, on_reply=_note_reply)
    if mismatch is not None:
        raise AssertionError(mismatch.describe())


def _family_test(family, fixture, examples):
    """A test of one family in one dialect, named for both (hypothesis keys its database on it)."""
    def test(request, commands):
        check_sequence(request.getfixturevalue(fixture), commands)

    test.__name__ = test.__qualname__ = "test_%s_%s" % (family, fixture)
    test = given(commands=FAMILIES[family])(test)
    return settings(max_examples=examples, deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])(test)


test_strings_match_redis = _family_test("strings", "resp2_targets", RESP2_EXAMPLES)
test_keys_match_redis = _family_test("keys", "resp2_targets", RESP2_EXAMPLES)
test_lists_match_redis = _family_test("lists", "resp2_targets", RESP2_EXAMPLES)
test_hashes_match_redis = _family_test("hashes", "resp2_targets", RESP2_EXAMPLES)
test_sets_match_redis = _family_test("sets", "resp2_targets", RESP2_EXAMPLES)
test_zsets_match_redis = _family_test("zsets", "resp2_targets", RESP2_EXAMPLES)
test_bitmaps_match_redis = _family_test("bitmaps", "resp2_targets", RESP2_EXAMPLES)
test_transactions_match_redis = _family_test("transactions", "resp2_targets", RESP2_EXAMPLES)
test_mixed_match_redis = _family_test("mixed", "resp2_targets", RESP2_EXAMPLES)

test_strings_match_redis_resp3 = _family_test("strings", "resp3_targets", RESP3_EXAMPLES)
test_keys_match_redis_resp3 = _family_test("keys", "resp3_targets", RESP3_EXAMPLES)
test_lists_match_redis_resp3 = _family_test("lists", "resp3_targets", RESP3_EXAMPLES)
test_hashes_match_redis_resp3 = _family_test("hashes", "resp3_targets", RESP3_EXAMPLES)
test_sets_match_redis_resp3 = _family_test("sets", "resp3_targets", RESP3_EXAMPLES)
test_zsets_match_redis_resp3 = _family_test("zsets", "resp3_targets", RESP3_EXAMPLES)
test_bitmaps_match_redis_resp3 = _family_test("bitmaps", "resp3_targets", RESP3_EXAMPLES)
test_transactions_match_redis_resp3 = _family_test("transactions", "resp3_targets",
                                                   RESP3_EXAMPLES)
test_mixed_match_redis_resp3 = _family_test("mixed", "resp3_targets", RESP3_EXAMPLES)

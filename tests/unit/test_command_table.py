"""The one command table: every consumer reads it, so its records must be complete."""
import os
import subprocess
import sys

import spinelraft.node.commands  # noqa: F401
import spinelraft.statemachine.commands  # noqa: F401
from spinelraft.command_table import COMMANDS, WRITE

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_command_is_described():
    for name, spec in COMMANDS.items():
        assert spec.summary, name
        assert spec.arity != 0, name
        assert spec.kind in ("data", "server"), name
        assert spec.acl_categories, name


def test_writes_are_data_commands_with_keys_or_flush():
    for name, spec in COMMANDS.items():
        if WRITE in spec.flags:
            assert spec.kind == "data", name


def test_key_extraction_matches_redis_examples():
    assert COMMANDS[b"mset"].keys([b"MSET", b"a", b"1", b"b", b"2"]) == [b"a", b"b"]
    assert COMMANDS[b"del"].keys([b"DEL", b"a", b"b"]) == [b"a", b"b"]
    assert COMMANDS[b"get"].keys([b"GET", b"k"]) == [b"k"]
    assert COMMANDS[b"ping"].keys([b"PING"]) == []


def test_generated_command_docs_are_current():
    result = subprocess.run([sys.executable, os.path.join(REPO, "docs", "gen_commands.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

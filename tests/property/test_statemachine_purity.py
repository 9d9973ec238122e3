"""Static checks that spinelraft/statemachine stays a pure, deterministic core.

Every module under spinelraft/statemachine/ is parsed with ast and must not:
  * import the clock, randomness, the OS, threads, the network or the Raft library
    (time, random, os, threading, asyncio, socket, subprocess, pysyncobj, grpc);
  * call the builtin hash(), whose value for bytes and str depends on PYTHONHASHSEED;
  * iterate over a set built with set(...), frozenset(...), a {a, b} literal or a set
    comprehension: the iteration order of such a set depends on the hash seed.
"""
import ast
import pathlib

import pytest

import spinelraft.statemachine

PACKAGE_DIR = pathlib.Path(spinelraft.statemachine.__file__).parent
FORBIDDEN_MODULES = frozenset({
    "time", "random", "os", "threading", "asyncio", "socket", "subprocess", "pysyncobj", "grpc",
})
SET_CONSTRUCTORS = frozenset({"set", "frozenset"})
# Calls whose result depends on the order in which they iterate their first argument.
ORDER_SENSITIVE_CALLS = frozenset({
    "list", "tuple", "iter", "next", "enumerate", "zip", "reversed", "map", "filter",
    "fromkeys", "join", "extend", "update", "deque", "bytes", "bytearray", "dict",
})


def module_paths() -> list:
    return sorted(PACKAGE_DIR.rglob("*.py"))


def is_set_expression(node) -> bool:
    if isinstance(node, (ast.Set, ast.SetComp)):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in SET_CONSTRUCTORS)


def call_name(node: ast.Call):
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def violations_in(source: str, filename: str = "<source>") -> list:
    """(line, description) of every rule broken in the source."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        line = getattr(node, "lineno", 0)
        for module in imported_modules(node):
            if module.split(".")[0] in FORBIDDEN_MODULES:
                found.append((line, "imports %s" % module))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "hash"):
            found.append((line, "calls hash()"))
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and is_set_expression(
                node.iter):
            found.append((line, "iterates over a set"))
        if (isinstance(node, ast.Call) and call_name(node) in ORDER_SENSITIVE_CALLS
                and any(is_set_expression(argument) for argument in node.args)):
            found.append((line, "passes a set to %s()" % call_name(node)))
        if isinstance(node, ast.Starred) and is_set_expression(node.value):
            found.append((line, "unpacks a set"))
    return sorted(found)


def test_the_package_has_modules_to_check():
    names = {path.name for path in module_paths()}
    assert {"machine.py", "snapshot.py", "database.py", "context.py"} <= names
    assert any(path.parent.name == "commands" for path in module_paths())


@pytest.mark.parametrize("path", module_paths(),
                         ids=lambda path: str(path.relative_to(PACKAGE_DIR)))
def test_statemachine_module_is_pure(path):
    problems = violations_in(path.read_text(encoding="utf-8"), str(path))
    assert not problems, "\n".join("%s:%d: %s" % (path, line, what) for line, what in problems)


@pytest.mark.parametrize("source, expected", [
    ("import time", "imports time"),
    ("import os.path", "imports os.path"),
    ("from random import randint", "imports random"),
    ("from asyncio import sleep", "imports asyncio"),
    ("import pysyncobj.syncobj", "imports pysyncobj.syncobj"),
    ("from grpc import aio", "imports grpc"),
    ("x = hash(b'k')", "calls hash()"),
    ("for m in set(members):\n    pass", "iterates over a set"),
    ("for m in {a, b}:\n    pass", "iterates over a set"),
    ("out = [m for m in frozenset(xs)]", "iterates over a set"),
    ("out = [m for m in {x for x in xs}]", "iterates over a set"),
    ("out = list(set(xs))", "passes a set to list()"),
    ("out = b''.join(set(xs))", "passes a set to join()"),
    ("out = dict.fromkeys(set(xs))", "passes a set to fromkeys()"),
    ("out = [*set(xs)]", "unpacks a set"),
])
def test_checker_reports_each_forbidden_pattern(source, expected):
    assert [what for _, what in violations_in(source)] == [expected]


@pytest.mark.parametrize("source", [
    "from spinelraft.statemachine.prng import Prng",
    "import marshal\nimport hashlib",
    "present = member in set(xs)",
    "out = sorted(set(xs))",
    "count = len({a, b})",
    "for m in sorted(set(xs)):\n    pass",
    "value = obj.hash(b'k')",
    "from . import glob",
])
def test_checker_allows_order_free_uses(source):
    assert violations_in(source) == []

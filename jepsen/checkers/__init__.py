"""Checkers: each takes paired operations (jepsen.history.Op) and returns a dict with at least
"valid": True, False or "unknown" (a search that ran out of time, or nothing to judge)."""


def merge_validity(values) -> object:
    """False if any is False; else "unknown" if any is unknown; else True."""
    values = list(values)
    if any(value is False for value in values):
        return False
    if any(value != True for value in values):  # noqa: E712 - "unknown" is truthy
        return "unknown"
    return True

"""Warden: a Redis-Sentinel-compatible endpoint for a SpinelRaft cluster (see docs/warden.md)."""

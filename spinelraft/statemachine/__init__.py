"""The deterministic state machine (pure: no clock, randomness, network or threads)."""

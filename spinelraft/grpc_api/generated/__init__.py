"""Code generated from proto/spinelraft/v1/spinelraft.proto by `make proto`; do not edit."""

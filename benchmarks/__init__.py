"""Benchmarks: scripts that print figures (quoted in the README)."""

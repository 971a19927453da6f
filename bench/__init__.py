"""Benchmarks that print figures (`make bench`); the figures and commands are kept in docs/benchmarks.md."""

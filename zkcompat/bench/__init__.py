"""Benchmarks. Each prints figures measured side by side in one run; none is a test."""

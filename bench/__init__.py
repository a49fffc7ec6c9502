"""Benchmarks: time and memory figures for each pipeline stage, run with `make bench`."""

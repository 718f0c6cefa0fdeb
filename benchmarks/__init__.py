"""Benchmark scripts: each prints its figure from one run (see docs/benchmarks.md).

Run them from the repository root as modules, e.g.
``python -m benchmarks.bench_engine_overhead --threads 1``.
"""

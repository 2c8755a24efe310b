"""Benchmarks: `python -m benchmarks` prints the tables. Ratios are taken within one run (medians of
interleaved repeats), because absolute times on a shared 2-core machine move by ±30 % between runs."""

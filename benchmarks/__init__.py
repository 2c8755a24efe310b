"""Benchmarks: `python -m benchmarks` (see benchmarks/__main__.py) times tinygrad_lr against PyTorch (when
importable) and the bare-NumPy limit, each framework in its own worker process (benchmarks/worker.py).
PyTorch is imported by benchmarks/torch_impl.py alone, in the torch worker alone: never by the library or the
tests (`pip install -e ".[bench]"` installs it)."""

import os
import pathlib

import numpy as np
import pytest

import tinygrad_lr as tl

import helpers

SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _seed():
    tl.manual_seed(0)
    helpers.reset_rng()  # the op tests' generator (tests/helpers.py), rewound for every test
    yield


@pytest.fixture
def cpu_default(monkeypatch):
    """Tensors made without a device go to the CPU, also when the suite runs with TINYGRAD_LR_DEVICE=cuda (for
    tests about the CPU itself, CPU <-> GPU transfers, or a missing CuPy)."""
    monkeypatch.setattr(tl.backend, "_default", ["cpu"])


def pytest_collection_modifyitems(config, items):
    if tl.cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU and CuPy")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)


def shared_data_root():
    """Real MNIST / Fashion-MNIST for offline machines: $TINYGRAD_LR_DATA or ../shared/data, if present."""
    env = os.environ.get("TINYGRAD_LR_DATA")
    for p in ([pathlib.Path(env)] if env else []) + [SHARED_DATA]:
        if (p / "mnist").is_dir():
            return p
    return None

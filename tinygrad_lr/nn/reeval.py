"""Evaluating a model again as the same function of its parameters.

A training-mode forward pass has two side effects besides its output: BatchNorm moves its running statistics
(and `num_batches_tracked`), and Dropout draws a mask from the device's generator. A method that evaluates the
loss a second time on the same batch (LOSSGRAD's loss after the step) or a loss that is not the training step's
(a validation closure) must not move the running statistics, and a second evaluation must see the same dropout
masks as the first:

    snap = nn.rng_snapshot()               # before the first evaluation
    loss = closure()                       # the training step's evaluation: updates running stats, draws masks
    ...
    with nn.reevaluate(snap):              # the same function: the generators rewound to `snap` (same masks),
        again = closure()                  # running statistics left alone; the generators restored on exit

    with nn.frozen_running_stats():        # e.g. a validation loss in training mode: batch statistics are used,
        val = val_closure()                # running statistics not updated

Both nest, and both leave the modules' training flags alone (BatchNorm still normalises with the batch's
statistics in training mode).
"""
from contextlib import contextmanager

from .. import backend

_frozen = [0]


def running_stats_frozen():
    """True inside frozen_running_stats() / reevaluate(): BatchNorm then leaves its running statistics alone."""
    return _frozen[0] > 0


@contextmanager
def frozen_running_stats():
    """Inside, BatchNorm layers in training mode normalise with the batch's statistics as usual but do not update
    running_mean, running_var or num_batches_tracked."""
    _frozen[0] += 1
    try:
        yield
    finally:
        _frozen[0] -= 1


def _devices():
    return sorted(set(backend.rng_devices()) | {backend.get_default_device()})


def rng_snapshot():
    """The random generators' states (every device in use, and the default one), for reevaluate()."""
    return {d: backend.rng_state(d) for d in _devices()}


def _restore(snapshot):
    for d, st in snapshot.items():
        backend.set_rng_state(st, d)


@contextmanager
def reevaluate(snapshot=None):
    """Evaluate again the function whose evaluation began at rng_snapshot() `snapshot`: the generators are rewound
    to it on entry (so Dropout draws the same masks) and put back as they were on exit, and the running
    statistics are frozen (frozen_running_stats). snapshot=None: only freeze the running statistics."""
    after = rng_snapshot() if snapshot is not None else None
    if snapshot is not None:
        _restore(snapshot)
    try:
        with frozen_running_stats():
            yield
    finally:
        if after is not None:
            _restore(after)

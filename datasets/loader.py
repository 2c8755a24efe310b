"""Mini-batches as Tensors, with reproducible and resumable shuffling, and a seeded train/validation split."""
import numpy as np

from tinygrad_lr import Tensor, backend


def _as_numpy(a):
    return a.numpy() if isinstance(a, Tensor) else np.asarray(a)


class DataLoader:
    """Iterate (X_batch, y_batch) Tensors on `device` (default: the default device; X_batch alone when y is None).
    Integer (and bool) targets come as int64 class indices; floating targets (regression) keep their dtype.

    With shuffle, epoch e's order is a permutation drawn from a generator seeded by (seed, e), so it differs
    every epoch, is the same for the same seed, and is restored exactly by load_state_dict(), mid-epoch too.
    seed=None draws the seed from tinygrad_lr's CPU generator, so tinygrad_lr.manual_seed() fixes it.
    A pass abandoned part-way (e.g. next(iter(loader))) counts as an epoch: the next iter() starts a fresh one.

    Args:
        X: the inputs (an array or a Tensor), samples along dim 0.
        y: the targets, as many as X's samples, or None.
        batch_size: samples per batch.
        shuffle: a new order every epoch (see above); False: in order.
        seed: the shuffling seed (None: drawn from tinygrad_lr's CPU generator).
        drop_last: drop a last, smaller batch.
        device: where the batches go (None: the default device).
    """

    def __init__(self, X, y=None, batch_size=128, shuffle=False, seed=None, drop_last=False, device=None):
        self.X = _as_numpy(X)
        self.y = None if y is None else _as_numpy(y)
        if self.y is not None and len(self.X) != len(self.y):
            raise ValueError(f"X and y have different lengths: len(X) = {len(self.X)}, len(y) = {len(self.y)}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.device = backend.canonical_device(device)
        # below 2**63 so the whole state fits an int64 in a .npz checkpoint
        self.seed = int(backend.rng("cpu").integers(2**63)) if seed is None else int(seed)
        self.epoch, self.batch, self._resumed = 0, 0, False
        self._ydtype = None if self.y is None or self.y.dtype.kind == "f" else np.int64

    def __len__(self):
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def order(self, epoch):
        """Sample indices of `epoch`, in the order they are served."""
        if not self.shuffle:
            return np.arange(len(self.X))
        return np.random.default_rng([self.seed, int(epoch)]).permutation(len(self.X))

    def __iter__(self):
        if self.batch > 0 and not self._resumed:  # the previous pass was abandoned part-way
            self.epoch, self.batch = self.epoch + 1, 0
        self._resumed = False
        epoch, idx, nb, b = self.epoch, self.order(self.epoch), len(self), self.batch_size
        for i in range(self.batch, nb):
            # advance before yielding, so a state_dict() taken while this batch is used resumes after it
            self.epoch, self.batch = (epoch + 1, 0) if i + 1 == nb else (epoch, i + 1)
            sel = idx[i * b:(i + 1) * b]
            xb = Tensor(self.X[sel], device=self.device)
            yield xb if self.y is None else (xb, Tensor(self.y[sel], device=self.device, dtype=self._ydtype))

    def state_dict(self):
        """{'seed', 'epoch', 'batch'}: plain ints (batch = batches of `epoch` already served)."""
        return {"seed": self.seed, "epoch": self.epoch, "batch": self.batch}

    def load_state_dict(self, state):
        """Resume where state_dict() was taken (state: what it returned): the next iter() serves the rest of that
        epoch."""
        self.seed, self.epoch, self.batch = (int(state[k]) for k in ("seed", "epoch", "batch"))
        self._resumed = True


def train_val_split(X, y, val_size=0.1, seed=0):
    """Random disjoint split of the arrays X and y: ((X_train, y_train), (X_val, y_val)); val_size is a count or a
    fraction in (0, 1); the permutation comes from NumPy's generator seeded with seed."""
    X, y = _as_numpy(X), _as_numpy(y)
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: len(X) = {n}, len(y) = {len(y)}")
    if isinstance(val_size, (float, np.floating)):
        if not 0.0 < val_size < 1.0:
            raise ValueError(f"a fractional val_size must be in (0, 1), got {val_size}")
        n_val = int(round(val_size * n))
    else:
        n_val = int(val_size)
    if not 0 < n_val < n:
        raise ValueError(f"val_size gives {n_val} validation samples out of {n}; need between 1 and {n - 1}")
    perm = np.random.default_rng(seed).permutation(n)
    tr, va = np.sort(perm[n_val:]), np.sort(perm[:n_val])  # sorted: keep the original order within each part
    return (X[tr], y[tr]), (X[va], y[va])

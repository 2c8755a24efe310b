"""CIFAR-10 and CIFAR-100 (Krizhevsky 2009, "Learning multiple layers of features from tiny images", technical
report, University of Toronto) from the canonical python-pickle tarballs, read with a restricted unpickler."""
import builtins
import codecs
import pickle

import numpy as np

from .download import DatasetError, data_root, extract_tar, fetch
from .mnist import check_split

_ARR = np.zeros(1)


def _latin1_encode(text, encoding):
    """How Python 3 writes bytes with pickle protocol 2; any other codec is refused."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


# Everything a pickled dict of uint8 arrays, int lists and byte/str names can need, and nothing else. The
# objects are taken from live numpy rather than imported by name, so numpy.core (numpy 1.x, the files' own
# name) and numpy._core (numpy 2.x) both resolve to them.
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
    **{(mod, "_reconstruct"): _ARR.__reduce__()[0] for mod in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(mod, "scalar"): np.float64(0).__reduce__()[0] for mod in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(mod, "_frombuffer"): _ARR.__reduce_ex__(5)[0] for mod in ("numpy.core.numeric", "numpy._core.numeric")},
    **{(mod, name): getattr(builtins, name) for mod in ("builtins", "__builtin__")
       for name in ("dict", "list", "tuple", "set", "frozenset", "bytes", "bytearray", "str", "int", "float",
                    "complex", "bool")},
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy array/dtype reconstruction and plain builtin types; constructed as
    pickle.Unpickler (a binary file and its options)."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}: CIFAR files only need numpy "
                                         f"arrays and builtin types, so this file is not a CIFAR batch") from None


def load_pickle(path):
    """A CIFAR batch as a dict with str keys (the files come from Python 2: its str keys decode as latin-1)."""
    with open(path, "rb") as f:
        obj = RestrictedUnpickler(f, encoding="latin1").load()
    if not isinstance(obj, dict):
        raise DatasetError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


# Where each set lives under the data root, where it comes from, and its files per split.
_SETS = {
    "cifar10": dict(folder="cifar10", archive="cifar-10-python.tar.gz", top="cifar-10-batches-py",
                    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                    files={"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}),
    "cifar100": dict(folder="cifar100", archive="cifar-100-python.tar.gz", top="cifar-100-python",
                     url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                     sha256="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                     files={"train": ["train"], "test": ["test"]}),
}
# Per-channel training-set statistics of the real datasets (pixel values / 255).
CIFAR10_MEAN, CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR100_MEAN, CIFAR100_STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _read_batches(tree, names, label_key):
    xs, ys = [], []
    for f in names:
        batch = load_pickle(tree / f)
        if "data" not in batch or label_key not in batch:
            raise DatasetError(f"{tree / f}: no 'data' or {label_key!r} in the batch (keys {sorted(batch)})")
        data, labels = np.asarray(batch["data"]), np.asarray(batch[label_key])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
            raise DatasetError(f"{tree / f}: expected uint8 data (N, 3072) and N labels, got data "
                               f"{data.dtype} {data.shape} and {len(labels)} labels")
        xs.append(data.reshape(-1, 3, 32, 32))
        ys.append(labels.astype(np.int64))
    return xs, ys


def _damaged(e):
    """A batch file that is cut short or garbled (not one that asks for a forbidden global: that is refused)."""
    if isinstance(e, pickle.UnpicklingError):
        return not str(e).startswith("refusing")
    return isinstance(e, (EOFError, DatasetError, ValueError, KeyError, IndexError, TypeError, OSError))


def _load(which, root, split, download, normalize, label_key, mean, std):
    info = _SETS[which]
    files = info["files"]
    check_split(split, tuple(files))
    d = data_root(root, info["folder"]) / info["folder"]
    tree = d / info["top"]

    def repair():  # (re-)extract the tree from the verified archive, replacing a missing or damaged one
        tar = fetch([info["url"]], d / info["archive"], sha256=info["sha256"], download=download)
        return extract_tar(tar, d, info["top"], replace=True)
    if not all((tree / f).is_file() for f in files[split]):
        tree = repair()
        missing = [f for f in files[split] if not (tree / f).is_file()]
        if missing:
            raise DatasetError(f"{d / info['archive']} has no {', '.join(missing)} in {info['top']}/")
    try:
        xs, ys = _read_batches(tree, files[split], label_key)
    except Exception as e:
        if not _damaged(e):
            raise
        tree = repair()  # a truncated or garbled batch file: extract it again from the verified archive
        try:
            xs, ys = _read_batches(tree, files[split], label_key)
        except Exception as e2:
            if not _damaged(e2):
                raise
            raise DatasetError(f"{which}: a batch file under {tree} cannot be read even from a fresh extraction of "
                               f"the verified archive ({type(e2).__name__}: {e2})") from None
    X = np.concatenate(xs).astype(np.float32) / np.float32(255)
    if normalize:
        X = (X - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(std, np.float32)[:, None, None]
    return X, np.concatenate(ys)


def load_cifar10(root=None, split="train", download=True, normalize=False):
    """CIFAR-10 as (X float32 (N, 3, 32, 32) in [0, 1], y int64 in 0..9); normalize: per-channel mean/std.
    root: the data root (None: $TINYGRAD_LR_DATA, else ~/.cache/tinygrad_lr); split: "train" or "test"; download: fetch
    missing files (False: only use what is there, else DatasetNotFoundError)."""
    return _load("cifar10", root, split, download, normalize, "labels", CIFAR10_MEAN, CIFAR10_STD)


def load_cifar100(root=None, split="train", download=True, normalize=False, label="fine"):
    """CIFAR-100 as load_cifar10 (root, split, download and normalize the same), with label="fine" (100
    classes) or "coarse" (20 superclasses)."""
    if label not in ("fine", "coarse"):
        raise ValueError(f"unknown label {label!r}; valid labels are 'fine', 'coarse'")
    return _load("cifar100", root, split, download, normalize, f"{label}_labels", CIFAR100_MEAN, CIFAR100_STD)

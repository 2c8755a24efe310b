"""Output folders, JSON (NumPy scalars and arrays included) and CSV, written atomically: a reader (or a run that
was stopped mid-write) sees the old file or the new one, never half of one."""
import contextlib
import csv
import json
import os
import tempfile

import numpy as np


def out_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_open(path, mode="w", **kwargs):
    """open() for writing `path` atomically: a temp file in the same folder, fsync, rename over `path` (as
    tinygrad_lr.checkpoint.save does for .npz). On an exception the temp file is removed and `path` is untouched."""
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{name}.{os.getpid()}.", dir=folder)
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the permissions open() would
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path, obj):
    with atomic_open(path, "w") as f:
        json.dump(obj, f, indent=1, default=_jsonable)


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def write_csv(path, rows):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with atomic_open(path, "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)

"""Checkpoints as .npz without pickle: arrays go in as arrays, everything else (nesting, ints, floats,
strings, RNG states) as one JSON document. Written atomically: a temp file in the same folder, fsync, rename.
The temp file is named `.tmp-<checkpoint name>.<pid>.<random>.npz`; one left behind by a writer that was killed
(kill -9: no cleanup runs) is removed by the next save of the same checkpoint once its process is gone."""
import json
import os
import tempfile
import zipfile

import numpy as np

from .tensor import Tensor

_META = "__meta__"
_TMP = ".tmp-"


def _encode(obj, key, arrays):
    if isinstance(obj, Tensor):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray) or (isinstance(obj, np.generic) and not isinstance(obj, np.bool_)):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(obj)
        return {"__array__": name}
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {"__dict__": {k: _encode(v, f"{key}/{k}", arrays) for k, v in obj.items()}}
        return {"__items__": [[_encode(k, key, arrays), _encode(v, f"{key}/{k}", arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"__list__" if isinstance(obj, list) else "__tuple__":
                [_encode(v, f"{key}/{i}", arrays) for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"checkpoint: cannot store {key or 'value'} of type {type(obj).__name__}")


def _decode(obj, arrays):
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__dict__" in obj:
            return {k: _decode(v, arrays) for k, v in obj["__dict__"].items()}
        if "__items__" in obj:
            return {_decode(k, arrays): _decode(v, arrays) for k, v in obj["__items__"]}
        if "__list__" in obj:
            return [_decode(v, arrays) for v in obj["__list__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    return obj


def save(path, state):
    """Write `state`, a nested dict (or list, tuple) of arrays / Tensors / numbers / strings / None, to `path`
    (.npz), atomically: a temporary file in the same folder replaces it only once fully written."""
    arrays = {}
    meta = json.dumps(_encode(state, "", arrays))
    arrays[_META] = np.array(meta)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TMP}{os.path.basename(path)}.{os.getpid()}.", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _alive(pid):
    if pid == os.getpid():
        return True  # another thread of ours may be writing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: leave its file alone
        return True
    return True


def _remove_stale_temporaries(path):
    """Remove the temp files an earlier save() of `path` left when its process was killed mid-write."""
    folder, name = os.path.split(os.path.abspath(path))
    prefix = f"{_TMP}{name}."
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for e in entries:
        if not (e.startswith(prefix) and e.endswith(".npz")):
            continue
        pid = e[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.remove(os.path.join(folder, e))
            except OSError:
                pass


def load(path):
    """Read the checkpoint at `path` written by save() (no pickle is ever loaded): the nested state, arrays as
    NumPy arrays. A ValueError if the file is truncated or not a checkpoint."""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"checkpoint {path!r} cannot be read ({e}); it may be truncated or not a checkpoint") from None
    if _META not in arrays:
        raise ValueError(f"checkpoint {path!r} has no {_META} entry: not written by tinygrad_lr.checkpoint.save")
    return _decode(json.loads(str(arrays.pop(_META))), arrays)

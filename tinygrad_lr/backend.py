"""Array backends: NumPy for "cpu", CuPy for "cuda[:N]".

Every op gets its array module from `xp(device)` and never imports numpy for tensor data itself; the few
places where NumPy and CuPy differ (scatter-add, host transfer, random numbers) live here.
"""
import ctypes
import os
import sys

import numpy as np

_CUDA_HINT = 'install it with: pip install "tinygrad-lr[cuda]"'
_GPU_HINT = ('check the NVIDIA driver (nvidia-smi) and that CuPy matches its CUDA version (pip install '
             '"tinygrad-lr[cuda]" installs cupy-cuda12x)')
_cupy = None
_rngs = {}
_seed = None
_default = ["cpu"]  # where tensors go when no device is given (set_default_device, $TINYGRAD_LR_DEVICE)


def canonical_device(device):
    """'cpu' | 'cuda' | 'cuda:N' -> 'cpu' or 'cuda:N' (None -> the default device); anything else is an error
    naming the value."""
    if device is None:
        return _default[0]
    d = str(device).lower()
    if d == "cpu":
        return "cpu"
    if d == "cuda":
        return "cuda:0"
    if d.startswith("cuda:") and d[5:].isdigit():
        return d
    raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")


def set_default_device(device):
    """Where new tensors go when no device is given: constructors, Tensor(numpy_array), parameters of new
    modules (as torch.set_default_device). The environment variable TINYGRAD_LR_DEVICE sets it at import."""
    dev = canonical_device(device if device is not None else "cpu")
    if dev != "cpu":
        cupy()  # fail now, with the reason, rather than at the first tensor
    _default[0] = dev


def get_default_device():
    return _default[0]


def cupy():
    """Import CuPy and check that a GPU is visible; the error says which of the two is missing."""
    global _cupy
    if _cupy is None:
        try:
            import cupy as cp
        except ImportError as e:
            raise RuntimeError(f"device 'cuda' needs CuPy, which is not installed ({e}); {_CUDA_HINT}") from None
        try:
            n = cp.cuda.runtime.getDeviceCount()
        except Exception as e:  # CuPy is there but the driver/runtime is not
            raise RuntimeError(f"device 'cuda': CuPy is installed but no CUDA GPU is usable ({e}); {_GPU_HINT}") \
                from None
        if n == 0:
            raise RuntimeError(f"device 'cuda': CuPy is installed but no CUDA GPU was found; {_GPU_HINT}")
        _cupy = cp
    return _cupy


def cuda_available():
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def xp(device):
    """The array module for a canonical device string."""
    return np if device == "cpu" else cupy()


def device_of(arr):
    """Canonical device of a raw array (NumPy -> 'cpu', CuPy -> 'cuda:N')."""
    if isinstance(arr, (np.ndarray, np.generic)):
        return "cpu"
    return f"cuda:{arr.device.id}"


def to_device(arr, device):
    """Copy a raw array to `device` (a no-op when it is already there)."""
    if device == "cpu":
        if isinstance(arr, (np.ndarray, np.generic)):
            return np.asarray(arr)
        return cupy().asnumpy(arr)
    cp = cupy()
    with cp.cuda.Device(int(device.split(":")[1])):
        return cp.asarray(arr)


def to_host(arr):
    return to_device(arr, "cpu")


def scatter_add(target, index, values):
    """target[index] += values with repeated indices accumulated (np.add.at / cupy.add.at)."""
    (np.add if isinstance(target, np.ndarray) else cupy().add).at(target, index, values)
    return target


def manual_seed(seed):
    """Seed every device's generator (tinygrad_lr.manual_seed)."""
    global _seed
    _seed = int(seed)
    _rngs.clear()


def rng(device):
    """The per-device random generator (PCG64 on CPU, CuPy's default generator on CUDA)."""
    if device not in _rngs:
        if device == "cpu":
            _rngs[device] = np.random.default_rng(_seed)
        else:
            _rngs[device] = cupy().random.default_rng(_seed)
    return _rngs[device]


def rng_state(device="cpu"):
    """Generator state as plain data (for checkpoints)."""
    return rng(device).bit_generator.state


def set_rng_state(state, device="cpu"):
    rng(device).bit_generator.state = state


def _keep_freed_memory():
    """Keep freed blocks in the heap for reuse. Autodiff frees and reallocates the same MB-sized arrays every
    step; glibc's default unmaps them, so each new array page-faults on first touch, which doubled the cost of
    a 784x512 GEMM output inside a training step. TINYGRAD_LR_MALLOC=default leaves malloc alone."""
    if os.environ.get("TINYGRAD_LR_MALLOC") == "default" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, (1 << 31) - 1)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


_keep_freed_memory()
if os.environ.get("TINYGRAD_LR_DEVICE"):
    set_default_device(os.environ["TINYGRAD_LR_DEVICE"])

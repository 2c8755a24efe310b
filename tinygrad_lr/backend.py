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
    """The device new tensors go to when none is given ("cpu" or "cuda:N"; see set_default_device)."""
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
    """True when CuPy is installed and a CUDA GPU is usable (as torch.cuda.is_available)."""
    try:
        cupy()
        return True
    except RuntimeError:
        return False


def xp(device):
    """The array module for a canonical device string."""
    return np if device == "cpu" else cupy()


def device_of(arr):
    """Canonical device of a raw array arr (NumPy -> 'cpu', CuPy -> 'cuda:N')."""
    if isinstance(arr, (np.ndarray, np.generic)):
        return "cpu"
    return f"cuda:{arr.device.id}"


def to_device(arr, device):
    """Copy a raw array arr to `device`, a canonical device string (a no-op when it is already there)."""
    if device == "cpu":
        if isinstance(arr, (np.ndarray, np.generic)):
            return np.asarray(arr)
        return cupy().asnumpy(arr)
    cp = cupy()
    with cp.cuda.Device(int(device.split(":")[1])):
        return cp.asarray(arr)


def to_host(arr):
    """The raw array arr as a NumPy array (copied from a GPU)."""
    return to_device(arr, "cpu")


def scatter_add(target, index, values):
    """target[index] += values with repeated indices accumulated (np.add.at / cupy.add.at)."""
    (np.add if isinstance(target, np.ndarray) else cupy().add).at(target, index, values)
    return target


def manual_seed(seed):
    """Seed every device's generator with the int seed (tinygrad_lr.manual_seed, as torch.manual_seed): the
    generators restart from it on first use."""
    global _seed
    _seed = int(seed)
    _rngs.clear()


def rng(device):
    """The per-device random generator: NumPy's PCG64 on the CPU, a `CudaRng` on a GPU."""
    if device not in _rngs:
        _rngs[device] = np.random.default_rng(_seed) if device == "cpu" else CudaRng(device, _seed)
    return _rngs[device]


class CudaRng:
    """Random numbers on a GPU with a state that can be saved. CuPy's generators cannot report or restore their
    state, so every draw uses a fresh CuPy generator seeded by (seed, number of draws so far): the state is just
    those two integers. Offers the draws the library uses: random, standard_normal, integers. device: a canonical
    "cuda:N"; seed: an int (entropy for numpy.random.SeedSequence)."""

    def __init__(self, device, seed):
        self.device = device
        self.seed = int(np.random.SeedSequence(seed).entropy % (1 << 63))
        self.draws = 0

    def _next(self):
        cp = cupy()
        seed = int(np.random.SeedSequence([self.seed, self.draws]).generate_state(1, np.uint64)[0] >> 1)
        self.draws += 1
        with cp.cuda.Device(int(self.device.split(":")[1])):
            return cp.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return self._next().random(size, dtype=dtype)

    def standard_normal(self, size=None, dtype=np.float64):
        return self._next().standard_normal(size, dtype=dtype)

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return self._next().integers(low, high, size, dtype=dtype)

    @property
    def state(self):
        return {"seed": self.seed, "draws": self.draws}

    @state.setter
    def state(self, st):
        self.seed, self.draws = int(st["seed"]), int(st["draws"])


def rng_devices():
    """The devices whose generator has been used since the last manual_seed (their states go into checkpoints)."""
    return sorted(_rngs)


def rng_state(device="cpu"):
    """The generator state of `device` as plain data (for checkpoints)."""
    r = rng(device)
    return r.state if isinstance(r, CudaRng) else r.bit_generator.state


def set_rng_state(state, device="cpu"):
    """Restore the generator of `device` to `state`, as rng_state(device) returned it."""
    r = rng(device)
    if isinstance(r, CudaRng):
        r.state = state
    else:
        r.bit_generator.state = state


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

"""Backends: device strings, the CuPy / GPU errors, seeded RNG, scatter-add; CUDA tests (skipped without a GPU)
compare gradcheck / hvp / a small convnet on cuda with cpu."""
import sys
import types

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, backend
from tinygrad_lr.gradcheck import gradcheck, gradgradcheck

INSTALL = r'pip install "tinygrad-lr\[cuda\]"'


@pytest.fixture
def no_cupy(monkeypatch, cpu_default):
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError


def fake_cupy(monkeypatch, get_count):
    monkeypatch.setattr(backend, "_default", ["cpu"])
    mod = types.ModuleType("cupy")
    mod.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count))
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", mod)


@pytest.mark.parametrize("how", ["to", "dot_cuda", "ctor", "zeros", "randn", "to_index"])
def test_cuda_without_cupy_says_install(no_cupy, how):
    x = Tensor(np.ones(3), requires_grad=True)
    fn = {"to": lambda: x.to("cuda"), "dot_cuda": lambda: x.cuda(), "ctor": lambda: Tensor([1.0], device="cuda"),
          "zeros": lambda: Tensor.zeros(2, device="cuda:0"), "randn": lambda: Tensor.randn(2, device="cuda"),
          "to_index": lambda: x.to("cuda:1")}[how]
    with pytest.raises(RuntimeError, match=f"CuPy.*not installed.*{INSTALL}"):
        fn()
    assert not tl.cuda_available()


def test_cuda_with_cupy_but_no_gpu(monkeypatch):
    fake_cupy(monkeypatch, lambda: 0)
    with pytest.raises(RuntimeError, match=f"CuPy is installed but no CUDA GPU was found.*{INSTALL}"):
        Tensor(np.ones(3)).to("cuda")
    assert not tl.cuda_available()


def test_cuda_with_cupy_but_broken_driver(monkeypatch):
    def boom():
        raise OSError("cudaErrorInsufficientDriver")
    fake_cupy(monkeypatch, boom)
    with pytest.raises(RuntimeError, match="no CUDA GPU is usable.*cudaErrorInsufficientDriver.*nvidia-smi"):
        Tensor(np.ones(3)).cuda()
    assert not tl.cuda_available()


@pytest.mark.parametrize("dev", ["tpu", "gpu", "cuda:x", "cuda:", "cpu:0", "mps"])
def test_unknown_device_string(dev):
    with pytest.raises(ValueError, match=f"unknown device '{dev}'.*'cpu', 'cuda' or 'cuda:N'"):
        Tensor([1.0], device=dev)
    with pytest.raises(ValueError, match=f"unknown device '{dev}'"):
        Tensor([1.0]).to(dev)
    with pytest.raises(ValueError, match=f"unknown device '{dev}'"):
        Tensor.ones(2, device=dev)


def test_canonical_devices_and_cpu_round_trip(cpu_default):
    assert backend.canonical_device(None) == "cpu"
    assert backend.canonical_device("CPU") == "cpu"
    assert backend.canonical_device("cuda") == "cuda:0"
    assert backend.canonical_device("cuda:3") == "cuda:3"
    x = Tensor(np.arange(3.0), requires_grad=True, device="cpu")
    assert x.device == "cpu" and x.to("cpu") is x and x.cpu() is x
    assert backend.device_of(np.zeros(2)) == "cpu" and backend.xp("cpu") is np
    y = x.to(dtype=np.float32)
    assert y.dtype == np.float32 and y.device == "cpu"


def test_manual_seed_reproducible_randn_rand_dropout():
    def draw():
        tl.manual_seed(123)
        a = Tensor.randn(3, 4).numpy()
        b = Tensor.rand(5, dtype=np.float64).numpy()
        c = F.dropout(Tensor(np.ones((4, 4))), 0.5).numpy()
        d = Tensor.randn_like(Tensor(np.zeros(2))).numpy()
        return a, b, c, d

    first, second = draw(), draw()
    for u, v in zip(first, second):
        np.testing.assert_array_equal(u, v)
    tl.manual_seed(124)
    assert not np.array_equal(Tensor.randn(3, 4).numpy(), first[0])
    # consecutive draws differ, rand is in [0, 1), randn is roughly standard normal
    tl.manual_seed(0)
    a, b = Tensor.randn(1000).numpy(), Tensor.randn(1000).numpy()
    assert not np.array_equal(a, b) and abs(a.mean()) < 0.15 and 0.85 < a.std() < 1.15
    r = Tensor.rand(1000).numpy()
    assert r.min() >= 0 and r.max() < 1


def test_rng_state_round_trip(cpu_default):
    tl.manual_seed(5)
    state = backend.rng_state("cpu")
    a = Tensor.randn(4).numpy()
    backend.set_rng_state(state, "cpu")
    np.testing.assert_array_equal(Tensor.randn(4).numpy(), a)


def test_scatter_add_accumulates_repeated_indices():
    t = np.zeros(4)
    out = backend.scatter_add(t, np.array([0, 2, 0, 0, 3]), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(out, [8, 0, 2, 5])
    t2 = np.zeros((3, 2))
    backend.scatter_add(t2, (np.array([1, 1, 2]), slice(None)), np.ones((3, 2)))
    np.testing.assert_array_equal(t2, [[0, 0], [2, 2], [1, 1]])


def test_to_host_and_numpy():
    a = np.arange(4.0)
    assert backend.to_host(a) is a or np.array_equal(backend.to_host(a), a)
    x = Tensor(a)
    assert isinstance(x.numpy(), np.ndarray) and np.array_equal(x.numpy(), a)


# ---------------------------------------------------------------- the CUDA code path
# Each CUDA test runs twice: on a real GPU ("real", marked cuda: skipped without a GPU and CuPy) and on a fake
# CuPy ("fake") that keeps arrays in host memory, in a NumPy subclass labelled cuda:0. Like CuPy, the fake refuses
# to mix its arrays with plain NumPy arrays in one operation, so a host array leaking into device code, or a
# device-less constant reaching a cuda op, fails here even on a machine without a GPU.
class FakeCudaArray(np.ndarray):
    device = types.SimpleNamespace(id=0)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _no_host_arrays(ufunc.__name__, inputs + tuple(kwargs.get("out", ())))
        inputs = tuple(x.view(np.ndarray) if isinstance(x, FakeCudaArray) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) for o in kwargs["out"])
        return _dev(getattr(ufunc, method)(*inputs, **kwargs))


def _no_host_arrays(name, args):
    for a in args:
        if type(a) is np.ndarray:
            raise TypeError(f"fake cupy: {name} got a NumPy array (shape {a.shape}) next to device arrays")
        if isinstance(a, (list, tuple)):
            _no_host_arrays(name, a)


def _dev(r):
    if isinstance(r, tuple):
        return tuple(_dev(x) for x in r)
    if isinstance(r, np.generic):  # CuPy reductions give 0-d device arrays, not NumPy scalars
        r = np.asarray(r)
    return r.view(FakeCudaArray) if type(r) is np.ndarray else r


class _FakeRng:
    def __init__(self, seed):
        self.g = np.random.default_rng(seed)

    def standard_normal(self, *a, **k):
        return _dev(np.asarray(self.g.standard_normal(*a, **k)))

    def random(self, *a, **k):
        return _dev(np.asarray(self.g.random(*a, **k)))

    def integers(self, *a, **k):
        return _dev(np.asarray(self.g.integers(*a, **k)))


def _make_fake_cupy():
    mod = types.ModuleType("cupy")
    host_ok = {"asarray", "array", "ascontiguousarray"}  # host -> device copies are allowed, as in CuPy

    def getattr_(name):
        f = getattr(np, name)
        if not callable(f) or isinstance(f, (type, np.ufunc)):  # ufuncs check their inputs in __array_ufunc__
            return f

        def wrapped(*a, **k):
            if name not in host_ok:
                _no_host_arrays(name, a)
            return _dev(np.asarray(f(*a, **k)) if name in host_ok else f(*a, **k))
        return wrapped

    mod.__getattr__ = getattr_
    mod.ndarray = FakeCudaArray
    mod.asnumpy = lambda a: np.array(a).view(np.ndarray)
    mod.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
                                     Device=lambda i: __import__("contextlib").nullcontext())
    mod.random = types.SimpleNamespace(default_rng=_FakeRng)
    return mod


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.cuda)])
def gpu(request, monkeypatch, cpu_default):
    if request.param == "fake":
        fake = _make_fake_cupy()
        orig = backend.device_of
        monkeypatch.setitem(sys.modules, "cupy", fake)
        monkeypatch.setattr(backend, "_cupy", fake)
        monkeypatch.setattr(backend, "_rngs", {})
        monkeypatch.setattr(backend, "device_of",
                            lambda arr: "cuda:0" if isinstance(arr, FakeCudaArray) else orig(arr))
    return "cuda"


def test_fake_cupy_refuses_host_arrays(gpu):
    x = Tensor(np.ones(3), device=gpu)
    assert x.device == "cuda:0" and not type(x.data) is np.ndarray
    if type(x.data) is FakeCudaArray:
        with pytest.raises(TypeError, match="NumPy array"):
            x.data + np.ones(3)
    np.testing.assert_array_equal((x * 2 + 1).numpy(), [3, 3, 3])
    assert type((x * 2).numpy()) is np.ndarray


def test_cuda_round_trip_and_gradient_returns_to_source_device(gpu):
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(a, requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda:0" and type(y.data) is not np.ndarray
    (y * y).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * a)
    np.testing.assert_array_equal(y.cpu().numpy(), a)
    with pytest.raises(RuntimeError, match="cpu.*cuda:0|cuda:0.*cpu"):
        x + y


def test_cuda_gradcheck_and_gradgradcheck(gpu):
    r = np.random.default_rng(0)
    x = Tensor(r.standard_normal((1, 2, 5, 5)), device="cuda", requires_grad=True)
    w = Tensor(r.standard_normal((2, 2, 3, 3)), device="cuda", requires_grad=True)
    fn = lambda x, w: F.max_pool2d(F.conv2d(x, w, padding=1).tanh(), 3, 2, 1)  # noqa: E731
    assert gradcheck(fn, [x, w])
    assert gradgradcheck(lambda x: F.log_softmax(x * x, 1), [Tensor(r.standard_normal((2, 3)), device="cuda",
                                                                     requires_grad=True)])
    z = Tensor(r.standard_normal((2, 3)), device="cuda", requires_grad=True)
    assert gradgradcheck(lambda z: z[np.array([1, 1, 0])].exp() @ z.T, [z])


def test_cuda_matches_cpu_values_grads_and_hvp(gpu):
    r = np.random.default_rng(1)
    xs = r.standard_normal((4, 2, 6, 6))
    ps = [r.standard_normal(s) * 0.5 for s in [(3, 2, 3, 3), (3,), (5, 27), (5,)]]
    vs = [r.standard_normal(p.shape) for p in ps]
    target = np.array([0, 4, 2, 1])

    def run(dev):
        x = Tensor(xs, device=dev)
        params = [Tensor(p, device=dev, requires_grad=True) for p in ps]

        def f(Wc, bc, Wl, bl):
            h = F.max_pool2d(F.conv2d(x, Wc, bc, padding=1).relu(), 3, 2, 1)
            h = F.dropout(h, 0.0) + F.avg_pool2d(h, 3, 1, 1, count_include_pad=False)
            return F.cross_entropy(F.linear(h.flatten(1), Wl, bl), target, label_smoothing=0.1)

        loss = f(*params)
        gs = tl.grad(loss, params, retain_graph=True)
        hv = tl.hvp(f, params, [Tensor(v, device=dev) for v in vs])
        assert all(g.device == params[0].device for g in gs + hv)
        return loss.item(), [g.numpy() for g in gs], [h.numpy() for h in hv]

    lc, gc, hc = run("cpu")
    lg, gg, hg = run("cuda")
    assert lg == pytest.approx(lc, rel=1e-10)
    for a, b in zip(gc + hc, gg + hg):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10)


def test_cuda_seeded_rng_and_scatter_add(gpu):
    tl.manual_seed(3)
    a = Tensor.randn(5, device="cuda").numpy()
    tl.manual_seed(3)
    np.testing.assert_array_equal(Tensor.randn(5, device="cuda").numpy(), a)
    state = backend.rng_state("cuda:0")  # plain data (checkpoints store it), and restoring it repeats the draws
    b = [Tensor.rand(3, device="cuda").numpy(), backend.to_host(backend.rng("cuda:0").integers(0, 9, 4))]
    assert not np.array_equal(b[0], Tensor.rand(3, device="cuda").numpy())
    backend.set_rng_state(state, "cuda:0")
    np.testing.assert_array_equal(Tensor.rand(3, device="cuda").numpy(), b[0])
    np.testing.assert_array_equal(backend.to_host(backend.rng("cuda:0").integers(0, 9, 4)), b[1])
    w = Tensor(np.zeros(4), device="cuda", requires_grad=True)
    w[[0, 0, 3]].sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2, 0, 0, 1])
    cp = backend.cupy()
    t = backend.scatter_add(cp.zeros(3), cp.asarray([1, 1, 2]), cp.ones(3))
    np.testing.assert_array_equal(backend.to_host(t), [0, 2, 1])

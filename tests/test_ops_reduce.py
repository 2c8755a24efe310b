"""Reductions (tinygrad_lr/ops/reduce.py and the Tensor methods built on them): sum, mean, var, std, max, min
over every dim/keepdim form, against NumPy, with gradcheck and gradgradcheck in float64; argmax/argmin."""
import numpy as np
import pytest

from tinygrad_lr import Tensor

from helpers import check, distinct, t


REDUCE_ARGS = [dict(), dict(dim=0), dict(dim=1), dict(dim=-1), dict(dim=(0, 2)), dict(dim=1, keepdim=True),
               dict(dim=(0, 2), keepdim=True), dict(dim=None, keepdim=True)]


@pytest.mark.parametrize("kw", REDUCE_ARGS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min"])
def test_reduction_grad_gradgrad(name, kw):
    x = distinct(2, 3, 2, seed=3)
    fn = lambda x: getattr(x, name)(**kw)  # noqa: E731
    out = fn(x)
    axis = kw.get("dim")
    npfn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
            "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
            "std": lambda a, axis, keepdims: np.std(a, axis=axis, keepdims=keepdims, ddof=1)}[name]
    np.testing.assert_allclose(out.numpy(), npfn(x.numpy(), axis=axis, keepdims=kw.get("keepdim", False)),
                               rtol=1e-12)
    check(fn, x)


@pytest.mark.parametrize("kw,ddof", [(dict(unbiased=False), 0), (dict(correction=0), 0), (dict(correction=2), 2),
                                     (dict(unbiased=True), 1)])
def test_var_std_corrections(kw, ddof):
    x = t(3, 4)
    np.testing.assert_allclose(x.var(1, **kw).numpy(), np.var(x.numpy(), axis=1, ddof=ddof), rtol=1e-12)
    np.testing.assert_allclose(x.std(dim=0, **kw).numpy(), np.std(x.numpy(), axis=0, ddof=ddof), rtol=1e-12)
    check(lambda x: x.var(1, **kw), x)


def test_var_without_degrees_of_freedom_is_nan():
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(Tensor(np.array([1.5])).var().item())
        assert np.isnan(Tensor(np.ones((2, 1))).std(dim=1).numpy()).all()
        assert Tensor(np.array([1.5])).var(unbiased=False).item() == 0.0


def test_max_ties_split_gradient_evenly():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), requires_grad=True)
    x.max(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_argmax_argmin():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x = Tensor(a)
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=1).numpy(), [0, 1])
    assert x.argmax().item() == 3
    assert x.argmax(1, keepdim=True).shape == (2, 1)

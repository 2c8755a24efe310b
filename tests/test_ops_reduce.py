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


# ---- issue 10: prod, cumsum, any, all, norm, sum(dtype=) -----------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(), dict(dim=0), dict(dim=1), dict(dim=-1, keepdim=True)], ids=str)
def test_prod_values_grad_gradgrad(kw):
    x = t(2, 3, 2, lo=0.5, hi=1.5)
    np.testing.assert_allclose(x.prod(**kw).numpy(), np.prod(x.numpy(), axis=kw.get("dim"),
                                                              keepdims=kw.get("keepdim", False)), rtol=1e-13)
    check(lambda x: x.prod(**kw), x)


def test_prod_with_zeros_has_the_exact_gradient():
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 6, 0], [0, 0, 0], [8, 4, 2]])
    check(lambda x: x.prod(1), Tensor(a, requires_grad=True))
    check(lambda x: x.prod(), Tensor(a[:2], requires_grad=True))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_values_grad_gradgrad(dim):
    x = t(3, 4)
    np.testing.assert_allclose(x.cumsum(dim).numpy(), np.cumsum(x.numpy(), dim), rtol=1e-13)
    check(lambda x: x.cumsum(dim), x)
    assert Tensor(np.ones(3, np.int32)).cumsum(0, dtype=np.float32).dtype == np.float32


def test_any_all():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    x = Tensor(a)
    assert x.any().item() is True and x.all().item() is False
    np.testing.assert_array_equal(x.any(1).numpy(), [True, False])
    np.testing.assert_array_equal(x.all(0, keepdim=True).numpy(), [[False, False, False]])
    assert x.any(1).dtype == np.bool_


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, float("inf"), float("-inf")], ids=str)
@pytest.mark.parametrize("kw", [dict(), dict(dim=1), dict(dim=(0, 1), keepdim=True)], ids=str)
def test_norm_values_grad_gradgrad(p, kw):
    x = distinct(2, 3, 2)  # no ties for the infinity norms, no zeros for p < 1
    a = x.numpy()
    ax = kw.get("dim")
    pn = 2 if p == "fro" else p
    if np.isinf(pn):
        want = (np.max if pn > 0 else np.min)(np.abs(a), axis=ax, keepdims=kw.get("keepdim", False))
    else:
        want = (np.abs(a) ** pn).sum(axis=ax, keepdims=kw.get("keepdim", False)) ** (1 / pn)
    np.testing.assert_allclose(x.norm(p, **kw).numpy(), want, rtol=1e-12)
    check(lambda x: x.norm(p, **kw), x)


def test_norm_zero_and_at_zero():
    x = Tensor(np.array([0.0, 3.0, 0.0, -4.0]), requires_grad=True)
    assert x.norm(0).item() == 2.0
    z = Tensor(np.zeros(3), requires_grad=True)
    z.norm().backward()  # 0 at 0 (a subgradient), not nan
    np.testing.assert_array_equal(z.grad.numpy(), 0)


def test_sum_and_mean_dtype():
    x = Tensor(np.array([1, 2, 3], np.int32))
    s = x.sum(dtype=np.float64)
    assert s.dtype == np.float64 and s.item() == 6.0
    y = t(2, 3).float()
    assert y.sum(dtype=np.float64).dtype == np.float64 and y.mean(1, dtype=np.float64).dtype == np.float64
    check(lambda y: (y * y).sum(0, dtype=np.float64), t(2, 3))

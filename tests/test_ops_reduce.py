"""Reductions (tinygrad_lr/ops/reduce.py and the Tensor methods built on them): sum, mean, var, std, amax, amin
over every dim/keepdim form, against NumPy, with gradcheck and gradgradcheck in float64; max/min as torch (the
value, or the named tuple (values, indices) along a dim); argmax/argmin; empty and 0-d inputs."""
import numpy as np
import pytest

from tinygrad_lr import Tensor

from helpers import check, distinct, t


REDUCE_ARGS = [dict(), dict(dim=0), dict(dim=1), dict(dim=-1), dict(dim=(0, 2)), dict(dim=1, keepdim=True),
               dict(dim=(0, 2), keepdim=True), dict(dim=None, keepdim=True)]


@pytest.mark.parametrize("kw", REDUCE_ARGS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "amin"])
def test_reduction_grad_gradgrad(name, kw):
    x = distinct(2, 3, 2, seed=3)
    fn = lambda x: getattr(x, name)(**kw)  # noqa: E731
    out = fn(x)
    axis = kw.get("dim")
    npfn = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
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
    x.amax(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.max().backward()  # no dim: the value, ties split as torch.max()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])
    x.grad = None
    x.amin((0, 1)).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("kw", [dict(dim=0), dict(dim=1), dict(dim=-1), dict(dim=2, keepdim=True)], ids=str)
def test_max_min_along_a_dim_return_values_and_indices(name, kw):
    x = distinct(2, 3, 2, seed=5)
    res = getattr(x, name)(**kw)
    values, indices = res  # a named tuple, as torch.return_types.max
    assert type(res).__name__ == name and res.values is values and res.indices is indices and res[0] is values
    a, k = x.numpy(), kw.get("keepdim", False)
    npv, npi = (np.max, np.argmax) if name == "max" else (np.min, np.argmin)
    np.testing.assert_array_equal(values.numpy(), npv(a, axis=kw["dim"], keepdims=k))
    np.testing.assert_array_equal(indices.numpy(), npi(a, axis=kw["dim"], keepdims=k))
    assert indices.dtype == np.int64 and not indices.requires_grad
    check(lambda x: getattr(x, name)(**kw).values, x)
    check(lambda x: getattr(x, name)(**kw)[0] * 2, x)


def test_max_dim_idiom_and_gradient_to_the_returned_index():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = Tensor(a, requires_grad=True)
    np.testing.assert_array_equal(x.max(1)[0].numpy(), [3, 2])  # torch's x.max(1)[0]: the row maxima
    np.testing.assert_array_equal(x.max(1)[1].numpy(), [1, 0])
    x.max(1).values.sum().backward()  # ties: all of it to the element the index names
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])
    x.grad = None
    x.min(0, keepdim=True).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [0, 1, 1]])
    y = Tensor(np.array([1.0, 5.0, -2.0]))
    np.testing.assert_array_equal(x.max(y).numpy(), np.maximum(a, [1, 5, -2]))  # torch: max(other) = maximum
    np.testing.assert_array_equal(x.min(y).numpy(), np.minimum(a, [1, 5, -2]))
    with pytest.raises(TypeError, match="amax"):
        x.max((0, 1))


def test_max_min_and_amax_propagate_nan():
    x = Tensor(np.array([[1.0, np.nan, 3.0], [2.0, 5.0, 0.0]]), requires_grad=True)
    v, i = x.max(1)
    np.testing.assert_array_equal(v.numpy(), [np.nan, 5])
    np.testing.assert_array_equal(i.numpy(), [1, 1])
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 1, 0]])
    assert np.isnan(x.amin().item()) and np.isnan(x.min(1).values.numpy()[0])
    np.testing.assert_array_equal(x.argmin(1).numpy(), [1, 2])


@pytest.mark.parametrize("kw", [dict(), dict(dim=1), dict(dim=(0, 2)), dict(dim=-1, keepdim=True),
                                dict(dim=(), keepdim=True)], ids=str)
def test_amax_amin_values_and_float64_grads(kw):
    x = distinct(2, 3, 2, seed=7)
    dim = kw.get("dim")
    dim = None if dim == () else dim
    np.testing.assert_array_equal(x.amax(**kw).numpy(), np.max(x.numpy(), axis=dim, keepdims=kw.get("keepdim", 0)))
    np.testing.assert_array_equal(x.amin(**kw).numpy(), np.min(x.numpy(), axis=dim, keepdims=kw.get("keepdim", 0)))
    check(lambda x: x.amax(**kw), x)
    check(lambda x: x.amin(**kw), x)


def test_argmax_argmin():
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    x = Tensor(a)
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=1).numpy(), [0, 1])
    np.testing.assert_array_equal(x.argmin(dim=-2, keepdim=True).numpy(), [[0, 1, 0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 4
    assert x.argmax(1, keepdim=True).shape == (2, 1)
    b = Tensor(np.array([True, False, True]))
    assert b.argmin().item() == 1  # no negation: bools and unsigned ints work
    assert Tensor(2.0).argmax(0).item() == 0


@pytest.mark.parametrize("call", ["sum(2)", "mean(-3)", "var((0, 2))", "std(5)", "amax(2)", "amin((-3,))",
                                  "max(2)", "min(-3)", "argmax(2)", "argmin(-3)", "softmax(2)", "log_softmax(-3)",
                                  "logsumexp(2)"])
def test_reductions_reject_out_of_range_dims(call):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got -?\d"):
        eval(f"x.{call}")


def test_reductions_of_0d_and_empty_tensors():
    """torch: a 0-d tensor has dims 0 and -1; the mean of no elements is nan (not a ZeroDivisionError)."""
    z = Tensor(np.array(2.5), requires_grad=True)
    for call in ("sum(0)", "mean(-1)", "amax(0)", "amin(-1)", "max(0).values", "min(-1).values", "softmax(0)",
                 "log_softmax(0)"):
        out = eval(f"z.{call}")
        assert out.shape == ()
    assert z.max(0).indices.item() == 0 and z.sum(0).item() == 2.5 and z.softmax(0).item() == 1.0
    check(lambda z: z.sum(0) * z.amax(-1) + z.mean(0), z)
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        z.sum(1)
    e = Tensor.zeros(0, 3)
    assert np.isnan(e.mean().item()) and e.mean().dtype == np.float32
    np.testing.assert_array_equal(e.mean(0).numpy(), [np.nan] * 3)
    assert e.mean(1).shape == (0,) and e.sum().item() == 0
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    x.mean().backward()
    assert x.grad.shape == (0, 3)
    with pytest.raises(RuntimeError, match="more than once"):
        Tensor(np.ones((2, 3))).sum((1, -1))




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

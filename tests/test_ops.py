"""Every differentiable op and functional: first-order gradcheck and second-order gradgradcheck in float64
(central finite differences), value checks against plain NumPy reference formulas, dtype rules."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.gradcheck import gradcheck, gradgradcheck

SEED = 1234
R = np.random.default_rng(SEED)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Every test draws the same numbers whether it runs alone or in the whole file."""
    global R
    R = np.random.default_rng(SEED)


def t(*shape, lo=None, hi=None, away=None, seed=None):
    """A float64 leaf. lo/hi: uniform range; away: |x| >= away (keeps kinks of relu/abs out of the FD stencil)."""
    r = R if seed is None else np.random.default_rng(seed)
    if lo is not None:
        a = r.uniform(lo, hi, shape)
    elif away is not None:
        a = r.choice([-1.0, 1.0], shape) * r.uniform(away, 1.5, shape)
    else:
        a = r.standard_normal(shape)
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def distinct(*shape, seed=0):
    """Values that are pairwise at least 0.05 apart (no ties for max/min/maximum)."""
    r = np.random.default_rng(seed)
    n = math.prod(shape)
    a = (r.permutation(n) * 0.1 - n * 0.05 + r.uniform(0, 0.05, n)).reshape(shape)
    return Tensor(a.astype(np.float64), requires_grad=True)


def check(fn, *inputs, atol=1e-5, rtol=1e-3, second=True):
    assert gradcheck(fn, list(inputs), atol=atol, rtol=rtol)
    if second:
        assert gradgradcheck(fn, list(inputs), atol=atol, rtol=rtol)


# ---------------------------------------------------------------- elementwise: binary, unary, scalars on both sides
BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, {"b": dict(away=0.5)}),
    "pow_tt": (lambda a, b: a ** b, {"a": dict(lo=0.5, hi=2.0)}),
    "maximum": (lambda a, b: a.maximum(b), None),
    "minimum": (lambda a, b: a.minimum(b), None),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2))])
def test_binary_grad_gradgrad(name, shapes):
    fn, kw = BINARY[name]
    if kw is None:  # maximum/minimum: no ties between the broadcast operands
        d = distinct(math.prod(shapes[0]) + math.prod(shapes[1]), seed=7).data
        a = Tensor(d[:math.prod(shapes[0])].reshape(shapes[0]), requires_grad=True)
        b = Tensor(d[math.prod(shapes[0]):].reshape(shapes[1]), requires_grad=True)
    else:
        a, b = t(*shapes[0], **kw.get("a", {})), t(*shapes[1], **kw.get("b", {}))
    check(fn, a, b)


UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), dict(lo=0.3, hi=2.0)),
    "sqrt": (lambda x: x.sqrt(), dict(lo=0.3, hi=2.0)),
    "abs": (lambda x: x.abs(), dict(away=0.1)),
    "abs_builtin": (lambda x: abs(x), dict(away=0.1)),
    "tanh": (lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), dict(away=0.1)),
    "clip": (lambda x: x.clip(-0.5, 0.7), dict(away=0.1)),
    "clip_min": (lambda x: x.clip(min=0.3), dict(lo=-1.0, hi=0.2)),
    "clip_max": (lambda x: x.clip(max=0.3), dict(lo=0.4, hi=1.0)),
    "clamp": (lambda x: x.clamp(-0.5, 0.7), dict(away=0.1)),
    "maximum_scalar": (lambda x: x.maximum(0.05), dict(away=0.1)),
    "minimum_scalar": (lambda x: x.minimum(0.05), dict(away=0.1)),
    "square": (lambda x: x.square(), {}),
    "pow_2": (lambda x: x ** 2, {}),
    "pow_3": (lambda x: x ** 3, {}),
    "pow_half": (lambda x: x ** 0.5, dict(lo=0.3, hi=2.0)),
    "pow_neg": (lambda x: x ** -1.5, dict(lo=0.5, hi=2.0)),
    "rpow": (lambda x: 2.0 ** x, {}),
    "rpow_int": (lambda x: 3 ** x, {}),
    "radd": (lambda x: 2 + x, {}),
    "rsub": (lambda x: 2 - x, {}),
    "rmul": (lambda x: 2 * x, {}),
    "rdiv": (lambda x: 2 / x, dict(away=0.5)),
    "add_s": (lambda x: x + 2, {}),
    "sub_s": (lambda x: x - 2.5, {}),
    "mul_s": (lambda x: x * -3, {}),
    "div_s": (lambda x: x / 4.0, {}),
    "np_scalar_left": (lambda x: np.float64(2.0) - x, {}),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grad_gradgrad(name):
    fn, kw = UNARY[name]
    check(fn, t(2, 3, **kw))


def test_clip_without_tie_gradient_mask():
    x = Tensor(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_python_scalar_either_side(op, side):
    xv = np.array([0.5, 1.25, 2.0])
    s = 1.5
    x = Tensor(xv, requires_grad=True)
    ref = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
           "**": lambda a, b: a ** b}[op]
    y = ref(s, x) if side == "left" else ref(x, s)
    want = ref(s, xv) if side == "left" else ref(xv, s)
    assert isinstance(y, Tensor) and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    y.sum().backward()
    h = 1e-6
    fd = ((ref(s, xv + h) - ref(s, xv - h)) if side == "left" else (ref(xv + h, s) - ref(xv - h, s))) / (2 * h)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6)
    check(lambda x: ref(s, x) if side == "left" else ref(x, s), Tensor(xv, requires_grad=True))


def test_pow_zero_exponent_gradient_is_zero_everywhere():
    x = Tensor(np.array([0.0, 2.0, -1.0]), requires_grad=True)
    g, = tl.grad((x ** 0).sum(), x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0, 0.0])
    # third derivative of x**2 is 0, also at x = 0
    g1, = tl.grad((x ** 2).sum(), x, create_graph=True)
    g2, = tl.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_array_equal(g2.numpy(), [2.0, 2.0, 2.0])
    g3, = tl.grad(g2.sum(), x, allow_unused=True)
    assert g3 is None or np.array_equal(g3.numpy(), [0.0, 0.0, 0.0])


def test_relu_of_infinities():
    x = Tensor(np.array([-np.inf, -1.0, 0.0, 2.0, np.inf]), requires_grad=True)
    y = x.relu()
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.0, 2.0, np.inf])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 1, 1])


@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(["add", "sub", "mul", "div", "pow_tt"]), seed=st.integers(0, 2 ** 16))
def test_broadcasting_first_order_hypothesis(shapes, op, seed):
    fn, kw = BINARY[op]
    (sa, sb), res = shapes.input_shapes, shapes.result_shape
    a, b = t(*sa, seed=seed, **kw.get("a", {})), t(*sb, seed=seed + 1, **kw.get("b", {}))
    out = fn(a, b)
    assert out.shape == res
    np.testing.assert_allclose(out.numpy(), fn(a.numpy(), b.numpy()), rtol=1e-12)
    assert gradcheck(fn, [a, b])


@settings(max_examples=20, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=2),
       op=st.sampled_from(["add", "sub", "mul", "div", "pow_tt"]), seed=st.integers(0, 2 ** 16))
def test_broadcasting_second_order_hypothesis(shapes, op, seed):
    fn, kw = BINARY[op]
    sa, sb = shapes.input_shapes
    a, b = t(*sa, seed=seed, **kw.get("a", {})), t(*sb, seed=seed + 1, **kw.get("b", {}))
    assert gradgradcheck(fn, [a, b])


def test_broadcast_gradient_sums_over_broadcast_dims():
    a = Tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = Tensor(np.arange(4.0).reshape(4, 1), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 1, 3), 6.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full((4, 1), 6.0))


# ---------------------------------------------------------------- reductions
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


# ---------------------------------------------------------------- movement
MOVEMENT = {
    "reshape": lambda x: x.reshape(3, 4),
    "reshape_neg1": lambda x: x.reshape(-1, 2),
    "reshape_tuple": lambda x: x.reshape((4, 3)),
    "view": lambda x: x.view(12),
    "transpose": lambda x: x.transpose(0, 2),
    "transpose_default": lambda x: x.transpose(),
    "permute": lambda x: x.permute(2, 0, 1),
    "permute_neg": lambda x: x.permute(-1, -3, -2),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "flatten": lambda x: x.flatten(),
    "flatten_1": lambda x: x.flatten(1),
    "flatten_0_1": lambda x: x.flatten(0, 1),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "unsqueeze_neg": lambda x: x.unsqueeze(-1),
    "squeeze": lambda x: x.unsqueeze(0).unsqueeze(2).squeeze(),
    "squeeze_dim": lambda x: x.unsqueeze(1).squeeze(1),
    "expand": lambda x: x[:, :1, :].expand(2, 4, 3),
    "expand_neg1": lambda x: x.unsqueeze(0).expand(3, -1, -1, -1),
    "pad_torch_1": lambda x: x.pad((1, 2)),
    "pad_torch_2": lambda x: x.pad((1, 0, 2, 1)),
    "pad_numpy": lambda x: x.pad(((0, 0), (1, 2), (2, 0))),
    "pad_value": lambda x: x.pad((1, 1), value=-3.0),
    "getitem_int": lambda x: x[1],
    "getitem_neg_int": lambda x: x[-1, 2],
    "getitem_slice": lambda x: x[:, 1:3],
    "getitem_step": lambda x: x[:, ::2, ::-1],
    "getitem_none": lambda x: x[None, :, None],
    "getitem_ellipsis": lambda x: x[..., 1],
    "getitem_ellipsis_none": lambda x: x[0, ..., None],
    "getitem_int_array_repeat": lambda x: x[np.array([1, 0, 1, 1])],
    "getitem_list_repeat": lambda x: x[[0, 0, 1]],
    "getitem_2d_index": lambda x: x[:, np.array([[0, 3], [3, 3]])],
    "getitem_mixed_adv": lambda x: x[np.array([0, 1, 1]), :, np.array([1, 1, 0])],
    "getitem_adv_none": lambda x: x[None, ..., np.array([1, 1])],
    "getitem_tensor_index": lambda x: x[Tensor(np.array([1, 1, 0]))],
    "getitem_bool_mask": lambda x: x[np.arange(24).reshape(2, 4, 3) % 3 == 1],
    "getitem_bool_mask_tensor": lambda x: x[Tensor(np.array([True, False, True, True]))[None].expand(2, 4)],
    "getitem_bool_row_mask": lambda x: x[:, [True, False, True, True]],
}


@pytest.mark.parametrize("name", sorted(MOVEMENT))
def test_movement_grad_gradgrad(name):
    x = t(2, 4, 3) if not name.startswith(("reshape", "view")) else t(2, 2, 3)
    fn = MOVEMENT[name]
    # values against NumPy doing the same thing to the raw array
    npx = x.numpy()
    if name.startswith("getitem") and "tensor" not in name:
        want = fn(npx)
        np.testing.assert_array_equal(fn(x).numpy(), want)
    check(fn, x)


def test_movement_values_against_numpy():
    a = np.arange(24.0).reshape(2, 4, 3)
    x = Tensor(a)
    np.testing.assert_array_equal(x.permute(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.T.numpy(), a.T)
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), a.swapaxes(0, 1))
    np.testing.assert_array_equal(x.flatten(1).numpy(), a.reshape(2, 12))
    np.testing.assert_array_equal(x.pad((1, 2)).numpy(), np.pad(a, ((0, 0), (0, 0), (1, 2))))
    np.testing.assert_array_equal(x.pad((1, 0, 2, 1), value=5.0).numpy(),
                                  np.pad(a, ((0, 0), (2, 1), (1, 0)), constant_values=5.0))
    np.testing.assert_array_equal(x.pad(((1, 0), (0, 0), (0, 2))).numpy(), np.pad(a, ((1, 0), (0, 0), (0, 2))))
    np.testing.assert_array_equal(x[:, :1].expand(2, 3, 3).numpy(), np.broadcast_to(a[:, :1], (2, 3, 3)))
    assert x.unsqueeze(0).unsqueeze(-1).shape == (1, 2, 4, 3, 1)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 4, 3) and x.squeeze(1).shape == (2, 4, 3)


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.arange(5.0), requires_grad=True)
    x[[0, 0, 3, 0, 4, 4]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 0, 0, 1, 2])
    w = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    idx = np.array([[2, 2], [0, 2]])
    u = np.arange(8.0).reshape(2, 2, 2)
    (w[idx] * Tensor(u)).sum().backward()
    want = np.zeros((3, 2))
    np.add.at(want, idx, u)
    np.testing.assert_array_equal(w.grad.numpy(), want)
    # second order through the scatter-add: d/dw of sum((w[idx])^2) twice = 2 * counts
    w2 = Tensor(np.arange(3.0), requires_grad=True)
    hv, = tl.hvp((w2[[1, 1, 2]] ** 2).sum(), w2, Tensor(np.ones(3)))
    np.testing.assert_array_equal(hv.numpy(), [0, 4, 2])


def test_getitem_bool_mask_gradient():
    a = np.array([[1.0, -2.0], [-3.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.numpy(), [1.0, 4.0])
    (y * Tensor(np.array([10.0, 20.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[10, 0], [0, 20]])


CATS = {
    "cat0": lambda a, b, c: Tensor.cat([a, b, c], dim=0),
    "cat1": lambda a, b, c: Tensor.cat([a.reshape(2, 3), b.reshape(2, 3), c.reshape(2, 3)], dim=1),
    "cat_neg": lambda a, b, c: Tensor.cat([a, b, c], dim=-1),
    "stack0": lambda a, b, c: Tensor.stack([a, b, c]),
    "stack1": lambda a, b, c: Tensor.stack([a, b, c], dim=1),
    "stack_neg": lambda a, b, c: Tensor.stack([a, b, c], dim=-1),
    "cat_shared": lambda a, b, c: Tensor.cat([a, a * b, c, a], dim=0),
}


@pytest.mark.parametrize("name", sorted(CATS))
def test_cat_stack_grad_gradgrad(name):
    a, b, c = t(3, 2), t(3, 2), t(3, 2)
    fn = CATS[name]
    ref = {"cat0": lambda a, b, c: np.concatenate([a, b, c], 0),
           "cat1": lambda a, b, c: np.concatenate([a.reshape(2, 3), b.reshape(2, 3), c.reshape(2, 3)], 1),
           "cat_neg": lambda a, b, c: np.concatenate([a, b, c], -1),
           "stack0": lambda a, b, c: np.stack([a, b, c]), "stack1": lambda a, b, c: np.stack([a, b, c], 1),
           "stack_neg": lambda a, b, c: np.stack([a, b, c], -1),
           "cat_shared": lambda a, b, c: np.concatenate([a, a * b, c, a], 0)}[name]
    np.testing.assert_array_equal(fn(a, b, c).numpy(), ref(a.numpy(), b.numpy(), c.numpy()))
    check(fn, a, b, c)


def test_cat_with_constant_part():
    a = t(2, 2)
    k = Tensor(np.ones((1, 2)))
    check(lambda a: Tensor.cat([k, a, k], 0) * 2.0, a)


@pytest.mark.parametrize("case", ["same", "broadcast", "scalar_y", "scalar_x", "cond_tensor"])
def test_where_grad_gradgrad(case):
    cond = np.array([[True, False, True], [False, False, True]])
    if case == "same":
        fn, args = (lambda x, y: Tensor.where(cond, x * y, y.exp())), (t(2, 3), t(2, 3))
    elif case == "broadcast":
        fn, args = (lambda x, y: Tensor.where(cond, x, y * y)), (t(3), t(2, 1))
    elif case == "scalar_y":
        fn, args = (lambda x: Tensor.where(cond, x * x, 0.5)), (t(2, 3),)
    elif case == "scalar_x":
        fn, args = (lambda y: Tensor.where(cond, -1.0, y.tanh())), (t(1, 3),)
    else:
        fn, args = (lambda x, y: Tensor.where(Tensor(cond), x, y)), (t(2, 3), t(2, 3))
    check(fn, *args)


def test_where_values_and_gradient_routing():
    cond = np.array([True, False, True])
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([10.0, 20.0, 30.0]), requires_grad=True)
    z = Tensor.where(cond, x, y)
    np.testing.assert_array_equal(z.numpy(), [1, 20, 3])
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1])
    np.testing.assert_array_equal(y.grad.numpy(), [0, 1, 0])


# ---------------------------------------------------------------- matmul
MATMUL = [((2, 3), (3, 4)), ((2, 2, 3), (3, 2)), ((2, 1, 2, 3), (2, 3, 2)), ((3,), (3, 2)), ((2, 3), (3,)),
          ((3,), (3,)), ((3,), (2, 3, 2)), ((2, 2, 3), (3,)), ((1, 2, 3), (2, 3, 1))]


@pytest.mark.parametrize("sa,sb", MATMUL, ids=str)
def test_matmul_grad_gradgrad(sa, sb):
    a, b = t(*sa), t(*sb)
    out = a @ b
    want = np.matmul(a.numpy(), b.numpy())
    assert out.shape == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    check(lambda a, b: a @ b, a, b)
    check(lambda a, b: a.matmul(b), a, b, second=False)


def test_matmul_with_numpy_constant_on_either_side():
    a = t(2, 3)
    m = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose((a @ m).numpy(), a.numpy() @ m)
    left = m.T @ a.T  # NumPy defers to Tensor.__rmatmul__
    assert isinstance(left, Tensor) and left.requires_grad
    np.testing.assert_allclose(left.numpy(), m.T @ a.numpy().T)
    np.testing.assert_allclose((np.ones(3) + a).numpy(), 1 + a.numpy())
    check(lambda a: a @ m, a)
    check(lambda a: m.T @ a.T, a)


def test_matmul_fortran_ordered_operands():
    w = Tensor(np.asfortranarray(R.standard_normal((3, 4))), requires_grad=True)
    x = t(2, 4)
    check(lambda x, w: x @ w.T, x, w)
    check(lambda w: w @ Tensor(np.asfortranarray(np.ones((4, 2)))), w)


# ---------------------------------------------------------------- functional
def test_activations_grad_gradgrad():
    x = t(2, 3, away=0.1)
    for fn in (F.relu, F.sigmoid, F.tanh):
        np.testing.assert_allclose(fn(x).numpy(), {F.relu: lambda a: np.maximum(a, 0),
                                                    F.sigmoid: lambda a: 1 / (1 + np.exp(-a)),
                                                    F.tanh: np.tanh}[fn](x.numpy()), rtol=1e-12)
        check(fn, x)


def np_log_softmax(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_log_softmax(dim):
    x = t(2, 3, 2)
    np.testing.assert_allclose(F.softmax(x, dim).numpy(), np.exp(np_log_softmax(x.numpy(), dim)), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, dim).numpy(), np_log_softmax(x.numpy(), dim), rtol=1e-12)
    np.testing.assert_allclose(x.softmax(dim).numpy().sum(axis=dim), 1.0, rtol=1e-12)
    check(lambda x: F.softmax(x, dim), x)
    check(lambda x: F.log_softmax(x, dim), x)


@pytest.mark.parametrize("kw", [dict(), dict(dim=1), dict(dim=-1, keepdim=True), dict(dim=(0, 2)),
                                dict(dim=None, keepdim=True)], ids=str)
def test_logsumexp(kw):
    x = t(2, 3, 2)
    a = x.numpy()
    axis = kw.get("dim")
    want = np.log(np.exp(a).sum(axis=axis, keepdims=kw.get("keepdim", False)))
    out = F.logsumexp(x, **kw)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(x.logsumexp(**kw).numpy(), want, rtol=1e-12)
    check(lambda x: F.logsumexp(x, **kw), x)


def test_huge_logits_stay_finite():
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1.0, 1e4]])
    tgt = np.array([1, 0, 2])
    for dt in (np.float64, np.float32):
        x = Tensor(a.astype(dt), requires_grad=True)
        sm, lsm, lse = F.softmax(x, 1), F.log_softmax(x, 1), F.logsumexp(x, 1)
        ce = F.cross_entropy(x, tgt)
        for v in (sm, lsm, lse, ce):
            assert np.all(np.isfinite(v.numpy()))
        np.testing.assert_allclose(lsm.numpy(), np_log_softmax(a, 1), rtol=1e-6)
        np.testing.assert_allclose(sm.numpy(), np.exp(np_log_softmax(a, 1)), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(lse.numpy(), a.max(1) + np.log(np.exp(a - a.max(1, keepdims=True)).sum(1)),
                                   rtol=1e-7 if dt == np.float32 else 1e-12)
        for y in (sm[:, 0].sum() + lsm.sum() * 1e-3, lse.sum(), ce):
            g, = tl.grad(y, x, retain_graph=True)
            assert np.all(np.isfinite(g.numpy()))
        g, = tl.grad(ce, x)
        want = (np.exp(np_log_softmax(a, 1)) - np.eye(3)[tgt]) / 3
        np.testing.assert_allclose(g.numpy(), want, atol=1e-6)
        # second order stays finite too
        hv, = tl.hvp(lambda z: F.cross_entropy(z, tgt), x, Tensor(np.ones_like(a).astype(dt)))
        assert np.all(np.isfinite(hv.numpy()))


@pytest.mark.parametrize("shape_x,bias", [((2, 3), True), ((2, 3), False), ((2, 2, 3), True)])
def test_linear(shape_x, bias):
    x, w = t(*shape_x), t(2, 3)
    b = t(2) if bias else None
    want = x.numpy() @ w.numpy().T + (b.numpy() if bias else 0)
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), want, rtol=1e-12)
    if bias:
        check(F.linear, x, w, b)
    else:
        check(lambda x, w: F.linear(x, w), x, w)


def naive_conv2d(x, w, b, stride, padding, dilation):
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp_ = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, oh, ow))
    for n in range(N):
        for o in range(O):
            for i in range(oh):
                for j in range(ow):
                    s = 0.0
                    for c in range(C):
                        for a in range(kh):
                            for e in range(kw):
                                s += xp_[n, c, i * sh + a * dh, j * sw + e * dw] * w[o, c, a, e]
                    out[n, o, i, j] = s + (b[o] if b is not None else 0.0)
    return out


CONV = [dict(), dict(stride=2), dict(padding=1), dict(dilation=2), dict(stride=(2, 1), padding=(1, 2)),
        dict(stride=2, padding=1, dilation=(1, 2))]


@pytest.mark.parametrize("kw", CONV, ids=str)
def test_conv2d_values_against_naive_loops(kw):
    x, w, b = t(2, 2, 5, 6), t(3, 2, 2, 3), t(3)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    want = naive_conv2d(x.numpy(), w.numpy(), b.numpy(), pair(kw.get("stride", 1)), pair(kw.get("padding", 0)),
                        pair(kw.get("dilation", 1)))
    got = F.conv2d(x, w, b, **kw)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.conv2d(x, w, **kw).numpy(), want - b.numpy()[None, :, None, None], rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=1)], ids=str)
def test_conv2d_grad_gradgrad(kw):
    x, w, b = t(1, 2, 4, 4), t(2, 2, 2, 2), t(2)
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)


def naive_pool(x, k, s, p, op, count_include_pad=True, pad_value=0.0):
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    real = np.pad(np.ones((H, W)), ((p, p), (p, p)))
    oh, ow = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    out = np.zeros((N, C, oh, ow))
    grad = np.zeros_like(x)  # d(sum out)/dx for max: the first maximum of each window (row-major)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    win = xp_[n, c, i * s:i * s + k, j * s:j * s + k]
                    if op == "max":
                        out[n, c, i, j] = win.max()
                        a, e = np.unravel_index(np.argmax(win), win.shape)  # argmax: first occurrence
                        grad[n, c, i * s + a - p, j * s + e - p] += 1
                    else:
                        cnt = k * k if count_include_pad else real[i * s:i * s + k, j * s:j * s + k].sum()
                        out[n, c, i, j] = win.sum() / cnt
    return out, grad


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 1)])
def test_max_pool2d_values_and_grad_against_naive(k, s, p):
    x = distinct(2, 2, 5, 5, seed=11)
    want, wgrad = naive_pool(x.numpy(), k, s, p, "max", pad_value=-np.inf)
    out = F.max_pool2d(x, k, s, p)
    np.testing.assert_array_equal(out.numpy(), want)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), wgrad)


def test_max_pool2d_ties_send_gradient_to_first_maximum():
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    want = np.zeros((4, 4))
    want[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], want)
    # overlapping windows (kernel 3, stride 2, padding 1) over a plateau with ties
    a = np.zeros((1, 1, 5, 5))
    a[0, 0, 1:4, 1:4] = 2.0
    x = Tensor(a, requires_grad=True)
    F.max_pool2d(x, 3, 2, 1).sum().backward()
    _, wgrad = naive_pool(a, 3, 2, 1, "max", pad_value=-np.inf)
    np.testing.assert_array_equal(x.grad.numpy(), wgrad)
    assert wgrad.sum() == 9 and wgrad[0, 0, 1, 1] == 4  # the first maximum of four windows


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, None, 1)])
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool2d_values_against_naive(k, s, p, cip):
    x = t(2, 2, 5, 5)
    want, _ = naive_pool(x.numpy(), k, k if s is None else s, p, "avg", count_include_pad=cip)
    np.testing.assert_allclose(F.avg_pool2d(x, k, s, p, count_include_pad=cip).numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("fn", ["max", "avg_incl", "avg_excl"])
def test_pool_grad_gradgrad_overlapping(fn):
    x = distinct(1, 2, 5, 5, seed=5)
    f = {"max": lambda x: F.max_pool2d(x, 3, 2, 1),
         "avg_incl": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True),
         "avg_excl": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)}[fn]
    check(f, x)
    check(lambda x: f(x) * f(x), x)  # a non-linear use: the second order is not trivially zero


def test_max_pool2d_dilation():
    x = distinct(1, 1, 5, 5, seed=2)
    out = F.max_pool2d(x, 2, 1, 0, dilation=2)
    a = x.numpy()[0, 0]
    want = np.array([[max(a[i, j], a[i + 2, j], a[i, j + 2], a[i + 2, j + 2]) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(out.numpy()[0, 0], want)
    check(lambda x: F.max_pool2d(x, 2, 1, 0, dilation=2), x)


def test_dropout():
    x = t(4, 5)

    def fn(x):
        tl.manual_seed(7)
        return F.dropout(x, 0.4)

    y1, y2 = fn(x).numpy(), fn(x).numpy()
    np.testing.assert_array_equal(y1, y2)
    kept = y1 != 0
    assert 0 < kept.sum() < 20
    np.testing.assert_allclose(y1[kept], x.numpy()[kept] / 0.6, rtol=1e-12)
    check(fn, x)
    check(lambda x: fn(x) * fn(x).exp(), x)
    assert F.dropout(x, 0.4, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0.0)
    big = F.dropout(Tensor(np.ones(20000)), 0.25).numpy()
    assert abs((big == 0).mean() - 0.25) < 0.02


# ---------------------------------------------------------------- losses
def np_cross_entropy(z, y, weight=None, reduction="mean", eps=0.0, ignore_index=-100):
    C = z.shape[1]
    if z.ndim > 2:
        z = np.moveaxis(z, 1, -1).reshape(-1, C)
        y = y.reshape(-1)
    logp = np_log_softmax(z, 1)
    w = np.ones(C) if weight is None else weight
    valid = y != ignore_index
    ys = np.where(valid, y, 0)
    nll = -w[ys] * logp[np.arange(len(y)), ys] * valid
    smooth = -(logp * w).sum(1) / C * valid
    loss = (1 - eps) * nll + eps * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (w[ys] * valid).sum()


CE_CASES = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(label_smoothing=0.1),
            dict(label_smoothing=0.3, reduction="sum"), dict(weight=True), dict(weight=True, label_smoothing=0.2),
            dict(ignore_index=1), dict(ignore_index=1, label_smoothing=0.2, weight=True),
            dict(ignore_index=2, reduction="none", label_smoothing=0.1)]


@pytest.mark.parametrize("kw", CE_CASES, ids=str)
def test_cross_entropy_against_numpy_and_grad(kw):
    z = t(5, 3)
    y = np.array([0, 2, 1, 1, 2])
    wv = np.array([0.5, 2.0, 1.5])
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = Tensor(wv)
    npkw = {("eps" if k == "label_smoothing" else k): (wv if k == "weight" else v) for k, v in kw.items()}
    want = np_cross_entropy(z.numpy(), y, **npkw)
    got = F.cross_entropy(z, y, **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    check(lambda z: F.cross_entropy(z, y, **kw), z)
    # targets as an int Tensor and as a float Tensor (lists become float32) give the same
    np.testing.assert_allclose(F.cross_entropy(z, Tensor(y), **kw).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(z, Tensor(y.tolist()), **kw).numpy(), want, rtol=1e-12)


def test_cross_entropy_label_smoothing_is_torchs_definition():
    z = np.array([[2.0, -1.0, 0.5, 0.0]])
    logp = np_log_softmax(z, 1)[0]
    eps = 0.25
    want = (1 - eps) * -logp[3] + eps * np.mean(-logp)
    got = F.cross_entropy(Tensor(z), np.array([3]), label_smoothing=eps).item()
    assert got == pytest.approx(want, rel=1e-12)


def test_cross_entropy_spatial_input():
    z = t(2, 3, 2, 2)
    y = np.array([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])
    np.testing.assert_allclose(F.cross_entropy(z, y).numpy(), np_cross_entropy(z.numpy(), y), rtol=1e-12)
    out = F.cross_entropy(z, y, reduction="none")
    assert out.shape == (2, 2, 2)
    check(lambda z: F.cross_entropy(z, y, label_smoothing=0.1), z)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True),
                                dict(ignore_index=0), dict(weight=True, ignore_index=2)], ids=str)
def test_nll_loss(kw):
    lp = t(4, 3)
    y = np.array([2, 0, 1, 2])
    wv = np.array([1.0, 3.0, 0.5])
    kw = dict(kw)
    w = wv if kw.pop("weight", False) else np.ones(3)
    if not np.all(w == 1):
        kw["weight"] = Tensor(wv)
    ign = kw.get("ignore_index", -100)
    valid = y != ign
    ys = np.where(valid, y, 0)
    per = -lp.numpy()[np.arange(4), ys] * w[ys] * valid
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.sum() / (w[ys] * valid).sum())
    np.testing.assert_allclose(F.nll_loss(lp, y, **kw).numpy(), want, rtol=1e-12)
    check(lambda lp: F.nll_loss(lp, y, **kw), lp)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    x, y = t(2, 3), t(2, 3)
    d = (x.numpy() - y.numpy()) ** 2
    want = {"mean": d.mean(), "sum": d.sum(), "none": d}[reduction]
    np.testing.assert_allclose(F.mse_loss(x, y, reduction).numpy(), want, rtol=1e-12)
    check(lambda x, y: F.mse_loss(x, y, reduction=reduction), x, y)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True)], ids=str)
def test_binary_cross_entropy(kw):
    p, y = t(2, 3, lo=0.05, hi=0.95), t(2, 3, lo=0.0, hi=1.0)
    kw = dict(kw)
    wv = np.array([0.5, 1.0, 2.0])
    w = wv if kw.pop("weight", False) else np.ones(3)
    if "reduction" not in kw and not np.all(w == 1):
        kw["weight"] = Tensor(wv)
    per = -(y.numpy() * np.log(p.numpy()) + (1 - y.numpy()) * np.log(1 - p.numpy())) * w
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.mean())
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, **kw).numpy(), want, rtol=1e-12)
    check(lambda p, y: F.binary_cross_entropy(p, y, **kw), p, y)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    with np.errstate(divide="raise", invalid="raise"):  # no log(0), no 0/0 on the way
        loss = F.binary_cross_entropy(p, y, reduction="none")
        np.testing.assert_allclose(loss.numpy(), [100, 100, 0, 0, 100])
        g, = tl.grad(loss.sum(), p)
    # the true derivative -y/p + (1-y)/(1-p) where it is finite; 0 where the clamp holds the log at -100
    np.testing.assert_allclose(g.numpy(), [0, 0, 1, -1, 0])
    # a saturated float32 sigmoid (exactly 1.0) keeps its gradient finite
    z = Tensor(np.array([20.0, -120.0, 0.5], np.float32), requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        loss = F.binary_cross_entropy(z.sigmoid(), np.array([1.0, 0.0, 1.0], np.float32))
        gz, = tl.grad(loss, z)
    assert np.all(np.isfinite(gz.numpy()))


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(pos_weight=True),
                                dict(pos_weight=True, weight=True)], ids=str)
def test_binary_cross_entropy_with_logits(kw):
    x, y = t(2, 3), t(2, 3, lo=0.0, hi=1.0)
    pw, wv = np.array([0.5, 2.0, 3.0]), np.array([[1.0], [0.25]])
    kw = dict(kw)
    use_pw, use_w = kw.pop("pos_weight", False), kw.pop("weight", False)
    if use_pw:
        kw["pos_weight"] = Tensor(pw)
    if use_w:
        kw["weight"] = Tensor(wv)
    s = 1 / (1 + np.exp(-x.numpy()))
    per = -((pw if use_pw else 1.0) * y.numpy() * np.log(s) + (1 - y.numpy()) * np.log(1 - s))
    per = per * (wv if use_w else 1.0)
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.mean())
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, **kw).numpy(), want, rtol=1e-10)
    check(lambda x, y: F.binary_cross_entropy_with_logits(x, y, **kw), x, y)


def test_bce_with_logits_extreme_logits_finite():
    x = Tensor(np.array([1e4, -1e4, 50.0, -50.0]), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, np.log1p(np.exp(-50.0)), np.log1p(np.exp(-50.0))],
                               rtol=1e-12, atol=1e-15)
    g, = tl.grad(loss.sum(), x)
    np.testing.assert_allclose(g.numpy(), [1.0, -1.0, -np.exp(-50.0), np.exp(-50.0)], rtol=1e-6, atol=1e-300)


def test_embedding_repeated_indices():
    w = t(5, 3)
    idx = np.array([[1, 4, 1], [1, 0, 4]])
    out = F.embedding(idx, w)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    u = R.standard_normal((2, 3, 3))
    (out * Tensor(u)).sum().backward()
    want = np.zeros((5, 3))
    np.add.at(want, idx, u)
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)
    assert np.all(w.grad.numpy()[[2, 3]] == 0)
    check(lambda w: F.embedding(idx, w), w)
    check(lambda w: F.embedding(Tensor(idx), w).tanh(), w)


def test_embedding_padding_idx_gets_no_gradient():
    w = t(4, 2)
    idx = np.array([0, 2, 2, 3])
    out = F.embedding(idx, w, padding_idx=2)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0], [1, 1]])
    # the padding row's output still depends on w, but by definition (as torch) it passes no gradient
    idx2 = np.array([0, 3, 3, 1])
    check(lambda w: F.embedding(idx2, w, padding_idx=2) ** 2, w)


def naive_unfold(x, k, s, d, p):
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (H + 2 * p - d * (k - 1) - 1) // s + 1, (W + 2 * p - d * (k - 1) - 1) // s + 1
    cols = np.zeros((C * k * k, N * oh * ow))
    for c in range(C):
        for a in range(k):
            for e in range(k):
                for n in range(N):
                    for i in range(oh):
                        for j in range(ow):
                            cols[(c * k + a) * k + e, (n * oh + i) * ow + j] = xp_[n, c, i * s + a * d, j * s + e * d]
    return cols


@pytest.mark.parametrize("k,s,d,p", [(2, 1, 1, 0), (3, 2, 1, 1), (2, 1, 2, 0), (2, 2, 1, 1)])
def test_unfold_fold(k, s, d, p):
    x = t(2, 2, 4, 5)
    cols = F.unfold(x, k, dilation=d, padding=p, stride=s)
    np.testing.assert_array_equal(cols.numpy(), naive_unfold(x.numpy(), k, s, d, p))
    check(lambda x: F.unfold(x, k, dilation=d, padding=p, stride=s), x)
    if p == 0:  # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
        c = t(*cols.shape)
        folded = F.fold(c, x.shape, k, dilation=d, stride=s)
        assert folded.shape == x.shape
        np.testing.assert_allclose((cols.numpy() * c.numpy()).sum(), (x.numpy() * folded.numpy()).sum(), rtol=1e-12)
        check(lambda c: F.fold(c, x.shape, k, dilation=d, stride=s), c)


# ---------------------------------------------------------------- dtype rules
def test_constructor_dtypes():
    assert Tensor(1.5).dtype == np.float32
    assert Tensor(2).dtype == np.float32
    assert Tensor([1, 2, 3]).dtype == np.float32
    assert Tensor([[1.0, 2.0]]).dtype == np.float32
    assert Tensor(np.zeros(3)).dtype == np.float64
    assert Tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert Tensor(np.zeros(3, np.int64)).dtype == np.int64
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.zeros(3), dtype=np.float32).dtype == np.float32
    for ctor in (Tensor.zeros, Tensor.ones, Tensor.randn, Tensor.rand):
        assert ctor(2, 3).dtype == np.float32 and ctor(2, 3, dtype=np.float64).dtype == np.float64
        assert ctor((2, 3)).shape == (2, 3)
    assert Tensor.full((2,), 3.0).dtype == np.float32
    assert Tensor.eye(3).dtype == np.float32
    assert Tensor.arange(4).dtype == np.int64 and Tensor.arange(0.0, 1.0, 0.5).dtype == np.float32
    x = Tensor(np.zeros((2, 2)))
    for ctor in (Tensor.zeros_like, Tensor.ones_like, Tensor.randn_like, Tensor.rand_like):
        assert ctor(x).dtype == np.float64 and ctor(x).shape == (2, 2)
    assert Tensor.full_like(x, 7.0).dtype == np.float64


F32_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a.abs() ** b, "matmul": lambda a, b: a @ b.T, "maximum": lambda a, b: a.maximum(b),
    "scalars": lambda a, b: (2.0 - a) * 3 / (1.5 + b.abs()) ** 2 + 2 ** a - a ** 2,
    "unary": lambda a, b: a.exp() + b.abs().log() + b.abs().sqrt() + a.tanh() + a.sigmoid() + a.relu() + a.clip(-1, 1),
    "reduce": lambda a, b: a.mean(0) + b.var(0) + a.max(0) + b.std(0) + a.min(0) + b.sum(0),
    "softmax": lambda a, b: F.log_softmax(a, 1) + F.softmax(b, 0) + F.logsumexp(a, 1, keepdim=True),
    "movement": lambda a, b: Tensor.cat([a, b]).T.reshape(3, 4)[:, [0, 0, 1]].pad((1, 1)),
    "where": lambda a, b: Tensor.where(a.data > 0, a, 0.5 * b),
}


@pytest.mark.parametrize("name", sorted(F32_OPS))
def test_float32_stays_float32_values_and_grads(name):
    a = Tensor(R.standard_normal((3, 2)).astype(np.float32) + 0.1, requires_grad=True)
    b = Tensor(R.standard_normal((3, 2)).astype(np.float32) + 0.1, requires_grad=True)
    out = F32_OPS[name](a, b)
    assert out.dtype == np.float32
    ga, gb = tl.grad(out.sum(), [a, b], allow_unused=True, retain_graph=True)
    for g in (ga, gb):
        assert g is None or g.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32
    hv = tl.hvp(lambda a, b: (F32_OPS[name](a, b) ** 2).sum(), [a, b], [Tensor.ones_like(a), Tensor.ones_like(b)])
    assert all(h.dtype == np.float32 for h in hv)


def test_float32_functional_and_losses_stay_float32():
    x = Tensor(R.standard_normal((2, 2, 5, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(R.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    h = F.conv2d(x, w, padding=1)
    h = F.max_pool2d(h, 3, 2, 1) + F.avg_pool2d(h, 3, 2, 1, count_include_pad=False)
    z = h.flatten(1)
    losses = [F.cross_entropy(z, np.array([1, 3]), label_smoothing=0.1), F.mse_loss(z, z.detach() * 0.5),
              F.binary_cross_entropy_with_logits(z, np.ones(z.shape, np.float32)),
              F.binary_cross_entropy(z.sigmoid(), Tensor.ones_like(z)),
              F.nll_loss(F.log_softmax(z, 1), np.array([0, 2])), F.dropout(z, 0.3).sum()]
    for loss in losses:
        assert loss.dtype == np.float32
        gx, gw = tl.grad(loss, [x, w], retain_graph=True)
        assert gx.dtype == np.float32 and gw.dtype == np.float32


def test_mixed_precision_promotes_and_grads_keep_leaf_dtype():
    a = Tensor(np.ones(3, np.float32), requires_grad=True)
    b = Tensor(np.full(3, 2.0), requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2, 2])
    assert (Tensor(np.ones(2)) * 2.5).dtype == np.float64
    assert (2.5 * Tensor(np.ones(2, np.float32))).dtype == np.float32


def test_cast_gradient_and_int_cast_not_differentiable():
    x = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 2).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])
    i = (x * 2).long()
    assert i.dtype == np.int64 and not i.requires_grad
    assert not (x > 0).requires_grad and (x > 0).dtype == np.bool_

"""Elementwise ops (tinygrad_lr/ops/elementwise.py): binary and unary ops, Python scalars on either side,
broadcasting (with hypothesis), where; first-order gradcheck and second-order gradgradcheck in float64."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import tinygrad_lr as tl
from tinygrad_lr import Tensor
from tinygrad_lr.gradcheck import gradcheck, gradgradcheck

from helpers import check, distinct, t


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


# ---- issue 10: torch's values at the corners ------------------------------------------------------------------
def test_pow_at_a_zero_base_matches_torch():
    """d(a**b)/db = a**b·log a is 0·(-inf) at a = 0: torch takes 0 there (for b >= 0); one zero base must not turn
    the exponent's whole gradient into nan. d/da at a = 0 follows b·a^(b-1): 0 for b = 2, 1 for b = 1, inf for
    b = 0.5, 0 for b = 0."""
    a = Tensor(np.array([0.0, 0.0, 0.0, 0.0, 2.0, 0.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 1.0, 0.5, 0.0, 0.0, -1.0]), requires_grad=True)
    with np.errstate(divide="ignore"):
        y = a ** b
        np.testing.assert_array_equal(y.numpy(), [0, 0, 0, 1, 1, np.inf])
        ga, gb = tl.grad(y.sum(), [a, b])
    np.testing.assert_array_equal(ga.numpy(), [0, 1, np.inf, 0, 0, -np.inf])
    np.testing.assert_array_equal(gb.numpy(), [0, 0, 0, 0, math.log(2), -np.inf])
    w = Tensor(np.array([0.0, 1.5, 2.0]), requires_grad=True)
    s = Tensor(np.array(1.7), requires_grad=True)
    (w ** s).sum().backward()  # the exponent's gradient sums over the bases, the zero one included
    assert np.isfinite(s.grad.item()) and s.grad.item() == pytest.approx(1.5 ** 1.7 * math.log(1.5) + 2 ** 1.7
                                                                           * math.log(2), rel=1e-12)


@pytest.mark.parametrize("expo", [2.0, 3.0, 1.5])
def test_pow_zero_base_first_and_second_order(expo):
    """Around a zero base (b constant: x**2, x**3; x**1.5 on x >= 0) the first and second derivatives are finite
    and right: central differences in float64 agree, and so does forward mode."""
    x = Tensor(np.array([0.0, 0.7, 1.3]), requires_grad=True)
    g, = tl.grad((x ** expo).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), expo * x.numpy() ** (expo - 1), rtol=1e-12)
    with np.errstate(divide="ignore"):
        h, = tl.grad(g.sum(), x)
    if expo != 1.5:  # 1.5·0.5·x^-0.5 is inf at 0
        np.testing.assert_allclose(h.numpy(), expo * (expo - 1) * x.numpy() ** (expo - 2), rtol=1e-12)
    b = Tensor(np.array(expo), requires_grad=True)
    x2 = Tensor(np.array([0.0, 0.7, 1.3]), requires_grad=True)
    gb, = tl.grad((x2 ** b).sum(), b, create_graph=True)  # d/db with a zero base: finite, the zero adds nothing
    assert gb.item() == pytest.approx(sum(v ** expo * math.log(v) for v in (0.7, 1.3)), rel=1e-12)
    hb, = tl.grad(gb, b)
    assert hb.item() == pytest.approx(sum(v ** expo * math.log(v) ** 2 for v in (0.7, 1.3)), rel=1e-12)
    check(lambda a, b: a ** b, t(2, 3, lo=0.5, hi=2.0), t(3))
    jv, = tl.jvp((x2 ** b).sum(), [x2, b], [Tensor(np.zeros(3)), Tensor(np.array(1.0))])
    assert jv.item() == pytest.approx(gb.item(), rel=1e-12)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_propagate_nan_whatever_the_order(name):
    a = Tensor(np.array([np.nan, 1.0, 2.0, np.nan]))
    b = Tensor(np.array([1.0, np.nan, 0.5, np.nan]))
    for x, y in ((a, b), (b, a)):
        out = getattr(x, name)(y).numpy()
        assert np.isnan(out[:2]).all() and np.isnan(out[3])
    assert getattr(a, name)(b).numpy()[2] == (2.0 if name == "maximum" else 0.5)
    assert np.isnan(getattr(a, name)(0.0).numpy()[0]) and np.isnan(getattr(b, name)(0.0).numpy()[1])
    assert np.isnan(getattr(Tensor(0.0), name)(a).numpy()[0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_the_gradient_at_ties(name):
    a = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 3.0, 2.0]), requires_grad=True)
    getattr(a, name)(b).sum().backward()
    big = [0.5, 0.0, 1.0] if name == "maximum" else [0.5, 1.0, 0.0]
    np.testing.assert_array_equal(a.grad.numpy(), big)
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0 - big[1], 1.0 - big[2]])
    x = Tensor(np.array([0.5, 1.0, 1.5]), requires_grad=True)
    getattr(x, name)(1.0).sum().backward()  # a Python scalar: the tied element gets half
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 1] if name == "maximum" else [1, 0.5, 0])
    y = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    getattr(y, name)(y).sum().backward()  # max(y, y) = y: the halves add up to 1
    np.testing.assert_array_equal(y.grad.numpy(), [1, 1])


def test_maximum_minimum_dtype_and_broadcast():
    a = Tensor(np.array([[1, 5]], np.int64))
    assert a.maximum(3).dtype == np.int64 and a.maximum(2.5).dtype == np.float32
    assert Tensor(np.ones(2, np.float32)).minimum(Tensor(np.array(0.5))).dtype == np.float32
    np.testing.assert_array_equal(a.maximum(Tensor(np.array([[2], [7]]))).numpy(), [[2, 5], [7, 7]])


def test_sign_is_differentiable_with_zero_gradient():
    x = Tensor(np.array([-2.0, 0.0, 3.0, -0.5]), requires_grad=True)
    y = x.sign()
    np.testing.assert_array_equal(y.numpy(), [-1, 0, 1, -1])
    assert y.requires_grad and y.dtype == np.float64
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0])
    g, = tl.grad((x.sign() * x * x).sum(), x, create_graph=True)  # d(sign(x)·x²) = 2|x| away from 0
    np.testing.assert_array_equal(g.numpy(), 2 * np.abs(x.numpy()))
    h, = tl.grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), 2 * np.sign(x.numpy()))
    check(lambda x: x.sign() * x ** 3, t(2, 3, away=0.1))
    jv, = tl.jvp(x.sign().sum(), x, Tensor(np.ones(4)))
    assert jv.item() == 0
    assert Tensor(np.array([-3, 0, 2])).sign().numpy().tolist() == [-1, 0, 1]


# ---- issue 10: the unary ops and activations a PyTorch user reaches for ---------------------------------------------
MORE_UNARY = {
    "neg_method": (lambda x: x.neg(), {}, lambda a: -a),
    "reciprocal": (lambda x: x.reciprocal(), dict(away=0.5), lambda a: 1 / a),
    "rsqrt": (lambda x: x.rsqrt(), dict(lo=0.3, hi=2.0), lambda a: 1 / np.sqrt(a)),
    "log1p": (lambda x: x.log1p(), dict(lo=-0.5, hi=2.0), np.log1p),
    "expm1": (lambda x: x.expm1(), {}, np.expm1),
    "sin": (lambda x: x.sin(), {}, np.sin),
    "cos": (lambda x: x.cos(), {}, np.cos),
    "erf": (lambda x: x.erf(), {}, np.vectorize(math.erf)),
    "leaky_relu": (lambda x: x.leaky_relu(), dict(away=0.1), lambda a: np.where(a > 0, a, 0.01 * a)),
    "leaky_relu_0.2": (lambda x: x.leaky_relu(0.2), dict(away=0.1), lambda a: np.where(a > 0, a, 0.2 * a)),
    "softplus": (lambda x: x.softplus(), {}, lambda a: np.log1p(np.exp(a))),
    "softplus_beta": (lambda x: x.softplus(beta=2.0, threshold=1.0), dict(away=0.1),
                      lambda a: np.where(2 * a > 1, a, np.log1p(np.exp(2 * a)) / 2)),
    "gelu": (lambda x: x.gelu(), {}, lambda a: a * 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))),
    "gelu_tanh": (lambda x: x.gelu(approximate="tanh"), {},
                  lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    "elu": (lambda x: x.elu(), dict(away=0.1), lambda a: np.where(a > 0, a, np.expm1(a))),
    "elu_alpha": (lambda x: x.elu(alpha=0.5), dict(away=0.1), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a))),
    "silu": (lambda x: x.silu(), {}, lambda a: a / (1 + np.exp(-a))),
}


@pytest.mark.parametrize("name", sorted(MORE_UNARY))
def test_more_unary_values_grad_gradgrad(name):
    fn, kw, ref = MORE_UNARY[name]
    x = t(2, 3, **kw)
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-12, atol=1e-14)
    check(fn, x)
    if name in ("sin", "erf", "gelu", "silu"):  # float32 keeps its dtype
        assert fn(Tensor(x.numpy().astype(np.float32))).dtype == np.float32


def test_erf_accuracy_over_the_whole_range():
    a = np.linspace(-7, 7, 20001)
    np.testing.assert_allclose(Tensor(a).erf().numpy(), [math.erf(v) for v in a], rtol=0, atol=3e-15)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_values_and_zero_gradient(name):
    a = np.array([-2.5, -1.5, -0.4, 0.5, 1.5, 2.5, 2.7])
    x = Tensor(a, requires_grad=True)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.numpy(), getattr(np, name)(a))  # round: half to even, as torch
    g, = tl.grad((y * y).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), 0)
    gg, = tl.grad((g * x).sum(), x, allow_unused=True)
    assert gg is None or not gg.numpy().any()


def test_round_decimals():
    np.testing.assert_allclose(Tensor(np.array([1.2345, -2.5551])).round(decimals=2).numpy(), [1.23, -2.56])


def test_softplus_and_elu_extremes_stay_finite():
    x = Tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]), requires_grad=True)
    y = x.softplus()
    np.testing.assert_allclose(y.numpy(), [0, np.log1p(np.exp(-30.0)), np.log(2), 30, 1000], rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / (1 + np.exp(30.0)), 0.5, 1, 1], rtol=1e-12)
    x.grad = None
    e = x.elu()
    e.sum().backward()
    assert np.isfinite(e.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [0, np.exp(-30.0), 1, 1, 1])  # at 0: the left branch, as torch


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_comparison_methods(name):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    got = getattr(Tensor(a), name)(Tensor(b))
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), getattr(np, {"lt": "less", "le": "less_equal", "gt": "greater",
                                                             "ge": "greater_equal", "eq": "equal",
                                                             "ne": "not_equal"}[name])(a, b))
    np.testing.assert_array_equal(getattr(Tensor(a), name)(2.0).numpy(), got.numpy())

"""dtype rules across ops and functionals: constructor dtypes, float32 stays float32 through values, gradients
and HVPs, mixed precision promotes while each leaf's gradient keeps the leaf's dtype, casts."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.tensor import result_type  # tl.tensor is the function torch.tensor, as torch

from helpers import R


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
    "reduce": lambda a, b: (a.mean(0) + b.var(0) + a.max(0).values + b.std(0) + a.min(0).values + b.sum(0)
                           + a.amax(0) - b.amin(0)),
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


# ---- issue 10: torch's promotion, not NumPy's (tensor.result_type) ----------------------------------------------
f32, f64, i64 = np.float32, np.float64, np.int64
PROMOTION = [  # (left, right, torch's result); arrays are dimensioned tensors, np.array(x) 0-d ones
    (np.ones(2, f32), np.array(2.0), f32),          # a 0-d float64 tensor does not widen float32
    (np.ones(2, f32), np.arange(2), f32),           # float32 + int64 tensor
    (np.arange(3), 0.5, f32),                       # int tensor * Python float: the default float dtype
    (np.arange(3), 2, i64),
    (np.ones(2, np.int8), 1000 // 10, np.int8),     # a Python int does not widen an int tensor
    (np.ones(2, np.int32), np.array(5), np.int32),  # nor does a 0-d int64 tensor
    (np.ones(2, np.int32), np.arange(2), i64),      # two dimensioned ints: NumPy's rule, as torch
    (np.ones(2, bool), 1, i64),
    (np.ones(2, bool), 1.5, f32),
    (np.ones(2, bool), np.ones(2, bool), bool),
    (np.arange(2), np.array(2.0), f64),             # a 0-d float tensor lifts an int tensor to its own dtype
    (np.ones(2, f32), np.ones(2), f64),             # two dimensioned floats: the wider (gradient checks)
    (np.ones(2), 2.5, f64),
    (np.ones(2, np.float16), 2.5, np.float16),
    (np.array(2.0, f32), 2.5, f32),
    (np.array(2, np.int32), 2.5, f32),
    (np.array(2.0, f32), np.array(3.0), f64),       # both 0-d: promoted between themselves
]


@pytest.mark.parametrize("left,right,want", PROMOTION, ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("op", ["+", "-", "*"])
def test_promotion_follows_torch(left, right, want, op):
    a = Tensor(left)
    b = Tensor(right) if isinstance(right, np.ndarray) else right
    assert result_type(a, b) == want and result_type(b, a) == want
    if want == bool and op == "-":
        return  # bool - bool is an error, in torch as in NumPy
    for x, y in ((a, b), (b, a)):
        out = eval(f"x {op} y")
        assert out.dtype == want, (x, op, y, out.dtype)
        xa, ya = (np.asarray(v.data if isinstance(v, Tensor) else v, dtype=want) for v in (x, y))
        np.testing.assert_array_equal(out.numpy(), eval(f"xa {op} ya"))


def test_true_division_of_integers_gives_float32():
    a, b = Tensor.arange(1, 4), Tensor(np.array([2, 4, 8]))
    for out in (a / b, a / 2, 6 / a, Tensor(np.ones(2, bool)) / 2):
        assert out.dtype == np.float32
    np.testing.assert_allclose((a / b).numpy(), [0.5, 0.5, 0.375])
    np.testing.assert_allclose((6 / a).numpy(), [6, 3, 2])
    assert (Tensor.arange(3) * 0.5).dtype == np.float32 and (Tensor.arange(3) * 0.5).numpy().tolist() == [0, .5, 1]
    assert (Tensor(np.ones(2)) / Tensor.arange(1, 3)).dtype == np.float64


def test_promotion_in_where_maximum_and_gradients_keep_leaf_dtypes():
    x = Tensor(R.standard_normal(3).astype(np.float32), requires_grad=True)
    s = Tensor(np.array(2.0), requires_grad=True)  # a 0-d float64 leaf
    y = x * s + s
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and s.grad.dtype == np.float64
    np.testing.assert_allclose(s.grad.item(), x.numpy().astype(np.float64).sum() + 3, rtol=1e-6)
    assert Tensor.where(x.data > 0, x, Tensor(np.array(0.0))).dtype == np.float32
    assert Tensor.where(np.array([True, False]), Tensor.arange(2), 0.5).dtype == np.float32
    assert Tensor.where(np.array([True, False]), 1.0, 0.0).dtype == np.float32
    assert x.maximum(Tensor(np.array(0.0))).dtype == np.float32 and x.minimum(np.arange(3)).dtype == np.float32
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.array(3.0), requires_grad=True)
    assert (a * b).dtype == np.float64  # float64 + float64 stays float64: the float64 checks are unchanged
    assert tl.gradcheck.gradcheck(lambda a, b: a * b + b ** a, [a, b])

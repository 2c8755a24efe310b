"""Forward mode (tl.jvp through the recorded graph) against central differences, for every op family, and
the generic double-VJP default rule for an op that defines only a backward."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.autograd import Function

R = np.random.default_rng(0)


def _t(*s, pos=False):
    a = R.standard_normal(s)
    return np.abs(a) + 0.5 if pos else a


CASES = {
    "add_bcast": (lambda a, b: a + b, [_t(3, 1, 4), _t(2, 1)]),
    "sub_mul_div": (lambda a, b: (a - b) * a / (b * b + 1), [_t(3, 4), _t(4)]),
    "pow": (lambda a, b: a ** b + 2 ** a + a ** 3, [_t(3, 4, pos=True), _t(4)]),
    "unary": (lambda a: a.exp() + a.abs().log() + a.abs().sqrt() + a.tanh() + a.sigmoid() + a.relu() - (-a)
              + a.sign() * a, [_t(5)]),
    "clip_max_min": (lambda a, b: a.clip(-0.5, 0.5) + a.maximum(b) * a.minimum(b), [_t(3, 4), _t(4)]),
    "where": (lambda a, b: Tensor.where(a.data > 0, a * a, b), [_t(4), _t(4)]),
    "reduce": (lambda a: a.sum((0, 2), keepdim=True) * a.max(1, keepdim=True).values + a.var(1, keepdim=True)
               + a.amax((0, 2), keepdim=True) - a.amin(-1, keepdim=True) + a.min(0).values, [_t(2, 3, 4)]),
    "movement": (lambda a: a.reshape(4, 6).T[1:, ::2].pad((1, 1)).flatten().expand(2, 20), [_t(2, 3, 4)]),
    "index_cat": (lambda a, b: Tensor.cat([a[np.array([0, 0, 2])], b], 0) ** 2, [_t(3, 2), _t(1, 2)]),
    "matmul": (lambda a, b: a @ b, [_t(2, 3, 4), _t(4, 5)]),
    "conv_pool": (lambda x, w: F.max_pool2d(F.conv2d(x, w, stride=1, padding=1), 2, 2, 1) + 0, [_t(1, 2, 5, 5), _t(3, 2, 3, 3)]),
    "avgpool": (lambda x: F.avg_pool2d(x, 3, 2, 1), [_t(1, 2, 5, 5)]),
    "losses": (lambda x: F.cross_entropy(x, np.array([0, 2, 1]), label_smoothing=0.1) + F.log_softmax(x, 1).sum(),
               [_t(3, 4)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_jvp_matches_central_differences(name):
    fn, arrays = CASES[name]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    vs = [R.standard_normal(a.shape) for a in arrays]
    out = fn(*xs)
    (d,) = tl.jvp(out, xs, [Tensor(v) for v in vs])
    eps = 1e-6
    plus = fn(*[Tensor(a + eps * v) for a, v in zip(arrays, vs)]).numpy()
    minus = fn(*[Tensor(a - eps * v) for a, v in zip(arrays, vs)]).numpy()
    np.testing.assert_allclose(d.numpy(), (plus - minus) / (2 * eps), rtol=1e-5, atol=1e-6)


def test_jvp_is_differentiable_again():
    x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    y = (x * x * x).sum()
    (d,) = tl.jvp(y, x, Tensor(np.ones(3)), create_graph=True)  # Σ 3x²
    (g,) = tl.grad(d, x)
    np.testing.assert_allclose(g.numpy(), 6 * x.numpy())


class Square(Function):  # defines only forward and backward: jvp comes from the double-VJP default
    def forward(self, a):
        return a * a

    def backward(self, g, out, needs):
        return g * 2.0 * self.parents[0]


def test_default_jvp_rule_via_double_vjp():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    (d,) = tl.jvp(Square.apply(x), x, Tensor(np.array([1.0, 0.5, -1.0])))
    np.testing.assert_allclose(d.numpy(), [2.0, -2.0, -6.0])


def test_jvp_unused_output_and_bad_tangent():
    x, y = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    d, e = tl.jvp([x * 2, y * 3], [x], [Tensor(np.ones(2))])
    np.testing.assert_allclose(d.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(e.numpy(), 0.0)
    with pytest.raises(ValueError, match=r"tangent of shape \(3,\) for an input of shape \(2,\)"):
        tl.jvp(x * 2, x, Tensor(np.ones(3)))


def test_jvp_through_cast():
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    (d,) = tl.jvp(x.cast(np.float32) * 2.0, x, Tensor(np.array([1.0, 3.0])))
    assert d.dtype == np.float32
    np.testing.assert_allclose(d.numpy(), [2.0, 6.0])

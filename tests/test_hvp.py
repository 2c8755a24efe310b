"""Hessian-vector products by double backprop, against exact Hessians and central differences of gradients."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, hvp


def T(a, rg=False):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def fd_hvp(f, xs, vs, eps=1e-5):
    """Central difference of the gradient along v: (∇f(x + εv) - ∇f(x - εv)) / 2ε, per input."""
    def gradient(sign):
        pts = [T(x.numpy() + sign * eps * v.numpy(), True) for x, v in zip(xs, vs)]
        return [g.numpy() for g in tl.grad(f(*pts), pts)]
    return [(p - m) / (2 * eps) for p, m in zip(gradient(1), gradient(-1))]


def test_quadratic_form_hessian_is_A():
    r = np.random.default_rng(0)
    M = r.standard_normal((5, 5))
    A = M + M.T
    x = T(r.standard_normal(5), True)
    f = lambda x: 0.5 * (x @ (T(A) @ x))  # noqa: E731
    for k in range(5):  # H e_k = A[:, k], so the columns rebuild A exactly
        e = np.zeros(5)
        e[k] = 1.0
        hv, = hvp(f(x), x, T(e))
        np.testing.assert_allclose(hv.numpy(), A[:, k], rtol=1e-12, atol=1e-12)
    v = r.standard_normal(5)
    hv, = hvp(f, x, T(v))
    np.testing.assert_allclose(hv.numpy(), A @ v, rtol=1e-12)
    # the same on a matrix-shaped input: f(X) = 0.5 tr(Xᵀ A X), H·V = A V
    X, V = T(r.standard_normal((5, 2)), True), r.standard_normal((5, 2))
    hv, = hvp(lambda X: 0.5 * (X * (T(A) @ X)).sum(), X, T(V))
    np.testing.assert_allclose(hv.numpy(), A @ V, rtol=1e-12)


def rosenbrock(x, n):
    return sum(100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2 for i in range(n - 1))


def rosenbrock_hessian(x):
    n = len(x)
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i + 1, i + 1] += 200
        H[i, i + 1] -= 400 * x[i]
        H[i + 1, i] -= 400 * x[i]
    return H


@pytest.mark.parametrize("n", [2, 5])
@pytest.mark.parametrize("point", [0, 1, 2])
def test_rosenbrock_hvp_exact(n, point):
    r = np.random.default_rng(point)
    xv = [np.ones(n), np.full(n, -1.2), r.uniform(-2, 2, n)][point]
    v = r.standard_normal(n)
    H = rosenbrock_hessian(xv)
    x = T(xv, True)
    hv1, = hvp(rosenbrock(x, n), x, T(v))
    hv2, = hvp(lambda x: rosenbrock(x, n), [x], [T(v)])
    np.testing.assert_allclose(hv1.numpy(), H @ v, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(hv2.numpy(), H @ v, rtol=1e-10, atol=1e-9)
    # the vectorised form of the same function, and a multi-tensor split of its input
    xs = T(xv, True)
    vec = lambda z: (100.0 * (z[1:] - z[:-1] ** 2) ** 2 + (1.0 - z[:-1]) ** 2).sum()  # noqa: E731
    hv3, = hvp(vec, xs, T(v))
    np.testing.assert_allclose(hv3.numpy(), H @ v, rtol=1e-10, atol=1e-9)
    if n == 2:
        a, b = T(xv[:1], True), T(xv[1:], True)
        ha, hb = hvp(lambda a, b: vec(Tensor.cat([a, b])), (a, b), (T(v[:1]), T(v[1:])))
        np.testing.assert_allclose(np.concatenate([ha.numpy(), hb.numpy()]), H @ v, rtol=1e-10, atol=1e-9)


def mlp_loss(x, y):
    def f(W1, b1, W2, b2):
        h = F.linear(x, W1, b1).tanh()
        return F.mse_loss(F.linear(h, W2, b2), y)
    return f


def test_two_layer_tanh_mlp_hvp_vs_central_differences():
    r = np.random.default_rng(1)
    x, y = T(r.standard_normal((6, 3))), T(r.standard_normal((6, 2)))
    params = [T(r.standard_normal(s) * 0.7, True) for s in [(4, 3), (4,), (2, 4), (2,)]]
    vs = [T(r.standard_normal(p.shape)) for p in params]
    f = mlp_loss(x, y)
    want = fd_hvp(f, params, vs)
    got_f = hvp(f, params, vs)
    got_t = hvp(f(*params), params, vs)
    assert isinstance(got_f, tuple) and len(got_f) == 4
    for gf, gt, w, p in zip(got_f, got_t, want, params):
        assert gf.shape == p.shape and gf.dtype == np.float64
        np.testing.assert_allclose(gf.numpy(), w, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(gt.numpy(), w, rtol=1e-6, atol=1e-8)
    # a single tensor input (the others held constant): the first block of the full HVP with v = (v1, 0, 0, 0)
    W1 = T(params[0].numpy(), True)
    got1, = hvp(lambda W1: f(W1, *params[1:]), W1, vs[0])
    want1 = fd_hvp(lambda W1: f(W1, *params[1:]), [W1], [vs[0]])[0]
    np.testing.assert_allclose(got1.numpy(), want1, rtol=1e-6, atol=1e-8)


def test_hvp_is_linear_and_symmetric():
    r = np.random.default_rng(2)
    x, y = T(r.standard_normal((5, 3))), T(r.standard_normal((5, 2)))
    params = [T(r.standard_normal(s) * 0.7, True) for s in [(4, 3), (4,), (2, 4), (2,)]]
    f = mlp_loss(x, y)
    u = [r.standard_normal(p.shape) for p in params]
    w = [r.standard_normal(p.shape) for p in params]
    Hu = hvp(f, params, [T(a) for a in u])
    Hw = hvp(f, params, [T(a) for a in w])
    Huw = hvp(f, params, [T(2 * a - 3 * b) for a, b in zip(u, w)])
    for a, b, c in zip(Hu, Hw, Huw):
        np.testing.assert_allclose(c.numpy(), 2 * a.numpy() - 3 * b.numpy(), rtol=1e-9, atol=1e-12)
    # wᵀ H u == uᵀ H w
    lhs = sum((a * h.numpy()).sum() for a, h in zip(w, Hu))
    rhs = sum((a * h.numpy()).sum() for a, h in zip(u, Hw))
    assert lhs == pytest.approx(rhs, rel=1e-9)


def test_conv_maxpool_linear_net_hvp_vs_central_differences():
    r = np.random.default_rng(3)
    x = T(r.standard_normal((2, 2, 6, 6)))
    target = np.array([1, 0])
    params = [T(r.standard_normal(s) * 0.5, True) for s in [(3, 2, 3, 3), (3,), (3, 27), (3,)]]

    def f(Wc, bc, Wl, bl):
        h = F.conv2d(x, Wc, bc, padding=1).tanh()      # (2, 3, 6, 6)
        h = F.max_pool2d(h, 3, 2, 1)                   # (2, 3, 3, 3)
        return F.cross_entropy(F.linear(h.flatten(1), Wl, bl), target)

    vs = [T(r.standard_normal(p.shape)) for p in params]
    want = fd_hvp(f, params, vs)
    got = hvp(f, params, vs)
    got_t = hvp(f(*params), params, vs)
    for g, gt, w in zip(got, got_t, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(gt.numpy(), w, rtol=1e-5, atol=1e-7)


def test_hvp_linear_function_gives_zeros_and_unused_inputs():
    x, z = T([1.0, 2.0], True), T([3.0], True)
    h, = hvp(lambda x: (x * 3.0).sum(), x, T([1.0, 1.0]))
    np.testing.assert_array_equal(h.numpy(), [0, 0])
    hx, hz = hvp(lambda x, z: (x ** 3).sum(), [x, z], [T([1.0, -1.0]), T([1.0])])
    np.testing.assert_allclose(hx.numpy(), 6 * np.array([1.0, 2.0]) * np.array([1.0, -1.0]))
    np.testing.assert_array_equal(hz.numpy(), [0])


def test_hvp_leaves_grad_untouched_and_is_constant_by_default():
    x = T([1.0, 2.0], True)
    h, = hvp(lambda x: (x ** 3).sum(), x, T([1.0, 1.0]))
    assert x.grad is None and not h.requires_grad
    h2, = hvp(lambda x: (x ** 3).sum(), x, T([1.0, 0.0]), create_graph=True)
    assert h2.requires_grad  # differentiable again: d/dx of (H e0)_0 = d/dx 6 x0 = 6
    g, = tl.grad(h2[0], x, allow_unused=True)
    np.testing.assert_allclose(g.numpy(), [6.0, 0.0])


def test_hvp_float32_inputs():
    r = np.random.default_rng(4)
    M = r.standard_normal((4, 4)).astype(np.float32)
    A = M + M.T
    x = Tensor(r.standard_normal(4).astype(np.float32), requires_grad=True)
    v = Tensor(r.standard_normal(4).astype(np.float32))
    h, = hvp(lambda x: 0.5 * (x @ (Tensor(A) @ x)), x, v)
    assert h.dtype == np.float32
    np.testing.assert_allclose(h.numpy(), A @ v.numpy(), rtol=1e-5, atol=1e-5)

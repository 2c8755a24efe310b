"""Graph semantics: .grad accumulation, backward(gradient=), grad(), create_graph, grad modes, detach, long chains,
shared subexpressions, retain_graph, higher-order derivatives."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor, enable_grad, grad, no_grad


def leaf(*vals):
    return Tensor(np.array(vals, dtype=np.float64), requires_grad=True)


def test_grad_accumulates_across_backward_calls():
    x = leaf(1.0, 2.0, 3.0)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (x ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 12, 6 + 27])
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 5, 5])


def test_grad_attribute_is_owned_and_writable():
    x = leaf(1.0, 2.0, 3.0)
    x.sum().backward()  # the gradient of a sum is ones broadcast to x's shape: .grad must not be that view
    assert x.grad.shape == (3,) and not x.grad.requires_grad
    x.grad.data *= 2.0
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a + b).sum().backward()
    a.grad.data += 1.0
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1])
    # a + b hands both leaves the same (writable) gradient: each .grad must still be its own array
    a, b, w = leaf(1.0, 2.0), leaf(3.0, 4.0), Tensor(np.array([[1.0], [2.0]]))
    ((a + b) @ w).sum().backward()
    a.grad.data *= 10.0
    np.testing.assert_array_equal(b.grad.numpy(), [1, 2])
    c, d = leaf(1.0, 2.0, 3.0, 4.0), leaf(5.0, 6.0, 7.0, 8.0)
    (c.reshape(2, 2) + d.reshape(2, 2)).backward(Tensor(np.ones((2, 2))))
    c.grad.data[0] = 5.0
    np.testing.assert_array_equal(d.grad.numpy(), [1, 1, 1, 1])
    # nor with the gradient passed to backward()
    e = leaf(1.0, 2.0)
    u = Tensor(np.array([3.0, 4.0]))
    (e + 0.0).backward(u)
    e.grad.data[:] = 0.0
    np.testing.assert_array_equal(u.numpy(), [3, 4])


def test_leaf_and_non_leaf_grad():
    x = leaf(1.0, 2.0)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None and x.grad_fn is None
    y.sum().backward()
    assert y.grad is None  # non-leaves keep no .grad (as torch without retain_grad)
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])


def test_backward_with_gradient_for_non_scalar():
    x = leaf(1.0, 2.0, 3.0)
    y = x * x
    y.backward(gradient=Tensor(np.array([1.0, 0.5, -2.0])))
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, -12])
    x2 = leaf(1.0, 2.0)
    (x2.reshape(2, 1) * Tensor(np.ones((1, 3)))).backward(np.arange(6.0).reshape(2, 3))  # raw arrays too
    np.testing.assert_allclose(x2.grad.numpy(), [3, 12])


def test_grad_function_leaves_dot_grad_untouched():
    x, w = leaf(1.0, 2.0), leaf(3.0, -1.0)
    y = (x * w).sum()
    gx, gw = grad(y, [x, w], retain_graph=True)
    np.testing.assert_array_equal(gx.numpy(), [3, -1])
    np.testing.assert_array_equal(gw.numpy(), [1, 2])
    assert x.grad is None and w.grad is None
    x.grad = Tensor(np.array([10.0, 10.0]))
    gx2, = grad(y, x)
    np.testing.assert_array_equal(x.grad.numpy(), [10, 10])
    np.testing.assert_array_equal(gx2.numpy(), [3, -1])
    assert isinstance(grad(y.detach() * 0 + (x * x).sum(), x), tuple)


def test_grad_outputs_and_multiple_outputs():
    x = leaf(1.0, 2.0, 3.0)
    y1, y2 = x * x, x.exp()
    u1, u2 = np.array([1.0, -1.0, 0.5]), np.array([2.0, 0.0, 1.0])
    g, = grad([y1, y2], x, [Tensor(u1), Tensor(u2)])
    np.testing.assert_allclose(g.numpy(), u1 * 2 * x.numpy() + u2 * np.exp(x.numpy()))
    g, = grad(x * 3, x, grad_outputs=Tensor(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(g.numpy(), [3, 6, 9])


def test_grad_wrt_non_leaf_intermediate():
    x = leaf(1.0, 2.0)
    h = x * x          # dh/dx = 2x
    y = (h * 3.0).sum() + h.exp().sum()
    gh, gx = grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 3 + np.exp(h.numpy()))
    np.testing.assert_allclose(gx.numpy(), (3 + np.exp(h.numpy())) * 2 * x.numpy())
    h2 = x * 2
    z = (h2 * h2).sum()
    gh2, = grad(z, h2)
    np.testing.assert_allclose(gh2.numpy(), 2 * h2.numpy())
    assert x.grad is None


def test_grad_allow_unused():
    x, z = leaf(1.0), leaf(2.0)
    y = (x * 3).sum()
    gx, gz = grad(y, [x, z], allow_unused=True)
    assert gz is None
    np.testing.assert_array_equal(gx.numpy(), [3])


def test_create_graph_false_records_nothing():
    x = leaf(1.0, 2.0)
    y = (x.exp() * x).sum()
    g, = grad(y, x)
    assert not g.requires_grad and g.grad_fn is None
    x2 = leaf(1.0, 2.0)
    (x2 ** 3).sum().backward()
    assert not x2.grad.requires_grad and x2.grad.grad_fn is None
    g2, = grad((x2 ** 3).sum(), x2, create_graph=True)
    assert g2.requires_grad and g2.grad_fn is not None
    np.testing.assert_allclose(g2.numpy(), 3 * x2.numpy() ** 2)


def test_backward_create_graph_gives_differentiable_grad():
    x = leaf(2.0)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g2, = grad(x.grad.sum(), x)
    np.testing.assert_allclose(g2.numpy(), [12.0])


def test_no_grad_and_enable_grad_context_managers_nested():
    x = leaf(1.0)
    assert tl.is_grad_enabled()
    with no_grad():
        assert not tl.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None
        with enable_grad():
            assert tl.is_grad_enabled()
            z = x * 2
            assert z.requires_grad
            with no_grad():
                assert not (x * 2).requires_grad
            assert (x * 2).requires_grad
        assert not tl.is_grad_enabled()
    assert tl.is_grad_enabled() and (x * 2).requires_grad


def test_grad_mode_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert tl.is_grad_enabled()


def test_no_grad_and_enable_grad_as_decorators():
    x = leaf(1.0)

    @no_grad()
    def f(t):
        assert not tl.is_grad_enabled()
        return g(t), t * 2

    @enable_grad()
    def g(t):
        assert tl.is_grad_enabled()
        return t * 3

    inner, outer = f(x)
    assert inner.requires_grad and not outer.requires_grad
    assert tl.is_grad_enabled()
    assert f.__name__ == "f"


def test_detach():
    x = leaf(1.0, 2.0)
    y = x * x
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), y.numpy())
    z = (d * x).sum()  # d is a constant: dz/dx = d = x^2, not 3x^2
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 4])


def test_long_chain_backprop_without_recursion_error():
    x = leaf(0.5)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000], rtol=1e-9)


def test_long_chain_grad_of_grad():
    x = leaf(0.3)
    y = x
    for _ in range(3_000):
        y = y * 0.999 + x * x * 1e-4
    # y_n is quadratic in x: y = a x + b x^2 with b = 1e-4 * sum_k 0.999^k
    a = 0.999 ** 3000
    b = 1e-4 * sum(0.999 ** k for k in range(3000))
    g, = grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [a + 2 * b * 0.3], rtol=1e-9)
    h, = grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), [2 * b], rtol=1e-9)


def test_diamond_graph_accumulates():
    x = leaf(1.5, -2.0)
    a = x * 2          # shared subexpression used on three paths
    b = a.exp()
    c = a * a
    y = (b + c + a).sum()
    y.backward()
    xv = x.numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * xv) + 8 * xv + 2)
    x2 = leaf(0.7)
    s = x2 + x2 + x2 * x2  # the same leaf several times in one op
    s.sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), [2 + 2 * 0.7])


def test_retain_graph_allows_second_backward():
    x = leaf(1.0, 2.0)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_third_and_fourth_order_derivatives():
    xv = np.array([0.0, 0.5, -1.5, 2.0])
    x = Tensor(xv, requires_grad=True)
    y = (x ** 4).sum()
    g1, = grad(y, x, create_graph=True)
    g2, = grad(g1.sum(), x, create_graph=True)
    g3, = grad(g2.sum(), x, create_graph=True)
    np.testing.assert_allclose(g1.numpy(), 4 * xv ** 3)
    np.testing.assert_allclose(g2.numpy(), 12 * xv ** 2)
    np.testing.assert_allclose(g3.numpy(), 24 * xv)
    g4, = grad(g3.sum(), x, create_graph=True)
    np.testing.assert_allclose(g4.numpy(), np.full(4, 24.0))
    g5, = grad(g4.sum(), x, allow_unused=True)
    assert g5 is None or np.array_equal(g5.numpy(), np.zeros(4))


def test_third_order_transcendental():
    xv = np.array([0.3, -0.8])
    x = Tensor(xv, requires_grad=True)
    g = x.tanh().sum()
    for _ in range(3):
        g, = grad(g.sum(), x, create_graph=True)
    t = np.tanh(xv)
    # d^3/dx^3 tanh = -2 (1 - t^2)(1 - 3 t^2)
    np.testing.assert_allclose(g.numpy(), -2 * (1 - t ** 2) * (1 - 3 * t ** 2), rtol=1e-12)


def test_requires_grad_propagation_and_constants():
    x = leaf(1.0)
    c = Tensor(np.array([2.0]))
    assert (x * c).requires_grad and not (c * c).requires_grad
    assert not x.detach().requires_grad
    x.requires_grad_(False)
    assert not (x * c).requires_grad


def test_tensor_numpy_item_repr():
    x = Tensor(np.array([[1.5, 2.0]]), requires_grad=True)
    assert Tensor(3.5).item() == 3.5
    assert x.numpy().shape == (1, 2) and x.tolist() == [[1.5, 2.0]]
    assert "requires_grad=True" in repr(x)
    assert x.ndim == 2 and x.numel() == 2 and len(x) == 1 and x.size() == (1, 2) and x.size(1) == 2


def test_no_grad_decorator_without_parentheses_and_on_methods():
    import tinygrad_lr as tl

    @tl.no_grad
    def f(x):
        return x * 2

    class A:
        @tl.no_grad
        def m(self, x):
            return x * 2

    x = tl.Tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad and not A().m(x).requires_grad and (x * 2).requires_grad
    assert f.__name__ == "f"

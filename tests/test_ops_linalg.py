"""Matrix product (tinygrad_lr/ops/linalg.py): every 1-D/2-D/batched shape combination against np.matmul,
NumPy constants on either side, Fortran-ordered operands; gradcheck and gradgradcheck in float64."""
import numpy as np
import pytest

from tinygrad_lr import Tensor

from helpers import R, check, t


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

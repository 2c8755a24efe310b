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


# ---- issue 10: diag, trace, triu, tril, outer, einsum -----------------------------------------------------------------
import tinygrad_lr as tl  # noqa: E402


LINALG = {
    "diag_of_vector": ((4,), lambda x: x.diag(), lambda a: np.diag(a)),
    "diag_of_vector_k1": ((3,), lambda x: x.diag(1), lambda a: np.diag(a, 1)),
    "diag_of_vector_k-2": ((3,), lambda x: x.diag(-2), lambda a: np.diag(a, -2)),
    "diag_of_matrix": ((3, 4), lambda x: x.diag(), lambda a: np.diag(a)),
    "diag_of_matrix_k1": ((3, 4), lambda x: x.diag(1), lambda a: np.diag(a, 1)),
    "diag_of_matrix_k-1": ((3, 4), lambda x: x.diag(-1), lambda a: np.diag(a, -1)),
    "trace": ((3, 4), lambda x: x.trace(), lambda a: np.trace(a)),
    "triu": ((3, 4), lambda x: x.triu(), lambda a: np.triu(a)),
    "triu_k1": ((2, 3, 4), lambda x: x.triu(1), lambda a: np.triu(a, 1)),
    "tril": ((3, 4), lambda x: x.tril(), lambda a: np.tril(a)),
    "tril_k-1": ((3, 4), lambda x: x.tril(-1), lambda a: np.tril(a, -1)),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_diag_trace_tri_values_grad_gradgrad(name):
    shape, fn, ref = LINALG[name]
    x = t(*shape)
    np.testing.assert_allclose(fn(x).numpy(), ref(x.numpy()), rtol=1e-14)
    check(fn, x)


def test_outer():
    a, b = t(3), t(4)
    np.testing.assert_allclose(a.outer(b).numpy(), np.outer(a.numpy(), b.numpy()))
    np.testing.assert_allclose(tl.outer(a, b).numpy(), np.outer(a.numpy(), b.numpy()))
    check(lambda a, b: a.outer(b), a, b)


EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
          ("i,i->", [(3,), (3,)]), ("i,j->ij", [(3,), (2,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
          ("ij->", [(2, 3)]), ("ij->ji", [(2, 3)]), ("ijk->k", [(2, 3, 2)]), ("iij->ij", [(2, 2, 3)]),
          ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]), ("...i,i", [(2, 3), (3,)]),
          ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("ab,ab->a", [(3, 2), (3, 2)]), ("ij,kj->", [(2, 3), (1, 3)]),
          ("i,j,k", [(2,), (2,), (3,)])]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_values_grad_gradgrad(eq, shapes):
    xs = [t(*s) for s in shapes]
    np.testing.assert_allclose(tl.einsum(eq, *xs).numpy(), np.einsum(eq, *[x.numpy() for x in xs]), rtol=1e-12)
    np.testing.assert_allclose(tl.einsum(eq, xs).numpy(), np.einsum(eq, *[x.numpy() for x in xs]), rtol=1e-12)
    check(lambda *xs: tl.einsum(eq, *xs), *xs)


def test_einsum_errors():
    with pytest.raises(ValueError, match="operands"):
        tl.einsum("ij,jk->ik", t(2, 3))
    with pytest.raises(ValueError, match="sizes"):
        tl.einsum("ij,jk->ik", t(2, 3), t(4, 2))

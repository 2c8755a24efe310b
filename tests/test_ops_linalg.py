"""Matrix product and the affine map of a linear layer (tinygrad_lr/ops/linalg.py): every 1-D/2-D/batched shape
combination against np.matmul, NumPy constants on either side, Fortran-ordered operands; the plain (array) backward
against the recorded one; gradcheck and gradgradcheck in float64; forward mode."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.ops.linalg import Affine

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


@pytest.mark.parametrize("sa,sb", MATMUL + [((4, 3), "F")], ids=str)
def test_matmul_plain_backward_equals_recorded_backward(sa, sb):
    """A plain backward computes the two products on arrays; recorded, in Tensor ops: the same values, shapes
    (batch dims summed by the walk) and memory order (a Fortran-ordered operand gets a Fortran-ordered gradient)."""
    if sb == "F":
        a, b = t(*sa), Tensor(np.asfortranarray(R.standard_normal((3, 5))), requires_grad=True)
    else:
        a, b = t(*sa), t(*sb)
    g = Tensor(R.standard_normal((a @ b).shape))
    plain = tl.grad(a @ b, (a, b), g)
    recorded = tl.grad(a @ b, (a, b), g, create_graph=True)
    for p, r, x in zip(plain, recorded, (a, b)):
        assert p.shape == r.shape == x.shape
        assert p.data.flags.f_contiguous == r.data.flags.f_contiguous
        np.testing.assert_allclose(p.numpy(), r.numpy(), rtol=1e-12, atol=1e-14)


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


# ---- the affine map of a linear layer (F.linear: one op) -------------------------------------------------------
LINEAR = [((5, 3), True), ((5, 3), False), ((3,), True), ((2, 4, 3), True), ((2, 1, 4, 3), False)]


@pytest.mark.parametrize("sx,bias", LINEAR, ids=str)
def test_linear_values_grad_gradgrad(sx, bias):
    x, w, b = t(*sx), t(4, 3), t(4)
    args = (x, w, b) if bias else (x, w)
    out = F.linear(*args)
    assert isinstance(out._ctx, Affine)  # one op, not transpose + matmul + add
    want = x.numpy() @ w.numpy().T + (b.numpy() if bias else 0)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    check(F.linear, *args)


@pytest.mark.parametrize("sx,bias", LINEAR, ids=str)
def test_linear_plain_backward_equals_recorded_backward(sx, bias):
    """The array formulas of a plain backward and the Tensor-op formulas recorded under create_graph agree (and
    the weight's gradient comes out C-ordered like the weight)."""
    x, w, b = t(*sx), t(4, 3), t(4)
    args = (x, w, b) if bias else (x, w)
    g = Tensor(R.standard_normal(F.linear(*args).shape))
    plain = tl.grad(F.linear(*args), args, g)
    recorded = tl.grad(F.linear(*args), args, g, create_graph=True)
    assert plain[1].data.flags.c_contiguous
    for p, r in zip(plain, recorded):
        assert p.shape == r.shape
        np.testing.assert_allclose(p.numpy(), r.numpy(), rtol=1e-12, atol=1e-14)


def test_linear_jvp_against_central_differences():
    x, w, b = t(3, 4), t(2, 4), t(2)
    tx, tw, tb = t(3, 4), t(2, 4), t(2)
    got = tl.jvp(F.linear(x, w, b), (x, w, b), (tx, tw, tb))[0].numpy()
    eps = 1e-6
    shift = lambda s: F.linear(*[Tensor(a.numpy() + s * eps * d.numpy()) for a, d in  # noqa: E731
                                 ((x, tx), (w, tw), (b, tb))]).numpy()
    np.testing.assert_allclose(got, (shift(1) - shift(-1)) / (2 * eps), rtol=1e-6, atol=1e-9)
    # one tangent at a time: the bias alone, the weight alone
    np.testing.assert_allclose(tl.jvp(F.linear(x, w, b), (b,), (tb,))[0].numpy(), np.broadcast_to(tb.numpy(), (3, 2)))
    np.testing.assert_allclose(tl.jvp(F.linear(x, w, b), (w,), (tw,))[0].numpy(), x.numpy() @ tw.numpy().T,
                               rtol=1e-12)


def test_linear_dtypes_and_shape_errors():
    x32 = Tensor(R.standard_normal((3, 4)).astype(np.float32))
    w32, b32 = Tensor(np.ones((2, 4), np.float32)), Tensor(np.ones(2, np.float32))
    assert F.linear(x32, w32, b32).dtype == np.float32
    assert F.linear(x32, w32.double(), b32).dtype == (x32.numpy() @ np.ones((4, 2))).dtype
    with pytest.raises(ValueError, match="in_features 4"):
        F.linear(Tensor(np.ones((3, 5))), w32)


# ---- issue 10: diag, trace, triu, tril, outer, einsum -----------------------------------------------------------------


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

"""The method table's second half (tinygrad_lr/methods.py: FUNCTIONS): torch's module-level names, tl.exp(x),
tl.cat([...]), tl.zeros(2, 3), tl.tensor(...), with torch's dtypes for tl.tensor."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor

from helpers import check, t


def test_tensor_infers_torch_dtypes():
    assert tl.tensor([1, 2]).dtype == np.int64
    assert tl.tensor(3).dtype == np.int64
    assert tl.tensor([1.5, 2]).dtype == np.float32
    assert tl.tensor([True, False]).dtype == np.bool_
    assert tl.tensor(np.ones(2, np.float64)).dtype == np.float64
    assert tl.tensor([1, 2], dtype=tl.float64).dtype == np.float64
    x = Tensor(np.ones(3), requires_grad=True)
    y = tl.tensor(x)
    assert not y.requires_grad and y.data is not x.data
    a = np.arange(3.0)
    assert tl.from_numpy(a).data is a
    assert tl.tensor([1.0], requires_grad=True).requires_grad
    assert tl.float is np.float32 and tl.long is np.int64 and tl.double is np.float64


def test_constructors():
    assert tl.zeros(2, 3).shape == (2, 3) and tl.ones((2,)).dtype == np.float32
    assert tl.full((2, 2), 7.0).numpy().tolist() == [[7, 7], [7, 7]]
    assert tl.arange(3).dtype == np.int64 and tl.arange(0, 1, 0.5).numpy().tolist() == [0, 0.5]
    np.testing.assert_allclose(tl.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert tl.eye(3).numpy().trace() == 3 and tl.empty(2, 2).shape == (2, 2)
    tl.manual_seed(3)
    a = tl.randn(4)
    tl.manual_seed(3)
    np.testing.assert_array_equal(tl.randn(4).numpy(), a.numpy())
    r = tl.randint(2, 5, (100,))
    assert r.dtype == np.int64 and r.numpy().min() >= 2 and r.numpy().max() < 5
    assert tl.randint(3, (2, 2)).shape == (2, 2)
    assert tl.zeros_like(a).shape == (4,) and tl.rand(2).shape == (2,) and tl.is_tensor(a) and not tl.is_tensor(1)


@pytest.mark.parametrize("name", ["exp", "sin", "cos", "tanh", "sigmoid", "log1p", "neg", "abs", "expm1", "erf"])
def test_unary_functions_are_the_methods(name):
    x = t(2, 3, lo=0.1, hi=1.0)
    np.testing.assert_array_equal(getattr(tl, name)(x).numpy(), getattr(x, name)().numpy())


def test_functions_with_arguments():
    x = t(3, 4)
    np.testing.assert_array_equal(tl.sum(x, 1).numpy(), x.sum(1).numpy())
    np.testing.assert_array_equal(tl.cat([x, x], 1).numpy(), np.concatenate([x.numpy()] * 2, 1))
    np.testing.assert_array_equal(tl.stack([x, x]).shape, (2, 3, 4))
    np.testing.assert_array_equal(tl.where(x > 0, x, 0.0).numpy(), np.where(x.numpy() > 0, x.numpy(), 0))
    np.testing.assert_array_equal(tl.matmul(x, x.T).numpy(), x.numpy() @ x.numpy().T)
    np.testing.assert_array_equal(tl.flip(x, (0,)).numpy(), x.numpy()[::-1])
    np.testing.assert_array_equal(tl.clamp(x, -0.5, 0.5).numpy(), np.clip(x.numpy(), -0.5, 0.5))
    np.testing.assert_array_equal(tl.transpose(x, 0, 1).numpy(), x.numpy().T)
    assert tl.numel(x) == 12 and tl.topk(x, 2).values.shape == (3, 2)
    with pytest.raises(TypeError, match="must be a Tensor"):
        tl.exp(1.0)
    check(lambda x: tl.einsum("ij,kj->ik", x, x), x)

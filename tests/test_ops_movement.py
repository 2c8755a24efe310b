"""Movement ops (tinygrad_lr/ops/movement.py): reshape, permute, expand, pad, every getitem form (basic,
advanced, boolean), cat and stack; values against NumPy, gradcheck and gradgradcheck in float64."""
import re

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor

from helpers import check, t


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


# ---- issue 10: dims out of range, empty lists, 0-d tensors, masks of the wrong shape -----------------------
OUT_OF_RANGE = {  # x is 2-D: valid dims [-2, 1] (unsqueeze, stack: [-3, 2])
    "cat": (lambda x: Tensor.cat([x, x], dim=5), 5, "[-2, 1]"),
    "cat_neg": (lambda x: Tensor.cat([x, x], dim=-3), -3, "[-2, 1]"),
    "stack": (lambda x: Tensor.stack([x, x], dim=3), 3, "[-3, 2]"),
    "permute": (lambda x: x.permute(0, 3), 3, "[-2, 1]"),
    "transpose": (lambda x: x.transpose(0, 2), 2, "[-2, 1]"),
    "unsqueeze": (lambda x: x.unsqueeze(5), 5, "[-3, 2]"),
    "unsqueeze_neg": (lambda x: x.unsqueeze(-4), -4, "[-3, 2]"),
    "squeeze": (lambda x: x.squeeze(4), 4, "[-2, 1]"),
    "squeeze_tuple": (lambda x: x.squeeze((0, 2)), 2, "[-2, 1]"),
    "flatten": (lambda x: x.flatten(3), 3, "[-2, 1]"),
    "flatten_end": (lambda x: x.flatten(0, -3), -3, "[-2, 1]"),
    "size": (lambda x: x.size(2), 2, "[-2, 1]"),
}


@pytest.mark.parametrize("name", sorted(OUT_OF_RANGE))
def test_out_of_range_dims_raise_index_error_naming_dim_and_range(name):
    fn, dim, rng = OUT_OF_RANGE[name]
    x = Tensor(np.ones((2, 1)))
    with pytest.raises(IndexError, match=re.escape(f"expected to be in range of {rng}, but got {dim})")):
        fn(x)


def test_in_range_negative_dims_still_work():
    x = t(2, 1, 3)
    assert Tensor.cat([x, x], dim=-3).shape == (4, 1, 3) and Tensor.stack([x, x], dim=-4).shape == (2, 2, 1, 3)
    assert x.unsqueeze(-4).shape == (1, 2, 1, 3) and x.squeeze(-2).shape == (2, 3) and x.squeeze(-1).shape == x.shape
    assert x.squeeze((0, 1)).shape == (2, 3) and x.flatten(-2).shape == (2, 3) and x.size(-1) == 3
    assert x.permute(-1, 0, -2).shape == (3, 2, 1) and x.transpose(-3, -1).shape == (3, 1, 2)
    check(lambda x: x.squeeze((0, 1)).unsqueeze(-1).flatten(-2) * 2.0, x)


def test_empty_lists_and_0d_tensors_as_torch():
    with pytest.raises(RuntimeError, match="non-empty list"):
        Tensor.cat([])
    with pytest.raises(RuntimeError, match="non-empty list"):
        Tensor.stack([])
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        Tensor.cat([Tensor(1.0), Tensor(2.0)])
    s = Tensor(np.array(2.0), requires_grad=True)
    for out in (s.squeeze(0), s.squeeze(-1), s.squeeze(), s.transpose(0, -1), s.permute()):
        assert out.shape == () and out.item() == 2.0
    assert s.unsqueeze(0).shape == (1,) and s.unsqueeze(-1).shape == (1,) and s.flatten().shape == (1,)
    assert Tensor.stack([s, s]).shape == (2,) and Tensor.stack([s, s], dim=-1).shape == (2,)
    with pytest.raises(IndexError, match=re.escape("range of [-1, 0], but got 1)")):
        s.squeeze(1)
    check(lambda s: s.squeeze(0).unsqueeze(-1) * 3.0, s)


@pytest.mark.parametrize("index", [
    "np.array([True, False])",               # 2 where dim 0 has 3
    "np.array([True, False, True, True])",   # 4 where dim 0 has 3
    "(slice(None), np.array([True]))",       # dim 1 has 2
    "np.ones((3, 3), bool)",                 # two dims (3, 2)
    "(Ellipsis, np.array([True, False, True]))",
    "Tensor(np.array([True, False]))",
])
def test_bool_mask_of_the_wrong_shape_raises_index_error(index):
    x = Tensor(np.arange(6.0).reshape(3, 2))
    with pytest.raises(IndexError, match="boolean mask of shape"):
        x[eval(index)]


def test_bool_masks_of_the_right_shape_index_as_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a, requires_grad=True)
    m1, m2, m3 = np.array([True, False]), np.array([True, False, True]), np.array([[True, False, True, False]] * 3)
    for idx in (m1, (slice(None), m2), (Ellipsis, m3[0]), (0, m3), (None, m1), (m1, Ellipsis, m3[1]),
                (slice(None), m3), a > 10):
        np.testing.assert_array_equal(x[idx].numpy(), a[idx])
    check(lambda x: x[:, m2, 1:] * x[:, m2, :-1], x)


# ---- issue 10: torch's shape and indexing methods -------------------------------------------------------------------
MORE_MOVEMENT = {
    "flip0": (lambda x: x.flip(0), lambda a: a[::-1]),
    "flip_tuple": (lambda x: x.flip((0, 2)), lambda a: a[::-1, :, ::-1]),
    "flip_args": (lambda x: x.flip(1, -1), lambda a: a[:, ::-1, ::-1]),
    "roll": (lambda x: x.roll(1, 0), lambda a: np.roll(a, 1, 0)),
    "roll_multi": (lambda x: x.roll((1, -2), (1, 2)), lambda a: np.roll(a, (1, -2), (1, 2))),
    "roll_flat": (lambda x: x.roll(3), lambda a: np.roll(a, 3)),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3))),
    "repeat_more_dims": (lambda x: x.repeat(2, 1, 1, 2), lambda a: np.tile(a, (2, 1, 1, 2))),
    "tile": (lambda x: x.tile((2,)), lambda a: np.tile(a, 2)),
    "movedim": (lambda x: x.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1)),
    "movedim_tuple": (lambda x: x.movedim((0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    "swapaxes": (lambda x: x.swapaxes(0, 2), lambda a: np.swapaxes(a, 0, 2)),
    "swapdims": (lambda x: x.swapdims(-1, 1), lambda a: np.swapaxes(a, -1, 1)),
    "narrow": (lambda x: x.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    "narrow_neg": (lambda x: x.narrow(0, -1, 1), lambda a: a[-1:]),
    "squeeze_tuple": (lambda x: x.reshape(2, 1, 3, 1, 4).squeeze((1, 3)), lambda a: a),
    "squeeze_tuple_partial": (lambda x: x.reshape(2, 1, 12, 1).squeeze((0, 1)), lambda a: a.reshape(2, 12, 1)),
    "clone": (lambda x: x.clone(), lambda a: a),
    "expand_as": (lambda x: x[:1].expand_as(x), lambda a: np.broadcast_to(a[:1], a.shape)),
    "gather0": (lambda x: x.gather(0, Tensor(np.array([[[1, 0, 1, 1]], [[0, 0, 1, 0]]]))),
                lambda a: np.take_along_axis(a[:, :1], np.array([[[1, 0, 1, 1]], [[0, 0, 1, 0]]]), 0)),
    "gather2_repeats": (lambda x: x.gather(2, Tensor(np.array([[[3, 3], [0, 1]]]))),
                        lambda a: np.take_along_axis(a[:1, :2], np.array([[[3, 3], [0, 1]]]), 2)),
    "index_select": (lambda x: x.index_select(2, Tensor(np.array([3, 0, 3]))), lambda a: a[:, :, [3, 0, 3]]),
    "masked_fill": (lambda x: x.masked_fill(Tensor(np.array([True, False, False, True])), -1.5),
                    lambda a: np.where([True, False, False, True], -1.5, a)),
    "sort": (lambda x: x.sort(-1).values, lambda a: np.sort(a, -1)),
    "sort_desc_dim0": (lambda x: x.sort(0, descending=True)[0], lambda a: -np.sort(-a, 0)),
    "topk": (lambda x: x.topk(2).values, lambda a: -np.sort(-a, -1)[..., :2]),
    "topk_smallest_dim1": (lambda x: x.topk(2, dim=1, largest=False)[0], lambda a: np.sort(a, 1)[:, :2]),
}


@pytest.mark.parametrize("name", sorted(MORE_MOVEMENT))
def test_more_movement_values_grad_gradgrad(name):
    fn, ref = MORE_MOVEMENT[name]
    x = t(2, 3, 4)
    np.testing.assert_array_equal(fn(x).numpy(), ref(x.numpy()).reshape(fn(x).shape))
    check(fn, x)


def test_t_split_chunk_unbind():
    x = t(5, 3)
    np.testing.assert_array_equal(x.t().numpy(), x.numpy().T)
    assert t(3).t().shape == (3,)
    with pytest.raises(ValueError, match="at most 2 dims"):
        t(2, 2, 2).t()
    assert [p.shape for p in x.split(2)] == [(2, 3), (2, 3), (1, 3)]
    assert [p.shape for p in x.split([1, 4])] == [(1, 3), (4, 3)]
    assert [p.shape for p in x.split(2, dim=1)] == [(5, 2), (5, 1)]
    assert [p.shape for p in x.chunk(2)] == [(3, 3), (2, 3)]
    assert [p.shape for p in Tensor(np.zeros(6)).chunk(4)] == [(2,), (2,), (2,)]  # torch gives 3 pieces too
    with pytest.raises(ValueError, match="do not sum"):
        x.split([1, 2])
    np.testing.assert_array_equal(tl.cat(x.chunk(3), 0).numpy(), x.numpy())
    assert [u.shape for u in x.unbind(1)] == [(5,)] * 3
    check(lambda x: Tensor.cat([p * (i + 1.0) for i, p in enumerate(x.split(2))], 0), x)
    check(lambda x: Tensor.stack([p * (i + 1.0) for i, p in enumerate(x.unbind(1))], 0), x)


def test_scatter_add_values_grad_gradgrad():
    idx = np.array([[0, 1, 2, 0], [2, 2, 0, 1]])
    x, src = t(3, 4), t(2, 5)
    want = x.numpy().copy()
    for i in range(2):
        for j in range(4):
            want[idx[i, j], j] += src.numpy()[i, j]
    np.testing.assert_allclose(x.scatter_add(0, Tensor(idx), src).numpy(), want, rtol=1e-14)
    check(lambda x, s: x.scatter_add(0, Tensor(idx), s), x, src)
    check(lambda x, s: x.scatter_add(1, Tensor(np.array([[0, 0], [3, 1], [2, 2]])), s), t(3, 4), t(3, 2))


def test_gather_and_index_errors():
    x = t(2, 3)
    with pytest.raises(IndexError, match="out of range"):
        x.gather(1, Tensor(np.array([[3]])))
    with pytest.raises(IndexError, match="out of range"):
        x.gather(0, Tensor(np.array([[-1]])))
    with pytest.raises(TypeError, match="integer"):
        x.index_select(0, Tensor(np.array([0.0])))
    with pytest.raises(IndexError, match="out of range"):
        x.flip(2)
    with pytest.raises(IndexError, match="out of range"):
        x.narrow(1, 2, 2)
    with pytest.raises(TypeError, match="bool"):
        x.masked_fill(Tensor(np.array([1, 0, 1])), 0.0)


def test_sort_topk_indices_and_ties():
    a = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 5.0]])
    x = Tensor(a)
    v, i = x.sort()
    np.testing.assert_array_equal(i.numpy(), np.argsort(a, -1, kind="stable"))
    v, i = x.sort(descending=True)
    np.testing.assert_array_equal(i.numpy(), [[0, 2, 3, 1], [3, 0, 1, 2]])  # ties: the lower index first
    np.testing.assert_array_equal(v.numpy(), [[3, 3, 2, 1], [5, 0, 0, -1]])
    v, i = x.topk(3, 1)
    np.testing.assert_array_equal(i.numpy(), [[0, 2, 3], [3, 0, 1]])
    assert i.dtype == np.int64 and x.argsort(descending=True).shape == (2, 4)
    assert x.topk(0).values.shape == (2, 0)
    # the gradient goes to the picked positions
    y = Tensor(a, requires_grad=True)
    y.topk(2).values.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [[1, 0, 1, 0], [1, 0, 0, 1]])

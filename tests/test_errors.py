"""Bad input gets a clear error whose message names the values involved."""
import re

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.autograd import Function
from tinygrad_lr.gradcheck import GradcheckError, gradcheck, gradgradcheck


def ones(*shape, rg=False):
    return Tensor(np.ones(shape), requires_grad=rg)


def esc(s):
    return re.escape(str(s))


@pytest.mark.parametrize("sa,sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3), (2,)), ((5,), (4, 2))])
def test_matmul_shape_mismatch_names_both_shapes(sa, sb):
    with pytest.raises(ValueError, match=f"{esc(sa)}.*{esc(sb)}"):
        ones(*sa) @ ones(*sb)


def test_matmul_batch_mismatch_and_0d():
    with pytest.raises(ValueError, match=r"\(2, 2, 3\).*\(3, 3, 2\)"):
        ones(2, 2, 3) @ ones(3, 3, 2)
    with pytest.raises(ValueError, match=r"\(\).*\(3,\)"):
        Tensor(np.array(1.0)).matmul(ones(3))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_broadcast_mismatch_names_both_shapes(op):
    a, b = ones(2, 3, rg=True), ones(4)
    fn = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b, "**": lambda: a ** b}[op]
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
        fn()
    with pytest.raises(ValueError, match=r"\(3, 1, 2\) and \(2, 3\)"):
        ones(3, 1, 2) * ones(2, 3)


@pytest.mark.parametrize("arr,dt", [(np.array([1, 2]), "int64"), (np.array([1, 2], np.int32), "int32"),
                                    (np.array([True, False]), "bool")])
def test_int_or_bool_tensor_cannot_require_grad(arr, dt):
    with pytest.raises(TypeError, match=f"floating.*{dt}"):
        Tensor(arr, requires_grad=True)
    t = Tensor(arr)
    with pytest.raises(TypeError, match=dt):
        t.requires_grad_()
    with pytest.raises(TypeError, match="bool"):
        Tensor([True, False], requires_grad=True)


def test_backward_on_non_scalar_without_gradient():
    x = ones(2, 3, rg=True)
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 3\)"):
        tl.grad(x * 2, x)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\) but the output has shape \(2, 3\)"):
        (x * 2).backward(gradient=Tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="does not require grad"):
        ones(2).sum().backward()


def test_second_backward_through_freed_graph():
    x = ones(3, rg=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    x2 = ones(3, rg=True)
    y2 = (x2.exp() * x2).sum()
    tl.grad(y2, x2)
    with pytest.raises(RuntimeError, match="second time"):
        tl.grad(y2, x2)
    x3 = ones(3, rg=True)
    y3 = (x3.exp() * x3).sum()
    y3.backward(retain_graph=True)
    y3.backward(retain_graph=True)
    tl.grad(y3, x3, retain_graph=True)
    y3.backward()
    np.testing.assert_allclose(x3.grad.numpy(), 3 * 2 * np.e)


def test_grad_of_input_not_in_graph():
    x, z = ones(2, rg=True), ones(3, rg=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(3,\)\) is not part of the graph.*allow_unused"):
        tl.grad(y, [x, z], retain_graph=True)
    gx, gz = tl.grad(y, [x, z], allow_unused=True)
    assert gz is None and np.array_equal(gx.numpy(), [2, 2])
    with pytest.raises(RuntimeError, match=r"input 0 \(shape \(4,\)\) does not require grad"):
        tl.grad((x * 2).sum(), ones(4))
    with pytest.raises(RuntimeError, match="none of the outputs requires grad"):
        with tl.no_grad():
            y = (x * 2).sum()
        tl.grad(y, x)
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        tl.grad([x * 2, x * 3], x, [Tensor(np.ones(2))])


def fake_cuda(shape):
    return Tensor.wrap(np.ones(shape), "cuda:0")


@pytest.mark.parametrize("case", ["add", "radd", "mul", "matmul", "cat", "where", "conv"])
def test_device_mix_names_both_devices(case, cpu_default):
    a, b = ones(2, 2, rg=True), fake_cuda((2, 2))
    fn = {"add": lambda: a + b, "radd": lambda: b + a, "mul": lambda: a * b, "matmul": lambda: a @ b,
          "cat": lambda: Tensor.cat([a, b]), "where": lambda: Tensor.where(np.ones((2, 2), bool), a, b),
          "conv": lambda: F.conv2d(ones(1, 1, 3, 3), fake_cuda((1, 1, 2, 2)))}[case]
    with pytest.raises(RuntimeError, match="different devices") as e:
        fn()
    assert "cpu" in str(e.value) and "cuda:0" in str(e.value)


def test_conv2d_mismatched_channels():
    with pytest.raises(ValueError, match=r"3 channels.*\(1, 3, 5, 5\).*expects 2.*\(4, 2, 3, 3\)"):
        F.conv2d(ones(1, 3, 5, 5), ones(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"\(3, 5, 5\)"):
        F.conv2d(ones(3, 5, 5), ones(4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"kernel \(3, 3\).*larger than the padded input \(2, 2\)"):
        F.conv2d(ones(1, 1, 2, 2), ones(1, 1, 3, 3))


def test_pool_window_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"max_pool2d: window \(5, 5\).*padded input \(4, 4\).*\(1, 1, 2, 2\)"):
        F.max_pool2d(ones(1, 1, 2, 2), 5, padding=1)
    with pytest.raises(ValueError, match=r"avg_pool2d: window \(3, 3\).*padded input \(2, 2\)"):
        F.avg_pool2d(ones(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"padding \(2, 2\).*half the kernel size \(3, 3\)"):
        F.max_pool2d(ones(1, 1, 6, 6), 3, padding=2)
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        F.max_pool2d(ones(2, 2), 2)


def test_reshape_and_movement_errors():
    x = ones(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\) \(6 elements\) as \(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(5,\)"):
        x.view(5)
    with pytest.raises(ValueError, match=r"expand: shape \(2, 3\) cannot be expanded to \(4, 3\)"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match=r"expand: shape \(3,\) cannot be expanded to \(1,\)"):
        ones(3).expand(1)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\).*\(2, 3\)"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"cat: shapes \(2, 3\) and \(2, 4\) differ outside dim 0"):
        Tensor.cat([x, ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: shapes \(2, 3\) and \(3, 2\)"):
        Tensor.stack([x, ones(3, 2)])
    with pytest.raises(ValueError, match=r"pad.*negative"):
        x.pad((-1, 1))
    with pytest.raises(ValueError, match=r"pad: \(1, 1, 1\)"):
        x.pad((1, 1, 1))
    with pytest.raises(IndexError, match=r"out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(IndexError, match="integer or bool.*float"):
        x[np.array([0.5])]


def test_misc_value_errors():
    x = ones(2, 3, rg=True)
    with pytest.raises(ValueError, match=r"item\(\).*\(2, 3\)"):
        x.item()
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\) is ambiguous"):
        bool(x)
    with pytest.raises(ValueError, match="reduction.*'avg'"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"mse_loss.*\(2, 3\).*\(3,\)"):
        F.mse_loss(x, ones(3))
    with pytest.raises(ValueError, match=r"label_smoothing.*1\.5"):
        F.cross_entropy(x, np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(IndexError, match=r"target out of range \[0, 3\).*max 7"):
        F.cross_entropy(x, np.array([0, 7]))
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        F.nll_loss(x, np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integers"):
        F.cross_entropy(x, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"dropout probability.*1\.5"):
        F.dropout(x, 1.5)
    with pytest.raises(IndexError, match=r"index out of range \[0, 2\).*max 5"):
        F.embedding(np.array([0, 5]), ones(2, 3, rg=True))
    with pytest.raises(TypeError, match="float"):
        F.embedding(np.array([0.0]), ones(2, 3, rg=True))
    with pytest.raises(ValueError, match=r"linear.*\(2, 3\).*\(4, 5\)"):
        F.linear(x, ones(4, 5))
    with pytest.raises(ValueError, match=r"stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        F.conv2d(ones(1, 1, 4, 4), ones(1, 1, 2, 2), stride=(1, 2, 3))


def test_hvp_errors():
    x = ones(3, rg=True)
    with pytest.raises(ValueError, match=r"vector of shape \(2,\) for an input of shape \(3,\)"):
        tl.hvp((x * x).sum(), x, ones(2))
    with pytest.raises(ValueError, match="1 inputs but 2 vectors"):
        tl.hvp((x * x).sum(), x, [ones(3), ones(3)])
    with pytest.raises(RuntimeError, match=r"scalar output, got shape \(3,\)"):
        tl.hvp(x * x, x, ones(3))


class WrongSquare(Function):
    """x**2 with a wrong first derivative (x instead of 2x)."""
    def forward(self, a):
        return a * a

    def backward(self, g, out, needs):
        return g * self.parents[0]


class DetachedSquare(Function):
    """x**2 whose backward is right in value but not differentiable (it uses a constant copy of x)."""
    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g, out, needs):
        return g * Tensor.wrap(2 * self.a, self.device)


def test_gradcheck_reports_analytic_and_numeric_values():
    x = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"output 0 w.r.t. input 0.*analytic 1\.5 vs numeric 3(\.0+)?\b") as e:
        gradcheck(lambda x: WrongSquare.apply(x), [x])
    assert "element 0" in str(e.value)
    assert gradcheck(lambda x: WrongSquare.apply(x), [x], raise_exception=False) is False
    assert gradcheck(lambda x: DetachedSquare.apply(x), [x])  # first order is right ...
    with pytest.raises(GradcheckError, match=r"gradgradcheck.*analytic 0 vs numeric") as e:
        gradgradcheck(lambda x: DetachedSquare.apply(x), [x])  # ... second order is not
    assert gradgradcheck(lambda x: x * x, [x])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x * 2, [Tensor(np.ones(2))])


class BadGrad(Function):
    """x**2 whose backward is `bad` (nan or inf) at the first element."""
    def forward(self, a, bad=np.nan):
        self.bad = bad
        return a * a

    def backward(self, g, out, needs):
        mask = np.zeros(self.parents[0].shape, bool)
        mask.flat[0] = True
        return Tensor.where(mask, self.bad, g * self.parents[0] * 2.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_gradcheck_fails_on_non_finite_derivatives_naming_the_entry(bad):
    """A comparison with nan is False: `err.max() > tol` let nan derivatives pass. Now any nan or inf in the
    analytic or the numeric Jacobian fails, naming the entry."""
    x = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"non-finite analytic derivative .*output 0 w.r.t. input 0 at \(output "
                                             rf"element 0, input element 0\): analytic {bad} vs numeric 3"):
        gradcheck(lambda x: BadGrad.apply(x, bad=bad), [x])
    assert gradcheck(lambda x: BadGrad.apply(x, bad=bad), [x], raise_exception=False) is False
    y = Tensor(np.array([0.5, 0.0]), requires_grad=True)  # the value jumps to nan/inf below 0: numeric
    step = lambda y: Tensor.where(y.data < 0, bad, y)  # noqa: E731
    with np.errstate(invalid="ignore"):
        with pytest.raises(GradcheckError, match=r"non-finite numeric .*output element 1, input element 1\)"):
            gradcheck(step, [y])
    z = Tensor(np.array([0.0, 1.0]), requires_grad=True)  # second order: (z**1.5)'' = 0.75/sqrt(z), inf at 0
    with np.errstate(invalid="ignore", divide="ignore"):
        assert gradcheck(lambda z: z ** 1.5, [Tensor(np.array([0.5, 1.0]), requires_grad=True)])
        with pytest.raises(GradcheckError, match=r"gradgradcheck: non-finite .*input element 0\)"):
            gradgradcheck(lambda z: z ** 1.5, [z])

"""Models: output shapes, HVPs through every model family against central differences of gradients (float64),
flat memory over 200 steps, and bit-for-bit resume through fit()'s checkpoints."""
import resource

import numpy as np
import pytest

import models
import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, nn, optim
from tinygrad_lr.train import fit


@pytest.mark.parametrize("build,shape,out", [
    (lambda: models.MLP([784, 512, 256, 10]), (2, 1, 28, 28), (2, 10)),
    (lambda: models.LeNet5(), (2, 1, 28, 28), (2, 10)),
    (lambda: models.LossgradCNN(), (2, 3, 32, 32), (2, 10)),
    (lambda: models.resnet20(), (2, 3, 32, 32), (2, 10)),
    (lambda: models.resnet56(num_classes=100), (1, 3, 32, 32), (1, 100)),
    (lambda: models.resnet18(), (1, 3, 32, 32), (1, 10)),
    (lambda: models.LSTMClassifier(input_size=28, hidden_size=16), (2, 28, 28), (2, 10)),
    (lambda: models.Autoencoder(), (2, 784), (2, 784)),
])
def test_output_shapes(build, shape, out):
    assert build()(Tensor.zeros(*shape)).shape == out


def test_parameter_counts_match_the_papers():
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(models.MLP([784, 512, 256, 10])) == 784 * 512 + 512 + 512 * 256 + 256 + 2570
    assert n(models.LeNet5()) == 61706
    assert n(models.resnet18()) == 11173962


def _hvp_vs_fd(model, loss_fn, seed=0):
    """tl.hvp against (∇L(w + εv) − ∇L(w − εv)) / 2ε for a random v, in float64."""
    model.double()
    ps = model.parameters()
    rng = np.random.default_rng(seed)
    v = [Tensor(rng.standard_normal(p.shape)) for p in ps]
    hv = tl.hvp(loss_fn(), ps, v)
    base = [p.numpy().copy() for p in ps]

    def grads_at(sign, eps=1e-5):
        for p, b, u in zip(ps, base, v):
            p.data = b + sign * eps * u.numpy()
        return [g.numpy() for g in tl.grad(loss_fn(), ps)]
    gp, gm = grads_at(1), grads_at(-1)
    for p, b in zip(ps, base):
        p.data = b
    fd = np.concatenate([((a - b) / 2e-5).ravel() for a, b in zip(gp, gm)])
    an = np.concatenate([h.numpy().ravel() for h in hv])
    np.testing.assert_allclose(an, fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())


def test_hvp_through_mlp():
    tl.manual_seed(0)
    m = models.MLP([12, 8, 6, 3], activation="tanh")
    x, y = Tensor(np.random.default_rng(1).standard_normal((5, 12))), np.array([0, 2, 1, 1, 0])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_hvp_through_lenet5():
    tl.manual_seed(0)
    m = models.LeNet5()
    x, y = Tensor(np.random.default_rng(1).standard_normal((2, 1, 28, 28))), np.array([3, 7])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_hvp_through_tiny_resnet_with_batchnorm_in_training_mode():
    tl.manual_seed(0)
    m = models.ResNet([1, 1], [4, 8], num_classes=3)
    m.train()
    x, y = Tensor(np.random.default_rng(1).standard_normal((4, 3, 8, 8))), np.array([0, 1, 2, 1])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_hvp_through_two_layer_bidirectional_lstm():
    tl.manual_seed(0)
    m = models.LSTMClassifier(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, num_classes=2)
    x, y = Tensor(np.random.default_rng(1).standard_normal((3, 5, 3))), np.array([0, 1, 1])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_memory_stays_flat_over_200_steps():
    tl.manual_seed(0)
    m = models.MLP([64, 256, 256, 10])
    opt = optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((64, 64)).astype(np.float32)), rng.integers(0, 10, 64)
    rss = []
    for step in range(200):
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        if step in (20, 199):
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        if step == 0:
            # the graph of a finished step is gone: the loss no longer holds its inputs
            assert loss._ctx is None or loss._ctx.parents is None
    assert rss[1] - rss[0] < 20 * 1024  # KiB: a leaked graph per step would be ~0.5 MB x 180


def _fit_run(tmp_path, epochs, resume_from=None):
    import datasets
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((96, 10)).astype(np.float32), rng.integers(0, 3, 96)
    tl.manual_seed(0)
    m = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    opt = tl.hyper.RTHPO(optim.SGD(m.parameters(), lr=0.05, momentum=0.9), hyper_lr=1e-5)
    loader = datasets.DataLoader(X, y, batch_size=16, shuffle=True, seed=3)
    ck = tmp_path / "ck.npz"
    fit(m, opt, loader, epochs, checkpoint_path=ck, resume=resume_from is not None, progress=False)
    return m, opt


def test_resume_is_bit_for_bit(tmp_path):
    straight, _ = _fit_run(tmp_path / "a", 2)
    _fit_run(tmp_path / "b", 1)
    resumed, opt = _fit_run(tmp_path / "b", 2, resume_from=True)
    for (k, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    assert opt.t == 12

"""Models: output shapes, HVPs through every model family against central differences of gradients (float64),
flat memory over 200 steps, and bit-for-bit resume through fit()'s checkpoints."""
import resource

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, models, nn, optim
from tinygrad_lr.train import fit

from helpers import hvp_vs_fd


@pytest.mark.parametrize("build,shape,out", [
    (lambda: models.MLP([784, 512, 256, 10]), (2, 1, 28, 28), (2, 10)),
    (lambda: models.LeNet5(), (2, 1, 28, 28), (2, 10)),
    (lambda: models.LossgradCNN(), (2, 3, 32, 32), (2, 10)),
    (lambda: models.resnet20(), (2, 3, 32, 32), (2, 10)),
    (lambda: models.resnet56(num_classes=100), (1, 3, 32, 32), (1, 100)),
    (lambda: models.resnet18(), (1, 3, 32, 32), (1, 10)),
    (lambda: models.LSTMClassifier(input_size=28, hidden_size=16), (2, 28, 28), (2, 10)),
    (lambda: models.LSTMClassifier(input_size=28, hidden_size=16), (2, 1, 28, 28), (2, 10)),
    (lambda: models.MLP([784, 500, 300, 100, 10], activation="tanh"), (3, 784), (3, 10)),
    (lambda: models.Autoencoder(), (2, 784), (2, 784)),
])
def test_output_shapes(build, shape, out):
    assert build()(Tensor.zeros(*shape)).shape == out


def test_parameter_counts_match_the_papers():
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(models.MLP([784, 512, 256, 10])) == 784 * 512 + 512 + 512 * 256 + 256 + 2570
    assert n(models.LeNet5()) == 61706
    assert n(models.resnet18()) == 11173962
    assert n(models.resnet20()) == 269722 and n(models.resnet56()) == 853018  # option A: the paper's 0.27M / 0.85M
    assert n(models.resnet20(shortcut="B")) == 269722 + (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)  # 1x1 conv + BN ×2
    assert n(models.LossgradCNN()) == (3 * 25 * 30 + 30) + (30 * 25 * 40 + 40) + (40 * 9 * 50 + 50) + \
        (450 * 250 + 250) + (250 * 100 + 100) + 1010
    assert n(models.Autoencoder()) == sum(a * b + b for a, b in zip([784, 200, 100, 50, 100, 200],
                                                                    [200, 100, 50, 100, 200, 784]))
    imdb = models.LSTMClassifier(vocab_size=1000, embed_dim=100, hidden_size=256, bidirectional=True, num_classes=1)
    assert n(imdb) == 1000 * 100 + 2 * 4 * 256 * (100 + 256 + 2) + 512 + 1


def test_resnet_state_dict_names_and_roundtrip():
    tl.manual_seed(0)
    m = models.resnet20()
    sd = m.state_dict()
    assert list(sd)[:7] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                            "bn1.num_batches_tracked", "layer1.0.conv1.weight"]
    assert sd["layer3.2.bn2.running_var"].shape == (64,) and sd["fc.weight"].shape == (10, 64)
    assert "layer2.0.shortcut.0.weight" in models.resnet20(shortcut="B").state_dict()
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32))
    m(x)  # a training step moves the running statistics away from their initial values
    fresh = models.resnet20()
    fresh.load_state_dict(m.state_dict())
    m.eval(), fresh.eval()
    np.testing.assert_array_equal(m(x).numpy(), fresh(x).numpy())
    with pytest.raises(RuntimeError, match=r"missing keys \['fc.weight', 'fc.bias'\]"):
        models.ResNet([3, 3, 3], [16, 32, 64], shortcut="A").load_state_dict(
            {k: v for k, v in m.state_dict().items() if not k.startswith("fc.")})
    with pytest.raises(RuntimeError, match=r"fc.weight: expected shape \(100, 64\), got \(10, 64\)"):
        models.resnet20(num_classes=100).load_state_dict(m.state_dict())


def test_option_a_shortcut_subsamples_and_zero_pads():
    from tinygrad_lr.models.resnet import PadShortcut
    x = np.random.default_rng(0).standard_normal((2, 4, 6, 6))
    y = PadShortcut(4, 8, 2)(Tensor(x)).numpy()
    assert y.shape == (2, 8, 3, 3)
    np.testing.assert_array_equal(y[:, 2:6], x[:, :, ::2, ::2])
    assert not y[:, :2].any() and not y[:, 6:].any()


def test_lstm_classifier_ignores_trailing_padding():
    tl.manual_seed(0)
    m = models.LSTMClassifier(vocab_size=20, embed_dim=4, hidden_size=5, bidirectional=True, num_classes=1)
    tokens = np.array([[3, 4, 5, 0, 0], [7, 8, 9, 10, 11]])
    padded_more = np.concatenate([tokens, np.zeros((2, 4), np.int64)], 1)
    a, b = m(tokens).numpy(), m(padded_more).numpy()
    assert a.shape == (2, 1)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a[:1], m(tokens[:1, :3]).numpy(), rtol=1e-6)  # as if never padded
    assert not np.allclose(a, m(tokens, lengths=[5, 5]).numpy())  # running through the padding would differ


def _hvp_vs_fd(model, loss_fn, seed=0):
    """tl.hvp against (∇L(w + εv) − ∇L(w − εv)) / 2ε for a random v, in float64."""
    model.double()
    hvp_vs_fd(model.parameters(), loss_fn, np.random.default_rng(seed))


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


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_hvp_through_tiny_resnet_with_batchnorm_in_training_mode(shortcut):
    tl.manual_seed(0)
    m = models.ResNet([1, 1], [4, 8], num_classes=3, shortcut=shortcut)
    m.train()
    x, y = Tensor(np.random.default_rng(1).standard_normal((4, 3, 8, 8))), np.array([0, 1, 2, 1])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_hvp_through_two_layer_bidirectional_lstm():
    tl.manual_seed(0)
    m = models.LSTMClassifier(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, num_classes=2)
    x, y = Tensor(np.random.default_rng(1).standard_normal((3, 5, 3))), np.array([0, 1, 1])
    _hvp_vs_fd(m, lambda: F.cross_entropy(m(x), y))


def test_hvp_through_embedding_lstm_with_padding():
    tl.manual_seed(0)
    m = models.LSTMClassifier(vocab_size=9, embed_dim=3, hidden_size=3, bidirectional=True, num_classes=1)
    tokens, y = np.array([[2, 5, 8, 0], [3, 3, 0, 0], [1, 4, 6, 7]]), np.array([1.0, 0.0, 1.0])
    _hvp_vs_fd(m, lambda: F.binary_cross_entropy_with_logits(m(tokens).reshape(3), Tensor(y)))


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
    from tinygrad_lr import datasets
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

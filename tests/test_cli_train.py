"""`tinygrad-lr train` on small data trees in the real formats (tests/test_datasets.py has the loaders' own tests):
every valid model x dataset pair trains, every method resumes bit for bit, bad options are refused in one line
with exit status 2 before any data is loaded, and a checkpoint is not resumed under other settings."""
import gzip
import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import checkpoint
from tinygrad_lr.cli import main
from tinygrad_lr.datasets import cifar, mnist
from tinygrad_lr.examples.common.methods import LR_FREE, METHODS
from tinygrad_lr.examples.train.config import COMPATIBLE

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN, N_TEST = 48, 8


def _idx(arr):
    header = (0x0800 + arr.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def data_tree(tmp_path_factory):
    """A data root with small MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 trees; the checksums they need."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    sums = {}
    for folder in ("mnist", "fashion-mnist"):
        (root / folder).mkdir()
        for split, n in (("train", N_TRAIN), ("t10k", N_TEST)):
            for kind, arr in (("images-idx3", rng.integers(0, 256, (n, 28, 28))),
                              ("labels-idx1", rng.integers(0, 10, n))):
                name = f"{split}-{kind}-ubyte"
                raw = _idx(arr)
                gz = gzip.compress(raw, mtime=0)
                (root / folder / f"{name}.gz").write_bytes(gz)
                sums[(folder, name)] = hashlib.sha256(raw if folder == "mnist" else gz).hexdigest()
    for which, files, key in (("cifar10", {"data_batch_%d" % i: N_TRAIN // 5 + 1 for i in range(1, 6)}, "labels"),
                              ("cifar100", {"train": N_TRAIN}, "fine_labels")):
        tree = root / which / cifar._SETS[which]["top"]
        tree.mkdir(parents=True)
        for name, n in {**files, ("test_batch" if which == "cifar10" else "test"): N_TEST}.items():
            batch = {"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8),
                     key: rng.integers(0, 100 if which == "cifar100" else 10, n).tolist(), "coarse_labels": [0] * n}
            (tree / name).write_bytes(pickle.dumps(batch, protocol=2))
    return root, sums


@pytest.fixture
def data_root(data_tree, monkeypatch):
    root, sums = data_tree
    monkeypatch.setattr(mnist, "MNIST_SHA256", {n: s for (f, n), s in sums.items() if f == "mnist"})
    monkeypatch.setattr(mnist, "FASHION_SHA256", {n: s for (f, n), s in sums.items() if f == "fashion-mnist"})
    return str(root)


def _train(data_root, out, *extra, epochs=1, size="16"):
    return main(["train", "--train-size", size, "--val-size", "8", "--batch-size", "8", "--epochs", str(epochs),
                 "--data-root", data_root, "--out", str(out), "--no-progress", *extra])


PAIRS = [(m, d) for m, ds in COMPATIBLE.items() for d in ds]


@pytest.mark.parametrize("model, dataset", PAIRS, ids=[f"{m}-{d}" for m, d in PAIRS])
def test_every_valid_pair_trains(data_root, tmp_path, model, dataset):
    assert _train(data_root, tmp_path, "--model", model, "--dataset", dataset,
                  size="8" if model.startswith("resnet") else "16") == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert np.isfinite(m["history"][-1]["loss"]) and np.isfinite(m["test"]["loss"])
    assert ("accuracy" in m["test"]) == (model != "autoencoder")


@pytest.mark.parametrize("method", METHODS)
def test_resume_is_bit_exact_for_every_method(data_root, tmp_path, method):
    """2 epochs = 1 epoch + --resume + 1 epoch, bit for bit (the validation batches of rthpo/firstorder-val too)."""
    args = ["--method", method, "--lr", "0.05"] + (["--hyper-lr", "1e-3"] if method in (
        "firstorder", "firstorder-val", "rthpo", "rthpo-train") else [])
    assert _train(data_root, tmp_path / "straight", *args, epochs=2, size="32") == 0
    assert _train(data_root, tmp_path / "resumed", *args, epochs=1, size="32") == 0
    assert _train(data_root, tmp_path / "resumed", *args, "--resume", epochs=2, size="32") == 0
    a, b = (checkpoint.load(tmp_path / d / "checkpoint.npz") for d in ("straight", "resumed"))
    for k in a["model"]:
        np.testing.assert_array_equal(a["model"][k], b["model"][k], err_msg=k)
    ma, mb = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("straight", "resumed"))
    assert ma["lr_history"] == mb["lr_history"]
    assert [h["loss"] for h in ma["history"]] == [h["loss"] for h in mb["history"]]


def test_resume_refuses_other_settings(data_root, tmp_path, capsys):
    assert _train(data_root, tmp_path, "--method", "rthpo", "--hyper-lr", "1e-3") == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        _train(data_root, tmp_path, "--method", "rthpo", "--hyper-lr", "1e-2", "--lr", "0.1", "--resume", epochs=2)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "--hyper-lr 0.001 there, 0.01 now" in err and "--lr 0.01 there, 0.1 now" in err


@pytest.mark.parametrize("optimizer", list(LR_FREE))
def test_every_learning_rate_free_optimizer_trains(data_root, tmp_path, optimizer):
    lr = "0.01" if optimizer.startswith(("schedulefree", "mechanic")) else "1.0"
    assert _train(data_root, tmp_path, "--optimizer", optimizer, "--lr", lr) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert np.isfinite(m["history"][-1]["loss"]) and np.isfinite(m["test"]["loss"])


def test_hyperparams_adapts_momentum_and_plots_it(data_root, tmp_path):
    """--hyperparams lr momentum: both adapted, recorded per epoch under "adapted", resumed bit for bit."""
    args = ["--method", "rthpo", "--hyper-lr", "1e-4", "--momentum", "0.5", "--hyperparams", "lr", "momentum"]
    assert _train(data_root, tmp_path / "straight", *args, epochs=2, size="32") == 0
    assert _train(data_root, tmp_path / "resumed", *args, epochs=1, size="32") == 0
    assert _train(data_root, tmp_path / "resumed", *args, "--resume", epochs=2, size="32") == 0
    ma, mb = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("straight", "resumed"))
    assert ma["history"] == [dict(h, seconds=a["seconds"]) for h, a in zip(mb["history"], ma["history"])]
    adapted = ma["history"][-1]["adapted"]
    assert set(adapted) == {"lr", "momentum"} and adapted["momentum"] != 0.5


BAD = [(["--epochs", "0"], "--epochs must be >= 1"), (["--train-size", "-5"], "--train-size must be >= 1"),
       (["--batch-size", "0"], "--batch-size must be >= 1"), (["--lr", "nan"], "--lr must be a finite"),
       (["--lr", "-1"], "--lr must be"), (["--val-size", "0"], "--val-size must be >= 1"),
       (["--optimizer", "adam", "--momentum", "0.9"], "--momentum applies to --optimizer sgd only"),
       (["--momentum", "1.5"], "--momentum must be in"), (["--hyper-lr", "1e-3"], "--hyper-lr does not apply"),
       (["--method", "rthpo", "--hyper-lr", "inf"], "--hyper-lr must be a finite"),
       (["--method", "adadelta", "--optimizer", "adam"], "--optimizer does not apply"),
       (["--model", "autoencoder", "--dataset", "cifar10"], "valid pairs: mlp: mnist/fashion-mnist/cifar10"),
       (["--model", "resnet20"], "--model resnet20 does not train on --dataset mnist"),
       (["--model", "lossgrad-cnn", "--dataset", "fashion-mnist"], "lossgrad-cnn: cifar10/cifar100"),
       (["--hyperparams", "momentum"], "--hyperparams does not apply to --method sgd"),
       (["--method", "rthpo", "--hyperparams", "beta1"], "--optimizer sgd can adapt lr, momentum"),
       (["--method", "rthpo", "--optimizer", "adam", "--hyperparams", "lr", "lr"], "each once")]


@pytest.mark.parametrize("args, msg", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_options_one_line_exit_2_before_loading(args, msg, tmp_path, capsys, monkeypatch):
    from tinygrad_lr import datasets

    def no_loading(*a, **k):
        raise AssertionError("data loaded before the options were checked")
    for name in ("load_mnist", "load_fashion_mnist", "load_cifar10", "load_cifar100"):
        monkeypatch.setattr(datasets, name, no_loading)
    with pytest.raises(SystemExit) as e:
        main(["train", "--data-root", str(tmp_path / "none"), "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and msg in err and err.count("\n") == 1, err
    assert not (tmp_path / "none").exists() and not (tmp_path / "out").exists()


def test_unwritable_out_and_no_traceback(tmp_path):
    (tmp_path / "file").write_text("x")
    outs = [tmp_path / "file", tmp_path / "file" / "sub"]
    if sys.platform.startswith("linux"):
        outs += [Path("/proc/self"), Path("/proc/tinygrad-lr-test")]  # not writable, even by root
    for out in outs:
        r = subprocess.run([sys.executable, "-m", "tinygrad_lr", "train", "--out", str(out), "--data-root",
                            str(tmp_path / "none")], cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert f"--out {out}" in r.stderr
    assert not (tmp_path / "none").exists()


def test_missing_data_is_one_message_without_traceback(tmp_path, monkeypatch):
    from tinygrad_lr.datasets import download

    def offline(url, timeout=60):
        raise OSError("offline (test)")
    monkeypatch.setattr(download, "_urlopen", offline)
    with pytest.raises(SystemExit) as e:
        main(["train", "--data-root", str(tmp_path / "none"), "--out", str(tmp_path / "out"), "--no-progress"])
    assert e.value.code == 1

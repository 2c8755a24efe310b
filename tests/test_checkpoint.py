import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor, checkpoint, hyper, optim


def test_roundtrip_nested_state(tmp_path):
    tl.manual_seed(3)
    tl.backend.rng("cpu").random(5)
    st = {"a": np.arange(6.0).reshape(2, 3), "t": Tensor([1.0, 2.0]), "n": {0: {"step": 3, "m": np.ones(2)}},
          "l": [1, 2.5, "x", None, (1, 2)], "rng": tl.backend.rng_state("cpu"), "f": float("inf"), "b": True}
    path = tmp_path / "c.npz"
    checkpoint.save(path, st)
    back = checkpoint.load(path)
    np.testing.assert_array_equal(back["a"], st["a"])
    np.testing.assert_array_equal(back["t"], [1.0, 2.0])
    assert back["n"][0]["step"] == 3 and isinstance(back["n"][0]["m"], np.ndarray)
    assert back["l"] == [1, 2.5, "x", None, (1, 2)] and back["f"] == float("inf") and back["b"] is True
    assert back["rng"] == st["rng"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_no_pickle_and_truncated_file(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"x": np.zeros(1000)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        checkpoint.load(path)
    with pytest.raises(TypeError, match="cannot store"):
        checkpoint.save(tmp_path / "bad.npz", {"o": object()})


def test_failed_write_leaves_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"v": 1})

    def boom(*a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(path, {"v": 2})
    monkeypatch.undo()
    assert checkpoint.load(path)["v"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_optimizer_and_hyper_state_through_checkpoint(tmp_path):
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = hyper.RTHPO(optim.SGD([w], lr=0.01, momentum=0.9), hyper_lr=1e-6)
    for _ in range(3):
        h.step(lambda: ((w * w - 1) ** 2).sum())
    checkpoint.save(tmp_path / "h.npz", h.state_dict())
    w2 = Tensor(w.numpy(), requires_grad=True)
    h2 = hyper.RTHPO(optim.SGD([w2], lr=0.01, momentum=0.9), hyper_lr=1e-6)
    h2.load_state_dict(checkpoint.load(tmp_path / "h.npz"))
    for _ in range(3):
        h.step(lambda: ((w * w - 1) ** 2).sum())
        h2.step(lambda: ((w2 * w2 - 1) ** 2).sum())
    np.testing.assert_array_equal(w.numpy(), w2.numpy())
    assert h.lr == h2.lr


# ---- issue 10: all-or-nothing loads, temporaries of a killed save ------------------------------------------------
def _trained_adam():
    ws = [Tensor(np.array([1.0, -2.0]), requires_grad=True), Tensor(np.ones((2, 2)), requires_grad=True)]
    opt = optim.Adam(ws, lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        ((ws[0] ** 2).sum() + (ws[1] ** 3).sum()).backward()
        opt.step()
    return ws, opt


def test_optimizer_load_state_dict_is_all_or_nothing():
    ws, opt = _trained_adam()
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["param_groups"][0]["lr"] = 0.5
    bad["state"][0]["exp_avg"] = bad["state"][0]["exp_avg"] * 2
    bad["state"][1]["exp_avg"] = np.zeros(3)  # the second parameter's state does not fit
    with pytest.raises(ValueError, match="shape"):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for k, v in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][k], v)


def test_hyper_load_state_dict_is_all_or_nothing():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = hyper.RTHPO(optim.SGD([w], lr=0.01, momentum=0.9), hyper_lr=1e-6)
    for _ in range(2):
        h.step(lambda: ((w * w - 1) ** 2).sum())
    sd = h.state_dict()
    bad = h.state_dict()
    bad["eta"], bad["t"] = 0.5, 99
    bad["optimizer"]["param_groups"][0]["momentum"] = 0.1
    bad["z"] = [{"0/w": np.zeros(5)}]  # a tangent that does not fit: refused after the optimizer part was read
    with pytest.raises(ValueError, match="tangent"):
        h.load_state_dict(bad)
    assert h.lr == sd["eta"] and h.t == sd["t"] and h.optimizer.param_groups[0]["momentum"] == 0.9


def test_load_checkpoint_is_all_or_nothing(tmp_path):
    from tinygrad_lr import nn
    from tinygrad_lr.train import load_checkpoint, save_checkpoint
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    save_checkpoint(tmp_path / "c.npz", model, opt, epoch=1)
    other = nn.Linear(2, 2)
    opt2 = optim.Adam(other.parameters(), lr=0.1)  # a different optimizer: refused, after the model part fitted
    w = other.weight.numpy().copy()
    with pytest.raises(ValueError, match="SGD"):
        load_checkpoint(tmp_path / "c.npz", other, opt2)
    np.testing.assert_array_equal(other.weight.numpy(), w)


def test_stale_temporaries_of_a_killed_save_are_removed(tmp_path):
    import subprocess
    import sys
    path = tmp_path / "ck.npz"
    code = ("import os, signal, numpy as np\nfrom tinygrad_lr import checkpoint\n"
            "real = np.savez\n"
            "def dying(f, **a):\n    f.write(b'x' * 100000); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
            "np.savez = dying\n"
            f"checkpoint.save({str(path)!r}, {{'v': np.zeros(10)}})\n")
    from pathlib import Path
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1], capture_output=True)
    assert r.returncode == -9
    stale = [p.name for p in tmp_path.iterdir()]
    assert len(stale) == 1 and stale[0].startswith(".tmp-ck.npz.")
    (tmp_path / ".tmp-other.npz.1.x.npz").write_bytes(b"not ours")  # another checkpoint's: left alone
    checkpoint.save(path, {"v": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-other.npz.1.x.npz", "ck.npz"]
    assert checkpoint.load(path)["v"] == 1


# ---- issue 10: fit checkpoints the validation batches' position, and refuses another configuration -------------
def _fit_run(tmp_path, epochs, resume, config=None, method="rthpo"):
    from tinygrad_lr import datasets, nn
    from tinygrad_lr.train import ValidationSampler, fit
    tl.manual_seed(0)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 3)).astype(np.float32), rng.integers(0, 2, 40)
    Xv, yv = rng.standard_normal((30, 3)).astype(np.float32), rng.integers(0, 2, 30)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
    val = ValidationSampler(datasets.DataLoader(Xv, yv, batch_size=8, shuffle=True, seed=5))

    def val_loss():
        xb, yb = next(val)
        return tl.functional.cross_entropy(model(xb), yb)
    h = (hyper.RTHPO if method == "rthpo" else hyper.FirstOrder)(optim.SGD(model.parameters(), lr=0.05), 1e-3,
                                                                 val_closure=val_loss)
    fit(model, h, datasets.DataLoader(X, y, batch_size=16, shuffle=True, seed=1), epochs,
        checkpoint_path=tmp_path / "ck.npz", resume=resume, progress=False, val_sampler=val, config=config)
    return model, h


@pytest.mark.parametrize("method", ["rthpo", "firstorder-val"])
def test_fit_resume_with_validation_closure_is_bit_exact(tmp_path, method):
    m2, h2 = _fit_run(tmp_path / "a", 2, False, method=method)
    _fit_run(tmp_path / "b", 1, False, method=method)
    m1, h1 = _fit_run(tmp_path / "b", 2, True, method=method)
    for a, b in zip(m2.state_dict().values(), m1.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert h1.lr == h2.lr


def test_fit_refuses_to_resume_another_configuration(tmp_path):
    _fit_run(tmp_path, 1, False, config={"lr": 0.05, "seed": 0, "batch_size": 16})
    with pytest.raises(ValueError, match=r"different configuration: lr 0.05 there, 0.1 now, seed 0 there, 1 now"):
        _fit_run(tmp_path, 2, True, config={"lr": 0.1, "seed": 1, "batch_size": 16})
    _fit_run(tmp_path, 2, True, config={"lr": 0.05, "seed": 0, "batch_size": 16})

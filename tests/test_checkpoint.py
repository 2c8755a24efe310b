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

"""The command-line tool: --help everywhere, each subcommand on a tiny budget writes its files, and the
experiments' logic (Beale gradient, iteration counts from trajectories, seed 001's numbers)."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import Tensor, grad
from tinygrad_lr.cli import main
from tinygrad_lr.experiments import beale, rmsprop_example

from conftest import shared_data_root

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cmd", [[], ["beale"], ["rmsprop-example"], ["train"], ["sweep"]])
def test_help(cmd):
    r = subprocess.run([sys.executable, "-m", "tinygrad_lr", *cmd, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "usage: tinygrad-lr" in r.stdout


def test_beale_gradient_is_the_analytic_one():
    for x0, y0 in [(-2.0, -1.0), (3.0, 0.5), (1.3, -0.7), (0.0, 2.0)]:
        x, y = Tensor(x0, requires_grad=True, dtype=np.float64), Tensor(y0, requires_grad=True, dtype=np.float64)
        gx, gy = grad(beale.beale(x, y), [x, y])
        np.testing.assert_allclose([gx.item(), gy.item()], beale.beale_grad(x0, y0), rtol=1e-12, atol=1e-12)
    assert beale.beale(3.0, 0.5) == 0


def test_beale_cli_writes_files_and_counts_come_from_trajectories(tmp_path):
    assert main(["beale", "--iters", "300", "--out", str(tmp_path)]) == 0
    for f in ("metrics.json", "metrics.csv", "trajectories.png", "distance.png", "learning_rates.png"):
        assert (tmp_path / f).stat().st_size > 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    rows = {r["method"]: r for r in m["methods"]}
    for name in ("GD+", "GDM"):
        traj, _ = beale.run_one(beale.methods()[name][0], 300)
        d = np.hypot(traj[:, 0] - 3, traj[:, 1] - 0.5)
        first = next((i for i, v in enumerate(d) if v < 1e-3), None)
        assert rows[name]["iterations_to_1e-3"] == ("never" if first is None else first)
        assert math.isclose(rows[name]["final_distance"], d[-1])
    assert len(m["verdicts"]) == 4


def test_gd_plus_matches_seed_pseudocode_on_a_short_run():
    traj, lrs = beale.run_one(beale.methods()["GD+"][0], 50)
    x, y, ex, ey, dxo, dyo = -2.0, -1.0, 0.01, 0.01, 0.0, 0.0
    for _ in range(50):
        dx, dy = beale.beale_grad(x, y)
        ex, ey = ex + 1e-4 * dx * dxo, ey + 1e-4 * dy * dyo
        x, y, dxo, dyo = x - ex * dx, y - ey * dy, dx, dy
    np.testing.assert_allclose(traj[-1], [x, y], rtol=1e-10)
    np.testing.assert_allclose(lrs[-1], [ex, ey], rtol=1e-10)


def test_rmsprop_example_matches_seed(tmp_path):
    assert main(["rmsprop-example", "--out", str(tmp_path)]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["all_match"] and len(m["rows"]) == 4
    rows, ok = rmsprop_example.run(str(tmp_path), log=lambda *a: None)
    assert ok and rows[0]["w"] == pytest.approx([-14.91, 19.6])


needs_mnist = pytest.mark.skipif(shared_data_root() is None, reason="needs MNIST in ../shared/data")


@needs_mnist
def test_train_and_resume(tmp_path):
    root = str(shared_data_root())
    args = ["train", "--model", "mlp", "--method", "rthpo", "--lr", "0.05", "--hyper-lr", "1e-5", "--train-size",
            "512", "--val-size", "256", "--batch-size", "64", "--data-root", root, "--out", str(tmp_path),
            "--no-progress"]
    assert main(args + ["--epochs", "1"]) == 0
    assert main(args + ["--epochs", "2", "--resume"]) == 0
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert [h["epoch"] for h in m["history"]] == [1, 2] and 0 <= m["test"]["accuracy"] <= 1
    assert len(m["lr_history"]) == 16 and (tmp_path / "training.png").exists()


@needs_mnist
def test_sweep_writes_summary_and_lossgrad_figure(tmp_path):
    root = str(shared_data_root())
    assert main(["sweep", "--method", "firstorder", "lossgrad", "--lrs", "0.01", "0.1", "--hyper-lrs", "1e-4",
                 "--seeds", "0", "1", "--epochs", "1", "--train-size", "256", "--batch-size", "64",
                 "--data-root", root, "--out", str(tmp_path), "--no-progress"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())["summary"]
    assert [r["method"] for r in s] == ["firstorder", "lossgrad"] and s[0]["n_seeds"] == 2
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert len(runs) == 6
    assert (tmp_path / "lossgrad_lr.png").exists() and (tmp_path / "summary.csv").exists()

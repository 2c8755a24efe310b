"""The command-line tool: --help everywhere, each subcommand on a tiny budget writes its files and says where,
the worked RMSProp example's numbers ("Introduction to neural network optimizers, part 2"; docs/sources.md) (the Beale experiment's own logic: tests/test_beale.py)."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.examples import beale, rmsprop_example

from conftest import shared_data_root

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("cmd", [[], ["beale"], ["rmsprop-example"], ["lecture"], ["train"], ["sweep"]])
def test_help(cmd):
    r = subprocess.run([sys.executable, "-m", "tinygrad_lr", *cmd, "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "usage: tinygrad-lr" in r.stdout and "--help" in r.stdout


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tinygrad_lr", *args], cwd=ROOT, capture_output=True, text=True)


def test_no_subcommand_is_a_usage_error():
    r = run_cli()
    assert r.returncode == 2 and "usage: tinygrad-lr" in r.stderr
    r = run_cli("beale", "--iters", "0")
    assert r.returncode == 2 and "--iters" in r.stderr
    r = run_cli("lecture", "--scale", "0")
    assert r.returncode == 2 and "--scale" in r.stderr


def test_lecture_subcommand_writes_its_verdicts(tmp_path):
    r = run_cli("lecture", "--scale", "0.01", "--no-plots", "--jobs", "2", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert len(m["verdicts"]) == 15 and m["scale"] == 0.01
    assert "agree" in r.stdout and not list(tmp_path.glob("*.png"))


def test_beale_subcommand_writes_its_files(tmp_path):
    """python -m tinygrad_lr beale, in 2 worker processes: the same counts as in-process runs."""
    r = run_cli("beale", "--iters", "300", "--out", str(tmp_path), "--jobs", "2")
    assert r.returncode == 0, r.stderr
    for f in ("metrics.json", "metrics.csv", "trajectories.npz", "trajectories.png", "distance.png",
              "learning_rates.png"):
        assert (tmp_path / f).stat().st_size > 0, f
        assert str(tmp_path / f) in r.stdout  # it says where it wrote
    assert "| GD+ | 0.01 | 0.0001 |" in r.stdout and "Verdicts" in r.stdout
    m = json.loads((tmp_path / "metrics.json").read_text())
    rows = {r_["method"]: r_ for r_ in m["methods"]}
    for name in ("GD+", "GDM", "RT-HPO"):
        traj, _ = beale.run_one(name, 300)
        assert rows[name]["iterations_to_1e-3"] == (beale.iterations_to(traj) or "never")
        assert math.isclose(rows[name]["final_distance"], beale.distances(traj)[-1], rel_tol=1e-12)


def test_beale_no_plots(tmp_path):
    assert main(["beale", "--iters", "5", "--out", str(tmp_path), "--no-plots", "--jobs", "1"]) == 0
    assert (tmp_path / "metrics.json").exists() and not (tmp_path / "trajectories.png").exists()


def test_examples_beale_copies_figures_for_the_docs(tmp_path):
    from tinygrad_lr.examples.beale.__main__ import main as example_main
    assert example_main(["--iters", "10", "--jobs", "1", "--out", str(tmp_path / "run"),
                         "--docs", str(tmp_path / "docs")]) == 0
    for f in beale.figures.FIGURES:
        assert (tmp_path / "docs" / f"beale_{f}.png").read_bytes() == (tmp_path / "run" / f"{f}.png").read_bytes()


SEED_001 = {("GD", 1): (-14.91, 19.6), ("GD", 2): (-14.82, 19.21),
            ("RMSProp-style", 1): (-14.84, 19.84), ("RMSProp-style", 2): (-14.73, 19.73)}


def test_rmsprop_example_matches_the_post(tmp_path):
    r = run_cli("rmsprop-example", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert str(tmp_path / "metrics.json") in r.stdout
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["all_match"] is True
    assert {(row["scheme"], row["step"]) for row in m["rows"]} == set(SEED_001)
    for row in m["rows"]:
        ref = SEED_001[(row["scheme"], row["step"])]
        assert np.all(np.abs(np.array(row["w"]) - ref) < 0.005), row
        if row["scheme"] == "RMSProp-style":  # torch's eps placement: the same at 2 decimals
            assert np.all(np.abs(np.array(row["w_optim_RMSprop"]) - ref) < 0.005), row
            np.testing.assert_allclose(row["w_optim_RMSprop"], row["w"], rtol=1e-9)
    # the post's intermediate values, which it computed from the rounded w(1)
    inter = {i["value"]: i for i in m["intermediate"]}
    assert inter["s(1)"]["match"] and all(i["match_from_rounded_w1"] for i in inter.values())
    assert not inter["s(2)"]["match"]  # from the exact w(1) s(2) is 1522.01, not the post's 1521.81


def test_rmsprop_example_by_hand():
    """The RMSProp-style scheme as the post writes it, in NumPy, equals the example's computation."""
    w, s, out = np.array([-15.0, 20.0]), np.zeros(2), []
    for _ in range(2):
        g = np.array([6 * w[0], 20 * w[1]])
        s = 0.9 * s + 0.1 * g * g
        w = w - 0.05 * g / np.sqrt(s + 1e-8)
        out.append(w.copy())
    ours = [w_ for w_, _, _ in rmsprop_example.rmsprop_scheme()]
    np.testing.assert_allclose(ours, out, rtol=1e-13)
    w, gd = np.array([-15.0, 20.0]), []
    for _ in range(2):
        w = w - 0.001 * np.array([6 * w[0], 20 * w[1]])
        gd.append(w.copy())
    np.testing.assert_allclose(rmsprop_example.gradient_descent(), gd, rtol=1e-13)


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


@needs_mnist
def test_sweep_adapts_other_hyperparameters_and_runs_lr_free_optimizers(tmp_path):
    root = str(shared_data_root())
    common = ["--seeds", "0", "--epochs", "1", "--train-size", "128", "--batch-size", "64", "--data-root", root,
              "--no-progress", "--sizes", "784", "32", "10"]
    assert main(["sweep", "--method", "rthpo", "--lrs", "0.05", "--hyper-lrs", "1e-4", "--hyperparams", "lr",
                 "momentum", "--out", str(tmp_path / "a"), *common]) == 0
    runs = json.loads((tmp_path / "a" / "runs.json").read_text())
    assert set(runs[0]["adapted"]) == {"lr", "momentum"}
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["hyperparams"] == ["lr", "momentum"]
    assert main(["sweep", "--method", "sgd", "--optimizer", "prodigy", "--lrs", "1.0", "--out", str(tmp_path / "b"),
                 *common]) == 0
    assert "d" in json.loads((tmp_path / "b" / "runs.json").read_text())[0]["adapted"]

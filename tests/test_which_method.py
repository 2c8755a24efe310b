"""`tinygrad-lr which-method` (examples/which_method): a tiny grid (2 methods x 2 multipliers x 1 seed, 256 MNIST
images, 1 epoch) runs through the CLI and writes the table, the figure and the JSON; stopped with --max-cells and
continued it gives the same runs; the report's sensitivity and verdicts on synthetic results."""
import json
from pathlib import Path

import pytest

from tinygrad_lr.examples.which_method import report
from tinygrad_lr.examples.which_method.config import METHODS

from conftest import shared_data_root
from helpers import runs_without_times

needs_mnist = pytest.mark.skipif(shared_data_root() is None, reason="needs MNIST in ../shared/data")


def cli_args(out, *extra):
    return ["which-method", "--methods", "sgd", "prodigy", "--models", "mlp", "--multipliers", "0.1", "1",
            "--seeds", "0", "--epochs", "1", "--train-size", "256", "--val-size", "256", "--batch-size", "64",
            "--data-root", str(shared_data_root()), "--out", str(out), "--no-progress", "--workers", "1", *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from tinygrad_lr.cli import main
    out = tmp_path_factory.mktemp("which_ref")
    assert main(cli_args(out)) == 0
    return out


@needs_mnist
def test_cli_writes_table_figure_and_json(reference):
    runs = runs_without_times(reference)
    assert sorted((r["method"], r["multiplier"]) for r in runs) == [("prodigy", 0.1), ("prodigy", 1.0),
                                                                     ("sgd", 0.1), ("sgd", 1.0)]
    for r in runs:
        assert r["model"] == "mlp" and r["train_size"] == 256 and len(r["val_curve"]) == 1
        assert 0.0 <= r["test_accuracy"] <= 1.0 and r["lr"] == METHODS[r["method"]].default_lr * r["multiplier"]
    assert "d" in next(r for r in runs if r["method"] == "prodigy")["adapted"]  # Prodigy's adapted d
    summary = json.loads((reference / "summary.json").read_text())
    assert {s["method"] for s in summary["summary"]} == {"sgd", "prodigy"} and summary["verdicts"]
    table = (reference / "table.md").read_text()
    assert "| mlp | sgd |" in table and "## Verdicts" in table
    for name in ("accuracy_vs_multiplier.png", "accuracy_heatmap.png"):
        png = (reference / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, name


def test_heatmap_writes_every_cell_and_marks_diverged_ones(tmp_path):
    """The heat map on synthetic runs: one text per (method, multiplier), "div" where every seed diverged, "k/n div"
    under the mean where some did, rows sorted by the accuracy at the default."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from tinygrad_lr.examples.which_method import figures
    runs = [{"model": "mlp", "method": me, "multiplier": mu, "seed": 0, "test_accuracy": acc,
             "diverged": acc < 0.2} for me, accs in (("sgd", (0.90, 0.95, 0.10)), ("prodigy", (0.97, 0.98, 0.96)))
            for mu, acc in zip((0.1, 1.0, 10.0), accs)]
    runs += [{"model": "mlp", "method": "sgd", "multiplier": 10.0, "seed": 1, "test_accuracy": 0.0, "diverged": True},
             {"model": "mlp", "method": "prodigy", "multiplier": 10.0, "seed": 1, "test_accuracy": 0.0,
              "diverged": True}]
    texts = {}
    real = plt.Axes.text

    def spy(self, x, y, s, **kw):
        texts[(round(x), round(y))] = s
        return real(self, x, y, s, **kw)
    try:
        plt.Axes.text = spy
        figures.accuracy_heatmap(runs, str(tmp_path / "h.png"), epochs=1)
    finally:
        plt.Axes.text = real
    assert (tmp_path / "h.png").stat().st_size > 2000
    assert texts == {(0, 0): "97.00", (1, 0): "98.00", (2, 0): "48.0\n1/2 div",  # prodigy first: 98 % at x1
                     (0, 1): "90.0", (1, 1): "95.00", (2, 1): "div"}  # 90.0: below the 5-point colour window


def test_accuracy_figure_has_a_panel_per_method_and_a_line_per_model(tmp_path):
    """Small multiples: every method in its own panel (no curve hides another), one line per model in each, the
    mean and std over seeds plotted."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from tinygrad_lr.examples.which_method import figures
    runs = [fake(me, mu, s, 0.9 + 0.01 * s, model=mo) for me in ("sgd", "prodigy", "cocob") for mu in (0.1, 1.0)
            for s in (0, 1) for mo in ("mlp", "lenet")]
    calls = []
    real = plt.Axes.errorbar

    def spy(self, x, y, *a, **kw):
        calls.append((id(self), kw.get("label"), list(x), list(y), list(kw.get("yerr"))))
        return real(self, x, y, *a, **kw)
    try:
        plt.Axes.errorbar = spy
        figures.accuracy_figure(runs, str(tmp_path / "f.png"))
    finally:
        plt.Axes.errorbar = real
    assert (tmp_path / "f.png").stat().st_size > 2000
    assert len({c[0] for c in calls}) == 3 and len(calls) == 6  # 3 panels, 2 models each
    assert sorted(c[1] for c in calls) == ["lenet"] * 3 + ["mlp"] * 3
    assert all(c[2] == [0.1, 1.0] and c[3] == [pytest.approx(90.5)] * 2 and c[4] == [pytest.approx(0.5)] * 2
               for c in calls)


@needs_mnist
def test_stopped_with_max_cells_and_continued_gives_the_same_runs(tmp_path, reference, capsys):
    from tinygrad_lr.cli import main
    assert main(cli_args(tmp_path, "--max-cells", "3")) == 0
    assert len(list((tmp_path / "cells").glob("*.npz"))) == 3 and not (tmp_path / "runs.json").exists()
    assert "1 left: run the same command again" in capsys.readouterr().out
    assert main(cli_args(tmp_path, "--max-cells", "3")) == 0
    assert "3 of 4 cells already done" in capsys.readouterr().out
    assert runs_without_times(tmp_path) == runs_without_times(reference)


def test_bad_options_are_one_line_errors(tmp_path):
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[1]
    for args, msg in [(["--multipliers", "0"], "--multipliers must be > 0"), (["--workers", "0"], "--workers")]:
        r = subprocess.run([sys.executable, "-m", "tinygrad_lr", "which-method", "--out", str(tmp_path), *args],
                           cwd=root, capture_output=True, text=True)
        assert r.returncode == 2 and r.stderr.startswith("tinygrad-lr which-method: error: ") and msg in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_every_method_builds_and_steps():
    """Each method of the table takes one step on a tiny MLP (the Val methods with a validation closure)."""
    import numpy as np
    import tinygrad_lr as tl
    import tinygrad_lr.functional as F
    from tinygrad_lr import models
    from tinygrad_lr.examples.which_method.compute import make_stepper
    from tinygrad_lr.train import train_step
    rng = np.random.default_rng(0)
    x, y = tl.Tensor(rng.standard_normal((8, 6)).astype("float32")), tl.Tensor(rng.integers(0, 3, 8))
    for method, m in METHODS.items():
        tl.manual_seed(0)
        model = models.MLP([6, 5, 3])
        w0 = [p.data.copy() for p in model.parameters()]
        stepper = make_stepper(method, model.parameters(), m.default_lr, lambda: F.cross_entropy(model(x), y))
        if hasattr(stepper, "train"):  # Schedule-Free
            stepper.train()
        for _ in range(2):  # as fit does it (a learning-rate method differentiates the loss itself)
            train_step(model, stepper, x, y, F.cross_entropy)
        assert any(not np.array_equal(a, p.data) for a, p in zip(w0, model.parameters())), method


# ---- the report on synthetic results ----------------------------------------------------------------------------

def fake(method, mult, seed, acc, model="mlp", seconds=1.0, diverged=False, val=None):
    return {"method": method, "family": METHODS[method].family, "model": model, "multiplier": mult,
            "lr": METHODS[method].default_lr * mult, "seed": seed, "test_accuracy": 0.0 if diverged else acc,
            "val_curve": [0.0 if diverged else (acc if val is None else val)], "diverged": diverged,
            "seconds": seconds}


MULTS = (0.01, 0.1, 1.0, 10.0, 100.0)
# sgd: good only near its default, diverges at x100; prodigy: flat and slightly below at the default;
# rthpo: best after tuning (x10) and slow
SYNTH = ([fake("sgd", m, s, a + 0.001 * s) for m, a in zip(MULTS[:4], (0.60, 0.90, 0.98, 0.95)) for s in (0, 1)]
         + [fake("sgd", 100.0, s, 0.0, diverged=True) for s in (0, 1)]
         + [fake("prodigy", m, s, 0.975 - 0.001 * s, seconds=2.0) for m in MULTS for s in (0, 1)]
         + [fake("rthpo", m, s, a, seconds=10.0) for m, a in zip(MULTS, (0.90, 0.95, 0.97, 0.99, 0.93))
            for s in (0, 1)])


def test_summary_sensitivity_on_synthetic_results():
    rows = {r["method"]: r for r in report.summarize(SYNTH)}
    sgd, prodigy, rthpo = rows["sgd"], rows["prodigy"], rows["rthpo"]
    assert sgd["default_mean"] == pytest.approx(0.9805) and sgd["default_std"] == pytest.approx(0.0005)
    assert sgd["n_seeds"] == 2 and sgd["best_multiplier"] == 1.0
    assert sgd["range"] == pytest.approx(0.9805) and sgd["within_1"] == pytest.approx(1 / 5)
    assert sgd["diverged"] == 2 and sgd["diverged_at"] == ["100"] and sgd["runs"] == 10
    assert prodigy["range"] == pytest.approx(0.0) and prodigy["within_1"] == 1.0
    assert rthpo["best_multiplier"] == 10.0 and rthpo["best_mean"] == pytest.approx(0.99)
    assert rthpo["within_1"] == pytest.approx(1 / 5) and rthpo["seconds_per_run"] == 10.0
    assert rthpo["by_multiplier"] == {"0.01": 0.90, "0.1": 0.95, "1": 0.97, "10": 0.99, "100": 0.93}


def test_time_per_run_leaves_out_diverged_runs():
    """A run that diverges may stop at once (LDoG refusing NaNs): its seconds would make the method look cheap.
    The median of the trained runs: one run slowed by other work on the machine does not move it."""
    runs = [fake("ldog", 1.0, 0, 0.97, seconds=20.0), fake("ldog", 10.0, 0, 0.0, diverged=True, seconds=1.0),
            fake("ldog", 0.1, 0, 0.96, seconds=19.0), fake("ldog", 0.01, 0, 0.95, seconds=40.0),
            fake("sgd", 100.0, 0, 0.0, diverged=True, seconds=3.0)]
    rows = {r["method"]: r for r in report.summarize(runs)}
    assert rows["ldog"]["seconds_per_run"] == 20.0 and rows["sgd"]["seconds_per_run"] == 3.0


def test_best_multiplier_is_chosen_on_validation_not_test():
    runs = [fake("sgd", 1.0, 0, 0.95, val=0.97), fake("sgd", 10.0, 0, 0.97, val=0.90)]
    row = report.summarize(runs)[0]
    assert row["best_multiplier"] == 1.0 and row["best_mean"] == 0.95


def test_verdicts_follow_the_data():
    vs = {v["question"]: v["answer"] for v in report.verdicts(report.summarize(SYNTH))}
    assert vs["best at its default learning rate"].startswith("sgd (98.05")
    assert "no other method's seed range within 0.1 point" in vs["best at its default learning rate"]
    assert vs["best after choosing the multiplier (by validation accuracy)"].startswith("rthpo at x10 (99.00 %")
    assert vs["least sensitive to the learning rate"] == ("prodigy: 100% of the multipliers within 1 point of its "
                                                          "best, range 0.00 points")
    lrfree = vs["does a learning-rate-free optimizer at its default match the best tuned learning-rate method?"]
    assert lrfree.startswith("no: prodigy") and "-1.55 points" in lrfree
    assert vs["cheapest within 1 point of the best default"].startswith("sgd (1.0 s")
    assert vs["diverged somewhere on the multiplier range"] == "sgd (x100)"
    assert vs["recommendation (from this grid)"] == ("without tuning: prodigy (within 1 point of the best default "
                                                     "and the least sensitive of those: 100% of the multipliers "
                                                     "within 1 point); with a learning-rate search: rthpo")
    # the same data with prodigy 1 point better: now it matches the tuned rthpo and is best at its default
    better = [dict(r, test_accuracy=r["test_accuracy"] + 0.02, val_curve=[r["val_curve"][0] + 0.02])
              if r["method"] == "prodigy" else r for r in SYNTH]
    vs = {v["question"]: v["answer"] for v in report.verdicts(report.summarize(better))}
    assert vs["best at its default learning rate"].startswith("prodigy (99.45")
    assert vs["does a learning-rate-free optimizer at its default match the best tuned learning-rate method?"] \
        .startswith("yes: prodigy")


def test_a_method_that_fails_at_every_multiplier_is_not_the_least_sensitive():
    """Mechanic on SGD never leaves LeNet's plateau in 5 epochs: 9.58 % at every multiplier, range 0. Flat, but
    not robust: the verdict picks among the methods that come within 5 points of the grid's best."""
    stuck = [fake("dog", m, s, 0.0958) for m in MULTS for s in (0, 1)]
    vs = {v["question"]: v["answer"] for v in report.verdicts(report.summarize(SYNTH + stuck))}
    assert vs["least sensitive to the learning rate"].startswith("prodigy: 100%")
    assert vs["least sensitive to the learning rate"].endswith("not counted (flat, but its best is more than 5 "
                                                               "points under the grid's best): dog (best 9.58 %)")


def test_verdicts_are_per_model_and_ties_use_the_seed_spread():
    runs = [fake("sgd", 1.0, s, 0.970 + 0.004 * s, model=mo) for s in (0, 1) for mo in ("mlp", "lenet")] + \
           [fake("adam", 1.0, s, 0.972 + 0.004 * s, model=mo) for s in (0, 1) for mo in ("mlp", "lenet")]
    vs = report.verdicts(report.summarize(runs))
    assert {v["model"] for v in vs} == {"mlp", "lenet"}
    best = [v["answer"] for v in vs if v["question"] == "best at its default learning rate"]
    assert all(a.startswith("adam") and "tied (seed ranges within 0.1 point): sgd" in a for a in best)


def test_a_collapsed_seed_does_not_make_a_tie():
    """DoWG on the MLP at its default: two seeds near 95 %, one collapsed, so its std (39 points) covers the best
    method; its seeds' range does not reach the best method's, so it is not a tie. Seeds 0.06 point apart are."""
    best = [fake("l4adam", 1.0, s, a) for s, a in enumerate((0.9800, 0.9805, 0.9810))]
    wild = [fake("dowg", 1.0, s, a) for s, a in enumerate((0.9550, 0.9560, 0.1000))]
    close = [fake("cocob", 1.0, s, a) for s, a in enumerate((0.9790, 0.9792, 0.9794))]
    rows = report.summarize(best + wild + close)
    assert {r["method"]: r["default_min"] for r in rows} == {"l4adam": 0.98, "dowg": 0.10, "cocob": 0.979}
    answer = {v["question"]: v["answer"] for v in report.verdicts(rows)}["best at its default learning rate"]
    assert answer.startswith("l4adam (98.05") and answer.endswith("tied (seed ranges within 0.1 point): cocob")

"""The experiments' figures keep one colour per method (issue 12, item 7): every figure function is called on tiny or
synthetic results (matplotlib's Agg backend), every Line2D a method drew is collected by its gid (the method's
name, common.figures.method_style), and each method must have one colour in every axes of every figure of its
experiment, the colour of the experiment's map, and two methods in one axes never the same colour. Also: curves
that coincide say so in their legend, single runs name their cell and seed, round-off floors are marked."""
import json
import pathlib

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tinygrad_lr.examples.common.figures import same_curve, shared_prefix  # noqa: E402

DOCS_RESULTS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "results"


@pytest.fixture
def figures(monkeypatch):
    """Every Figure saved while the test runs (figure functions save and close them; the objects stay readable)."""
    saved = []
    original = Figure.savefig

    def record(self, *a, **k):
        saved.append(self)
        return original(self, *a, **k)
    monkeypatch.setattr(Figure, "savefig", record)
    return saved


def method_lines(figs):
    """[(figure index, axes, gid, colour)] of every line drawn with a gid."""
    out = []
    for i, fig in enumerate(figs):
        for ax in fig.axes:
            for line in ax.get_lines():
                if line.get_gid():
                    out.append((i, ax, line.get_gid(), to_hex(line.get_color())))
    return out


def legend_texts(figs):
    texts = []
    for fig in figs:
        for ax in fig.axes:
            leg = ax.get_legend()
            if leg is not None:
                texts += [t.get_text() for t in leg.get_texts()]
        for leg in fig.legends:
            texts += [t.get_text() for t in leg.get_texts()]
    return texts


def check_one_colour_per_method(figs, colours, expect=()):
    """Each gid one colour across all `figs` (the map's where the map has it); no two gids of the map share a
    colour within one axes; every name in `expect` was drawn."""
    lines = method_lines(figs)
    assert lines, "no method lines found"
    by_method = {}
    for _, _, gid, col in lines:
        by_method.setdefault(gid, set()).add(col)
    for gid, cols in by_method.items():
        assert len(cols) == 1, f"{gid} drawn in {sorted(cols)}"
        if gid in colours:
            assert cols == {to_hex(colours[gid])}, (gid, cols, colours[gid])
    axes = {}
    for _, ax, gid, col in lines:
        if gid in colours:
            axes.setdefault(id(ax), {})[gid] = col
    for per_ax in axes.values():
        assert len(set(per_ax.values())) == len(per_ax), f"two methods share a colour in one axes: {per_ax}"
    missing = set(expect) - set(by_method)
    assert not missing, f"never drawn: {sorted(missing)}"
    return by_method


def test_same_curve_and_shared_prefix():
    a = np.array([1.0, 2.0, np.nan])
    assert same_curve(a, {"x": [1.0, 2.0], "y": a.copy()}) == "y"
    assert same_curve(a, {"x": [1.0, 2.5, np.nan]}) is None
    assert shared_prefix([1, 2, 3, 4], [1, 2, 5, 4]) == 2 and shared_prefix([1, 2], [1, 2, 3]) == 2


def test_the_map_of_every_experiment_has_distinct_colours():
    from tinygrad_lr.examples.beale import figures as bf
    from tinygrad_lr.examples.lecture import figures as lf
    from tinygrad_lr.examples.lossgrad import figures as gf
    from tinygrad_lr.examples.rmsprop_example import figures as rf
    from tinygrad_lr.examples.rosenbrock import figures as sf
    from tinygrad_lr.examples.lossgrad import config
    for colours in (bf.COLOURS, lf.COLOURS, rf.COLOURS, sf.COLOURS):
        assert len({to_hex(c) for c in colours.values()}) == len(colours), colours
    for exp in ("fmnist", "mnist"):  # LOSSGRAD: distinct within each table (the two tables' SGD η share shades)
        labels = [config.label(c) for c in config.cells(exp)]
        assert len({to_hex(gf.COLOURS[n]) for n in labels}) == len(labels), exp
    assert gf.COLOURS["LOSSGRAD"] == gf.COLOURS[f"LOSSGRAD c={config.C_DEFAULT:g}"]  # the Fashion-MNIST row's c


def test_beale_one_colour_per_method(figures, tmp_path):
    from tinygrad_lr.examples import beale
    from tinygrad_lr.examples.beale import figures as bf
    results = beale.run_all(40, 1)
    assert set(beale.methods()) <= set(bf.COLOURS)
    bf.draw_figures(results, str(tmp_path))
    exact = {n: (np.log10(beale.distances(results[n][0])), False) for n in ("GD", "GD+", "GDM", "GDM+", "Adam", "Adam+")}
    bf.draw_exact(results, exact, str(tmp_path))
    assert len(figures) == 4
    check_one_colour_per_method(figures, bf.COLOURS, expect=bf.COLOURS)
    texts = legend_texts(figures)
    # the global GD+ is exactly first-order HD (README): said in the legend, not hidden
    assert any("GD+ (global)" in t and "identical to HD (first-order)" in t for t in texts)
    assert any("float64 round-off" in t for t in texts)


def test_beale_redraw_from_saved_runs(figures, tmp_path):
    from tinygrad_lr.examples import beale
    from tinygrad_lr.examples.beale import figures as bf
    results = beale.run_all(30, 1)
    np.savez_compressed(tmp_path / "trajectories.npz", **{f"{n}/traj": t for n, (t, _, _) in results.items()},
                        **{f"{n}/lr": l for n, (_, l, _) in results.items()})
    paths = bf.redraw(str(tmp_path))
    assert [pathlib.Path(p).name for p in paths] == [f"{f}.png" for f in bf.FIGURES]
    check_one_colour_per_method(figures, bf.COLOURS, expect=bf.COLOURS)


def test_lecture_one_colour_per_method(figures, tmp_path):
    from tinygrad_lr.examples.lecture import compute
    from tinygrad_lr.examples.lecture import figures as lf
    results = compute.run_all(0.02, 1)
    lf.draw_figures(results, str(tmp_path))
    assert len(figures) == 4
    seen = check_one_colour_per_method(figures, lf.COLOURS, expect=set(lf.COLOURS) - {"AdaDelta"})
    from tinygrad_lr.examples.lecture.config import ADADELTA_EPS
    n = len(ADADELTA_EPS)
    for m in ("AdaDelta", "RMSProp"):  # the ε sweep: shades of the method's one colour, one per ε
        assert [seen[f"{m}, ε = {e:g}"] for e in ADADELTA_EPS] == [{to_hex(lf.shade(lf.COLOURS[m], i, n))}
                                                                   for i in range(n)]
    texts = legend_texts(figures)
    assert any("round-off" in t for t in texts)
    titles = [ax.get_title() for fig in figures for ax in fig.axes]
    assert any("seed" in t for t in titles)


def test_rmsprop_example_one_colour_per_method(figures, tmp_path):
    from tinygrad_lr.examples.rmsprop_example import figures as rf
    rf.draw_figures(str(tmp_path))
    assert len(figures) == 3
    check_one_colour_per_method(figures, rf.COLOURS, expect=rf.COLOURS)


def test_rosenbrock_figure_from_the_committed_data(figures, tmp_path):
    from tinygrad_lr.examples.rosenbrock import figures as sf
    res = json.loads((DOCS_RESULTS / "rosenbrock_fig1.json").read_text())
    sf.draw(res, str(tmp_path / "fig1.png"))
    check_one_colour_per_method(figures, sf.COLOURS, expect=sf.COLOURS)
    assert any("round-off" in t for t in legend_texts(figures))


def _fake_cell(experiment, label_cfg, seed=0, epochs=6, steps=300, rng=None, shift=0.0, prefix_of=None):
    from tinygrad_lr.examples.lossgrad import config
    cfg = dict(dict(experiment=experiment, seed=seed, epochs=epochs, train_size=None, lr=None, c=None), **label_cfg)
    loss = list(np.exp(-np.linspace(0, 2, epochs)) + shift) if prefix_of is None else \
        list(prefix_of[:3]) + list(np.asarray(prefix_of[3:]) * 0.9)
    r = dict(config=cfg, label=config.label(cfg), train_loss=loss[-1], test_loss=loss[-1],
             epochs_log=[{"epoch": e + 1, "loss": v} for e, v in enumerate(loss)])
    if label_cfg["method"] == "lossgrad":
        h = np.concatenate([np.geomspace(1e-4, 0.5, 60), 0.1 + 0.05 * rng.random(steps - 60)])
        bl = np.exp(-np.linspace(0, 3, steps)) * (1 + rng.random(steps))
        bl[200] *= 10  # a loss spike ...
        h[195] = 0.4   # ... just after a step-size peak
        r.update(step_lr=h.tolist(), step_loss=bl.tolist())
    return r


def test_lossgrad_rows_keep_their_colour_in_the_curves_and_the_steps_figure(figures, tmp_path):
    from tinygrad_lr.examples.lossgrad import config
    from tinygrad_lr.examples.lossgrad import figures as gf
    rng = np.random.default_rng(0)
    for exp in ("fmnist", "mnist"):  # every row of both tables has a colour
        for c in config.cells(exp):
            assert config.label(c) in gf.COLOURS, config.label(c)
    fm = [_fake_cell("fmnist", c, rng=rng, shift=0.01 * i)
          for i, c in enumerate(config.FMNIST_CELLS) if c["method"] != "steplr"]
    sgd4 = next(r for r in fm if r["label"] == "SGD 4.0")
    fm.insert(3, _fake_cell("fmnist", {"method": "steplr"}, rng=rng,
                            prefix_of=[h["loss"] for h in sgd4["epochs_log"]]))
    gf.curves(fm, str(tmp_path / "fmnist_curves.png"), "Fashion-MNIST autoencoder, 6 epochs, seed 0")
    lg = next(r for r in fm if r["config"]["method"] == "lossgrad")
    gf.spikes_figure(lg, str(tmp_path / "fmnist_steps.png"), where="Fashion-MNIST autoencoder")
    fm_figs = list(figures)
    seen = check_one_colour_per_method(fm_figs, gf.COLOURS, expect=[r["label"] for r in fm])
    assert seen["LOSSGRAD"] == {to_hex(gf.COLOURS["LOSSGRAD c=1.05"])}
    assert any(t.startswith("StepLR") and "SGD 4.0 in epochs 1–3" in t for t in legend_texts(fm_figs))
    assert "LOSSGRAD c = 1.05" in fm_figs[1].axes[0].get_title() and "seed 0" in fm_figs[1].axes[0].get_title()
    assert any("within 10 steps of a step-size peak" in t for t in legend_texts(fm_figs[1:]))

    mn = [_fake_cell("mnist", c, rng=rng, shift=0.01 * i)
          for i, c in enumerate(config.MNIST_CELLS)]
    gf.curves(mn, str(tmp_path / "mnist_curves.png"), "MNIST MLP, 6 epochs, seed 0")
    gf.spikes_figure(next(r for r in mn if r["config"].get("c") == config.C_DEFAULT), str(tmp_path / "s.png"))
    from tinygrad_lr.examples.lossgrad import compute
    rows = compute.quadratic_analysis(cases=((1.0, 10.0), (2.0, 3.0)), starts=((1.0, 1.0),), steps=20,
                                      lossgrad_steps=2500, c_values=(1.05, 1.2))
    gf.quadratic_figure(rows, str(tmp_path / "quadratic.png"))
    check_one_colour_per_method(figures, gf.COLOURS,
                                expect=[r["label"] for r in fm + mn] + ["LOSSGRAD c=1.2"])


def test_lossgrad_replot_reads_the_finished_cells_and_trains_none(figures, tmp_path):
    """--replot: the table and its figures from the cells' result.json files; a missing cell is an error, never a
    training run."""
    from tinygrad_lr.examples import lossgrad
    from tinygrad_lr.examples.lossgrad import compute, config
    rng = np.random.default_rng(1)
    todo = config.cells("mnist", epochs=3)
    with pytest.raises(ValueError, match="no finished result"):
        lossgrad.run_table("mnist", str(tmp_path), epochs=3, replot=True, log=lambda *a: None)
    for i, c in enumerate(todo):
        r = _fake_cell("mnist", {k: c[k] for k in ("method", "lr", "c") if k in c}, epochs=3, rng=rng, shift=0.01 * i)
        r.update(id=compute.cell_id(**c), test_accuracy=0.9, train_accuracy=0.9, epoch_seconds=1.0)
        assert compute.load_cell(str(tmp_path), **c) is None
        (tmp_path / r["id"]).mkdir()
        (tmp_path / r["id"] / "result.json").write_text(json.dumps(r))
        assert compute.load_cell(str(tmp_path), **c)["label"] == r["label"]
    results, summary, files = lossgrad.run_table("mnist", str(tmp_path), epochs=3, replot=True, log=lambda *a: None)
    assert [r["label"] for r in results] == [config.label(c) for c in todo]
    assert {pathlib.Path(f).name for f in files} == {"mnist_table.json", "mnist_table.csv", "mnist_curves.png",
                                                     "mnist_lossgrad_steps.png"}
    check_one_colour_per_method(figures, lossgrad.figures.COLOURS, expect=[r["label"] for r in results])

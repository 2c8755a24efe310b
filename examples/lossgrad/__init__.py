"""Wójcik, Maziarka & Tabor (2019), "LOSSGRAD: automatic learning rate in gradient descent" (arXiv:1902.07656):
the two-dimensional quadratic analysis of their Section 3 checked numerically, the Fashion-MNIST autoencoder table
and the MNIST fully-connected table with the c-sweep.

Every training run is one cell (config.cells): `compute.run_cell(**cell, out=FOLDER)` trains it with per-epoch
checkpoints (train.fit, resume), writes FOLDER/<cell id>/result.json (FOLDER: --out) atomically, returns a JSON-able dict and
skips a finished cell, so a stopped table continues where it stopped and any cell runner can dispatch the cells.
The modules: config (the paper's numbers, our choices for the values its text lost, the cells, the options),
compute (the cells, the quadratic), report (tables, verdicts, files), figures."""
import os
import time

from . import compute, config, figures, report
from .compute import cell_id, quadratic_analysis, run_cell, run_cells
from .config import cells


def run_quadratic(out, plots=True, log=print):
    rows = quadratic_analysis()
    judged = report.quadratic_summary(rows)
    demo = compute.underflow_demo()
    stored = [dict(r, h=r["h"][::20], h_every=20) if "h" in r else r for r in rows]  # every 20th step size
    files = report.write(out, "quadratic", {"rows": stored, "verdicts": judged, "underflow": demo})
    if plots:
        files.append(figures.quadratic_figure(rows, os.path.join(out, "quadratic.png")))
    for text, ok in judged:
        log(f"[{'yes' if ok else 'no' if ok is not None else '--'}] {text}")
    log(f"without renormalising (λ = 2, 3, c = 1.05): h‖g‖² falls below the 1e-25 guard at step "
        f"{demo['first_step_below_guard']} (f = {demo['f_at_guard']:.2g}); h then grows to {demo['h_max_after']:.3g} "
        f"(before: at most {demo['h_max_before']:.3g})")
    return rows, judged, files


def run_table(experiment, out, epochs=config.EPOCHS, seed=0, train_size=None, data_root=None, jobs=1, plots=True,
              log=print, replot=False):
    """One table: every cell (run, or read when finished), the table, its verdicts and spikes, its files and
    figures. replot=True: read the finished cells in `out` and train none (a ValueError names any missing), so the
    table and the figures are rebuilt from the stored results in seconds."""
    todo = cells(experiment, epochs, seed, train_size, data_root)
    if replot:
        results = [compute.load_cell(out, **c) for c in todo]
        missing = [compute.cell_id(**c) for c, r in zip(todo, results) if r is None]
        if missing:
            raise ValueError(f"--replot: no finished result in {out} for " + ", ".join(missing))
    else:
        results = run_cells(todo, out, jobs, log)
    for r in results:  # the row names of this version (a result stored by an older one keeps its numbers)
        r["label"] = config.label(r["config"])
    table = report.fmnist_table(results) if experiment == "fmnist" else report.mnist_table(results)
    summary = {"experiment": experiment, "epochs": epochs, "seed": seed, "train_size": train_size,
               "rows": report.rows(results)}
    if experiment == "fmnist":
        summary["verdicts"] = report.fmnist_verdicts(results)
    lg = [r for r in results if r["config"]["method"] == "lossgrad"]
    summary["spikes"] = {r["label"]: report.spikes(r) for r in lg}
    files = report.write(out, f"{experiment}_table", summary, report.rows(results))
    if plots:
        name = "Fashion-MNIST autoencoder" if experiment == "fmnist" else "MNIST MLP 784-500-300-100-10"
        size = f", first {train_size} images" if train_size else ""
        files.append(figures.curves(results, os.path.join(out, f"{experiment}_curves.png"),
                                    f"{name}, {epochs} epochs{size}, seed {seed}, batch {config.BATCH}"))
        for r in lg:
            if r["config"].get("c") == config.C_DEFAULT:
                files.append(figures.spikes_figure(r, os.path.join(out, f"{experiment}_lossgrad_steps.png"),
                                                   where=f"{name}, {epochs} epochs{size}"))
    log(table)
    for text, ok in summary.get("verdicts", []):
        log(f"[{'yes' if ok else 'no'}] {text}")
    for k, v in summary["spikes"].items():
        log(f"{k}: {v['spikes']} loss spikes (> 2x the median of the 50 steps before), {v['spikes_after_step_size_peak']}"
            f" of them within 10 steps of a step-size peak (>= 1.5x its median); step size median {v['lr_median']:.3g}, "
            f"max {v['lr_max']:.3g} at step {v['lr_max_step']}")
    return results, summary, files


def run(what=("quadratic", "fmnist", "mnist"), out="runs/lossgrad_tables", epochs=config.EPOCHS, seed=0,
        train_size=None, data_root=None, jobs=1, plots=True, log=print, replot=False):
    """The parts in `what`; replot=True: the tables from their finished cells in `out`, training none (the
    quadratic is computed as usual: it takes about two minutes)."""
    t0 = time.perf_counter()
    files = []
    if "quadratic" in what:
        files += run_quadratic(out, plots, log)[2]
    for exp in ("fmnist", "mnist"):
        if exp in what:
            files += run_table(exp, out, epochs, seed, train_size, data_root, jobs, plots, log, replot=replot)[2]
    log(f"{time.perf_counter() - t0:.1f} s; wrote " + ", ".join(files))
    return files


__all__ = ["run", "run_quadratic", "run_table", "run_cell", "run_cells", "cells", "cell_id", "quadratic_analysis",
           "compute", "config", "report", "figures"]

"""The Beale experiment's figures: trajectories on the contours of f, the distance to the minimum per iteration,
and the learning rates of the adaptive-η methods."""
import os
import shutil

import numpy as np

from ..common.figures import pyplot, save_png
from .compute import beale, distances, iterations_to
from .config import FLOOR, MINIMUM, OTHERS, PAIRS, PAPER_TABLE, START, TOL


def draw_figures(results, out, dpi=100):
    """trajectories.png, distance.png, learning_rates.png under `out` from {name: (trajectory, lrs, ...)}."""
    plt = pyplot()
    from matplotlib.colors import LogNorm
    groups = [tuple(p) + ((f"{p[1]} (global)",) if f"{p[1]} (global)" in results else ()) for p in PAIRS] + OTHERS
    paths = []

    # trajectories on log-spaced contours of f
    xs, ys = np.meshgrid(np.linspace(-3, 4.5, 200), np.linspace(-2.5, 2.5, 200))
    zs = beale(xs, ys)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), constrained_layout=True)
    for ax, group in zip(axes.flat, groups):
        ax.contour(xs, ys, zs, levels=np.logspace(-1, 5, 16), norm=LogNorm(), cmap="viridis",
                   linewidths=0.5)
        for name, color in zip(group, ("tab:red", "tab:blue", "tab:orange")):
            t = results[name][0]
            it = iterations_to(t)
            ax.plot(t[:, 0], t[:, 1], lw=1.3, color=color, marker=".", ms=3, markevery=max(1, len(t) // 150),
                    label=f"{name} ({'never' if it is None else it})")
        ax.plot(*MINIMUM, "*", color="k", ms=14, zorder=5)
        ax.plot(*START, "o", color="w", mec="k", ms=6, zorder=5)
        ax.set(xlim=(-3, 4.5), ylim=(-2.5, 2.5), xlabel="x", ylabel="y", title=" vs ".join(group))
        ax.legend(fontsize=8, loc="lower right", title="iterations to 1e-3", title_fontsize=7)
    fig.suptitle(f"Beale's function, log-spaced contours: trajectories from {START} (○) to the minimum "
                 f"{MINIMUM} (★)")
    paths.append(save_png(fig, os.path.join(out, "trajectories.png"), dpi))

    # distance to the minimum
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharey=True)
    for ax, group in zip(axes.flat, groups):
        for name in group:
            ax.plot(distances(results[name][0]), lw=1.1, label=name)
        ax.axhline(TOL, color="k", lw=0.7, ls=":")
        ax.axhspan(1e-16, FLOOR, color="0.85", zorder=0, label=f"float64 round-off (< {FLOOR:g})")
        ax.set(yscale="log", xlabel="iteration", title=" vs ".join(group), ylim=(1e-16, 20))
        ax.legend(fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("distance to (3, 0.5)")
    fig.suptitle("Distance to the minimum per iteration (dotted: 1e-3; grey: float64 round-off, where the curves "
                 "no longer tell the methods apart)")
    fig.tight_layout()
    paths.append(save_png(fig, os.path.join(out, "distance.png"), dpi))

    # learning rates of the adaptive-η methods
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    panels = [p for _, p in PAIRS] + [("HD (first-order)", "RT-HPO"), ("GD+ (global)", "GDM+ (global)")]
    for ax, p in zip(axes.flat, panels):
        if isinstance(p, tuple):
            for name in p:
                lrs = results[name][1]
                ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 0], lw=1.1, label=f"{name}: η (global)")
            ax.set_title("global η: " + ", ".join(p))
        else:
            lrs = results[p][1]
            ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 0], lw=1.1, label="η_x")
            ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 1], lw=1.1, label="η_y")
            ax.set_title(f"{p} (η₀ = {PAPER_TABLE[p][0]:g}, α = {PAPER_TABLE[p][1]:g})")
        ax.set(xscale="log", xlabel="iteration", ylabel="learning rate")
        ax.legend(fontsize=8)
    fig.suptitle("Learning rates per iteration (the η each step used)")
    fig.tight_layout()
    paths.append(save_png(fig, os.path.join(out, "learning_rates.png"), dpi))
    return paths


def draw_exact(results, exact_runs, out, dpi=100):
    """exact_distance.png: the closeness pairs' distances in float64 (solid) and in decimal arithmetic (dashed,
    exact.py), on one log scale down to where the decimal runs are at the budget."""
    plt = pyplot()
    pairs = [(b, p) for b, p in PAIRS if b in exact_runs and p in exact_runs]
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4.6), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        lo = 0.0
        for name, color in zip(pair, ("tab:blue", "tab:orange")):
            with np.errstate(divide="ignore"):
                ax.plot(np.log10(distances(results[name][0])), color=color, lw=1.2, label=f"{name}, float64")
            ld = np.asarray(exact_runs[name][0])
            ax.plot(ld, color=color, lw=1.2, ls="--", label=f"{name}, decimal")
            lo = min(lo, float(np.nanmin(ld[np.isfinite(ld)])))
        ax.axhspan(lo - 10, np.log10(FLOOR), color="0.88", zorder=0, label=f"float64 round-off (< {FLOOR:g})")
        ax.axhline(np.log10(TOL), color="k", lw=0.7, ls=":")
        ax.set(xlabel="iteration", ylabel="log10 distance to (3, 0.5)", ylim=(lo - 5, 2), title=" vs ".join(pair))
        ax.legend(fontsize=8)
    fig.suptitle("The 'closer after convergence' pairs with and without round-off (decimal: exact.py, same iterations)")
    fig.tight_layout()
    return save_png(fig, os.path.join(out, "exact_distance.png"), dpi)


FIGURES = ("trajectories", "distance", "learning_rates")  # the files figures() writes, <name>.png


def copy_to_docs(out, docs):
    """Copy the figures of a run in `out` to docs/beale_<name>.png (the README shows them from docs/figures)."""
    os.makedirs(docs, exist_ok=True)
    names = [f for f in FIGURES + ("exact_distance",) if os.path.exists(os.path.join(out, f"{f}.png"))]
    for f in names:
        shutil.copyfile(os.path.join(out, f"{f}.png"), os.path.join(docs, f"beale_{f}.png"))
    return [os.path.join(docs, f"beale_{f}.png") for f in names]

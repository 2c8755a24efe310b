"""The Beale experiment's figures: trajectories on the contours of f, the distance to the minimum per iteration,
the closeness pairs with and without round-off, and the learning rates of the adaptive-η methods. Every method
keeps one colour (COLOURS) in all of them; within a panel the first curve is drawn thickest and the later ones
thinner (dashed for the third) so that no curve hides another, and a curve identical to one drawn before says so
in its label."""
import os
import shutil

import numpy as np

from ..common.figures import method_style, pyplot, roundoff_band, same_curve, save_png
from .compute import beale, distances, iterations_to
from .config import FLOOR, MINIMUM, OTHERS, PAIRS, START, TOL, methods

# one colour per method, in every figure of the experiment
COLOURS = {"GD": "tab:blue", "GD+": "tab:orange", "GD+ (global)": "tab:green",
           "GDM": "tab:purple", "GDM+": "tab:red", "GDM+ (global)": "tab:olive",
           "NAG": "tab:brown", "NAG+": "tab:pink",
           "Adam": "navy", "Adam+": "tab:cyan",
           "AdaGrad": "darkgoldenrod", "RMSprop": "teal", "AdaDelta": "magenta",
           "HD (first-order)": "tab:gray", "RT-HPO": "black"}
# the i-th curve of a panel: thick and translucent under thinner ones, so curves on top of each other stay visible
LAYERS = (dict(lw=2.8, alpha=0.6, ls="-"), dict(lw=1.3, alpha=1.0, ls="-"), dict(lw=1.2, alpha=1.0, ls="--"))


def cell(name):
    """The hyper-parameters of method `name` as the legend shows them: η, and α (the "+" methods) or β (HD)."""
    m = methods()[name]
    extra = f", α = {m.alpha:g}" if m.alpha else f", β = {m.hyper_lr:g}" if m.hyper_lr else ""
    return f"η = {m.eta:g}{extra}"


def groups_of(results):
    """The panels of the trajectory and distance figures: each pair (with its global-η variant when run), then
    OTHERS."""
    return [tuple(p) + ((f"{p[1]} (global)",) if f"{p[1]} (global)" in results else ()) for p in PAIRS] + OTHERS


def _label(name, y, drawn, text):
    same = same_curve(y, drawn)
    return f"{text} (identical to {same})" if same else text


def draw_figures(results, out, dpi=100):
    """trajectories.png, distance.png, learning_rates.png under `out` from {name: (trajectory, lrs, ...)}."""
    plt = pyplot()
    from matplotlib.colors import LogNorm
    groups = groups_of(results)
    paths = []

    # trajectories on log-spaced contours of f
    xs, ys = np.meshgrid(np.linspace(-3, 4.5, 200), np.linspace(-2.5, 2.5, 200))
    zs = beale(xs, ys)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), constrained_layout=True)
    for ax, group in zip(axes.flat, groups):
        ax.contour(xs, ys, zs, levels=np.logspace(-1, 5, 16), norm=LogNorm(), colors="0.75", linewidths=0.5)
        drawn = {}
        for name, layer in zip(group, LAYERS):
            t = results[name][0]
            it = iterations_to(t)
            ax.plot(t[:, 0], t[:, 1], **method_style(COLOURS, name, **layer), marker=".", ms=3,
                    markevery=max(1, len(t) // 150),
                    label=_label(name, t, drawn, f"{name}, {cell(name)}: {'never' if it is None else it}"))
            drawn[name] = t
        ax.plot(*MINIMUM, "*", color="k", ms=14, zorder=5)
        ax.plot(*START, "o", color="w", mec="k", ms=6, zorder=5)
        ax.set(xlim=(-3, 4.5), ylim=(-2.5, 2.5), xlabel="x", ylabel="y", title=" vs ".join(group))
        ax.legend(fontsize=7.5, loc="lower right", title="iterations to 1e-3", title_fontsize=7)
    fig.suptitle(f"Beale's function (grey: log-spaced contours of f): trajectories from {START} (○) to the minimum "
                 f"{MINIMUM} (★); {len(results[groups[0][0]][0]) - 1} iterations each")
    paths.append(save_png(fig, os.path.join(out, "trajectories.png"), dpi))

    # distance to the minimum
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharey=True)
    for ax, group in zip(axes.flat, groups):
        drawn = {}
        for name, layer in zip(group, LAYERS):
            d = distances(results[name][0])
            ax.plot(d, **method_style(COLOURS, name, **layer), label=_label(name, d, drawn, name))
            drawn[name] = d
        ax.axhline(TOL, color="k", lw=0.7, ls=":", label="1e-3 (the count's threshold)")
        roundoff_band(ax, FLOOR, 1e-16)
        ax.set(yscale="log", xlabel="iteration", title=" vs ".join(group), ylim=(1e-16, 20))
        ax.legend(fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("distance to (3, 0.5) (log scale)")
    fig.suptitle("Distance to the minimum per iteration (dotted: 1e-3; grey: float64 round-off, where the curves "
                 "no longer tell the methods apart)")
    fig.tight_layout()
    paths.append(save_png(fig, os.path.join(out, "distance.png"), dpi))

    # learning rates of the adaptive-η methods: η_x solid, η_y dashed, in the method's colour
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    panels = [p for _, p in PAIRS] + [("HD (first-order)", "RT-HPO"), ("GD+ (global)", "GDM+ (global)")]
    drawn = {}
    for ax, p in zip(axes.flat, panels):
        if isinstance(p, tuple):
            for name, layer in zip(p, LAYERS):
                lrs = results[name][1]
                ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 0], **method_style(COLOURS, name, **layer),
                        label=_label(name, lrs[:, 0], drawn, f"{name}, {cell(name)}"))
                drawn[name] = lrs[:, 0]
            ax.set_title("one global η: " + " vs ".join(p))
        else:
            lrs = results[p][1]
            for k, (axis, ls) in enumerate((("x", "-"), ("y", "--"))):
                ax.plot(np.arange(1, len(lrs) + 1), lrs[:, k], **method_style(COLOURS, p, lw=1.3, ls=ls),
                        label=f"η_{axis}")
            ax.set_title(f"{p}, {cell(p)}: per-element η")
        ax.set(xscale="log", xlabel="iteration (log scale)", ylabel="learning rate η")
        ax.legend(fontsize=8)
    fig.suptitle("Learning rates per iteration (the η each step used; linear η axis, its range set by each panel)")
    fig.tight_layout()
    paths.append(save_png(fig, os.path.join(out, "learning_rates.png"), dpi))
    return paths


def draw_exact(results, exact_runs, out, dpi=100):
    """exact_distance.png: the closeness pairs' distances in float64 (thick, translucent) and in decimal arithmetic
    (dashed, exact.py), on one log scale down to where the decimal runs are at the budget. The two coincide until
    float64's rounding (or Adam's chaotic hovering) parts them: the legend says at which iteration."""
    plt = pyplot()
    pairs = [(b, p) for b, p in PAIRS if b in exact_runs and p in exact_runs]
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.4 * len(pairs), 4.8), squeeze=False)
    for ax, pair in zip(axes[0], pairs):
        lo = 0.0
        for name in pair:
            with np.errstate(divide="ignore"):
                lf = np.log10(distances(results[name][0]))
            ld = np.asarray(exact_runs[name][0], dtype=np.float64)
            n = min(len(lf), len(ld))
            apart = np.flatnonzero(~(np.abs(lf[:n] - ld[:n]) <= 1e-6))  # where float64 leaves the exact run
            until = f"until iteration {apart[0]}" if len(apart) else "at every iteration"
            ax.plot(lf, **method_style(COLOURS, name, lw=3.0, alpha=0.45), label=f"{name}, float64")
            ax.plot(ld, **method_style(COLOURS, name, lw=1.2, ls="--"),
                    label=f"{name}, 250-digit decimal (dashed; equals\nfloat64 to 1e-6 in log10 {until})")
            lo = min(lo, float(np.nanmin(ld[np.isfinite(ld)])))
        ax.axhspan(lo - 10, np.log10(FLOOR), color="0.88", zorder=0, label=f"float64 round-off (< {FLOOR:.0e})")
        ax.axhline(np.log10(TOL), color="k", lw=0.7, ls=":")
        ax.set(xlabel="iteration", ylabel="log10 of the distance to (3, 0.5)", ylim=(lo - 5, 2),
               title=" vs ".join(pair))
        ax.legend(fontsize=7)
    fig.suptitle("The 'closer after convergence' pairs with and without round-off (decimal: exact.py, the same "
                 "iterations; dotted: 1e-3)")
    fig.tight_layout()
    return save_png(fig, os.path.join(out, "exact_distance.png"), dpi)


FIGURES = ("trajectories", "distance", "learning_rates")  # the files figures() writes, <name>.png


def redraw(out, dpi=100):
    """The figures again from the runs a finished experiment saved in `out` (trajectories.npz, and exact.npz when
    it ran with --exact), running nothing. Returns the paths written."""
    z = np.load(os.path.join(out, "trajectories.npz"))
    names = list(dict.fromkeys(k.rsplit("/", 1)[0] for k in z.files))
    results = {n: (z[f"{n}/traj"], z[f"{n}/lr"], None) for n in names}
    paths = draw_figures(results, out, dpi)
    if os.path.exists(os.path.join(out, "exact.npz")):
        e = np.load(os.path.join(out, "exact.npz"))
        exact_runs = {k.rsplit("/", 1)[0]: (e[k], None) for k in e.files}
        paths.append(draw_exact(results, exact_runs, out, dpi))
    return paths


def copy_to_docs(out, docs):
    """Copy the figures of a run in `out` to docs/beale_<name>.png (the README shows them from docs/figures)."""
    os.makedirs(docs, exist_ok=True)
    names = [f for f in FIGURES + ("exact_distance",) if os.path.exists(os.path.join(out, f"{f}.png"))]
    for f in names:
        shutil.copyfile(os.path.join(out, f"{f}.png"), os.path.join(docs, f"beale_{f}.png"))
    return [os.path.join(docs, f"beale_{f}.png") for f in names]

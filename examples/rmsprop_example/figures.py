"""The tutorial's three figures from our runs (tutorial.py): update_vectors.png, trajectories.png, c_a.png."""
import os
import shutil

import numpy as np

from ..common.figures import method_style, pyplot, save_png
from . import tutorial
from .compute import energy
from .config import BETA, ETA, ETA_GD, W0

FIGURES = ("update_vectors", "trajectories", "c_a")
# one colour per method in every figure: the post's, classical GD blue and the adaptive scheme orange (β = 0.9,
# the worked example's β); the adaptive scheme at β = 0, only in Figure 2, red
COLOURS = {"GD": "tab:blue", f"adaptive, β = {BETA:g}": "tab:orange", "adaptive, β = 0": "tab:red"}


def method_of(name):
    """The COLOURS key of a trajectory's name ("GD, η = 0.04" -> "GD")."""
    return "GD" if name.startswith("GD") else name


def draw_figures(out, uv=None, trajs=None, maps=None, dpi=100):
    plt = pyplot()
    from matplotlib.colors import TwoSlopeNorm
    uv = tutorial.update_vectors() if uv is None else uv
    trajs = tutorial.trajectories() if trajs is None else trajs
    g, maps = tutorial.c_a_maps() if maps is None else maps
    paths = []

    # Figure 1: the two steps of the worked example
    fig, ax = plt.subplots(figsize=(7, 6))
    xs, ys = np.meshgrid(np.linspace(-15.1, -14.6, 200), np.linspace(19.1, 20.05, 200))
    ax.contour(xs, ys, energy([xs, ys]), levels=15, colors="0.8", linewidths=0.6)
    for name, method, lab in (("gd", "GD", f"classical GD, η = {ETA_GD:g}: step −η∇E"),
                              ("adaptive", f"adaptive, β = {BETA:g}",
                               f"adaptive scheme, η = {ETA:g}, β = {BETA:g}: step −v(t)")):
        col = COLOURS[method]
        w = np.array(uv[name]["w"])
        ax.plot(w[:, 0], w[:, 1], "o", **method_style(COLOURS, method, ms=5))
        for k, (p, s) in enumerate(zip(w[:-1], uv[name]["steps"])):
            ax.annotate("", xy=p + np.array(s), xytext=p,
                        arrowprops=dict(arrowstyle="->", color=col, lw=1.8))
            ax.annotate(f"w({k + 1})", p + np.array(s), textcoords="offset points", xytext=(6, -4), color=col,
                        fontsize=9)
        ax.plot([], [], **method_style(COLOURS, method), label=lab)
    ax.annotate("w(0)", W0, textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set(xlabel="w1", ylabel="w2", aspect="equal",
           title="E(w) = 3w1² + 10w2²: the worked example's two steps\n(grey: contours of E; both axes to scale)")
    ax.legend(fontsize=8, loc="lower left")
    paths.append(save_png(fig, os.path.join(out, "update_vectors.png"), dpi))

    # Figure 2: trajectories, β = 0 and β = 0.9, beside GD
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    xs, ys = np.meshgrid(np.linspace(-17, 5, 300), np.linspace(-4, 22, 300))
    for name in trajs:
        t = trajs[name]
        L = tutorial.path_length(t)
        # β = 0 thick and translucent under β = 0.9, where their paths run together
        layer = dict(lw=2.6, alpha=0.6) if name == "adaptive, β = 0" else dict(lw=1)
        axes[0].plot(t[:, 0], t[:, 1], ".-", **method_style(COLOURS, method_of(name), ms=3, **layer),
                     label=f"{name} (path length {'never' if L is None else f'{L:.2f}'})")
        e = energy([t[:, 0], t[:, 1]])
        axes[1].plot(np.maximum(e, 1e-300), **method_style(COLOURS, method_of(name), lw=1.2), label=name)
    axes[0].contour(xs, ys, energy([xs, ys]), levels=np.linspace(50, 4000, 12), colors="0.8", linewidths=0.6)
    axes[0].plot(0, 0, "*", color="k", ms=12)
    axes[0].set(xlabel="w1", ylabel="w2", aspect="equal",
                title=f"trajectories, {tutorial.TRAJ_STEPS} steps (adaptive η = {tutorial.TRAJ_ETA:g}, ε = 1e-8)")
    axes[0].legend(fontsize=8, loc="lower left", title=f"path length until within {tutorial.DIRECT_TOL:g} of (0, 0)",
                   title_fontsize=7)
    axes[1].set(yscale="log", xlabel="iteration", ylabel="E(w) (log scale)",
                title="error per iteration (E's minimum is exactly 0: no round-off floor)")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    paths.append(save_png(fig, os.path.join(out, "trajectories.png"), dpi))

    # Figure 3: C_a(g1, g2) for several β (red: |v(2)| > |g2|, blue: smaller), η = 1, ε = 1e-8
    fig, axes = plt.subplots(1, len(maps), figsize=(4.0 * len(maps) + 1, 4.2), constrained_layout=True)
    lim = max(float(np.max(np.abs(m))) for m in maps.values())  # one colour scale for every β
    for ax, (b, m) in zip(axes, maps.items()):
        im = ax.pcolormesh(g, g, m, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -lim, lim), shading="auto")
        ax.contour(g, g, m, levels=[0.0], colors="k", linewidths=0.8)
        ax.set(xlabel="g1", ylabel="g2", title=f"β = {b:g}", aspect="equal")
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="C_a(g1, g2), one scale for all four β")
    fig.suptitle("C_a(g1, g2) = |v(2)| − |g2| (η = 1, ε = 1e-8): red, the adaptive step is longer than the "
                 "gradient; blue, shorter; black, C_a = 0")
    paths.append(save_png(fig, os.path.join(out, "c_a.png"), dpi))
    return paths


def copy_to_docs(out, docs):
    """Copy the figures to docs/rmsprop_<name>.png."""
    os.makedirs(docs, exist_ok=True)
    for f in FIGURES:
        shutil.copyfile(os.path.join(out, f"{f}.png"), os.path.join(docs, f"rmsprop_{f}.png"))
    return [os.path.join(docs, f"rmsprop_{f}.png") for f in FIGURES]

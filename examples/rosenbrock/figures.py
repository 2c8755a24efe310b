"""Figure 1 drawn from our run: the Rosenbrock contours, the problem-(1) trajectory, GD with η_t ∝ 1/t. One colour
per method (COLOURS) in both panels: GD with η ∝ 1/t keeps its colour at both budgets (4 steps dashed, 10,000
dotted)."""
import numpy as np

from ..common.figures import method_style, roundoff_band
from .compute import MINIMUM, rosenbrock

COLOURS = {"problem (1)": "tab:red", "GD, η ∝ 1/t": "tab:blue"}
ROUNDOFF = 1e-15  # a distance to [1, 1] below this is a few ulps of 1 (2.2e-16): float64 round-off


def draw(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.4), gridspec_kw={"width_ratios": [1.4, 1]})
    X, Y = np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-1, 3, 400))
    ax.contour(X, Y, np.log10(rosenbrock(X, Y) + 1e-3), levels=25, colors="0.75", linewidths=0.6)
    tr = np.array(res["trajectory"])
    reached = res.get("restarts_reaching_1e-6")
    ax.plot(tr[:, 0], tr[:, 1], "o-", **method_style(COLOURS, "problem (1)", lw=2),
            label=f"problem (1), {res['steps']} steps, η = " + ", ".join(f"{e:.3g}" for e in res["schedule"]))
    s = np.array(res["inverse_t_4"]["trajectory"])
    ax.plot(s[:, 0], s[:, 1], "s--", **method_style(COLOURS, "GD, η ∝ 1/t"),
            label=f"GD η_t = {res['inverse_t_4']['eta0']:.3g}/t, {res['steps']} steps")
    long = res["inverse_t_long"]
    lg = np.array(long["trajectory_every_100"] + [long["final"]])
    ax.plot(lg[:, 0], lg[:, 1], ":", **method_style(COLOURS, "GD, η ∝ 1/t", lw=1.5), marker="x", markevery=[-1],
            ms=10, label=f"GD η_t = {long['eta0']:.3g}/t, {long['steps']} steps (× its end)")
    ax.plot(*MINIMUM, "*", color="k", ms=14, label="minimum [1, 1]")
    ax.plot(*res["start"], "o", color="k", ms=6, label=f"start {tuple(res['start'])}")
    ax.set(xlabel="x", ylabel="y", xlim=(-2, 2), ylim=(-1, 3),
           title=f"Rosenbrock from {tuple(res['start'])} (grey: contours of log10 f)\nproblem (1): the shortest path"
                 + (f" of the {reached} of {len(res['restarts'])} random starting schedules (seed 0) that reach "
                    f"[1, 1]" if reached is not None and "restarts" in res else ""))
    ax.title.set_fontsize(10)
    ax.legend(fontsize=8, loc="lower right")
    d = [np.hypot(*(np.array(p) - MINIMUM)) for p in res["trajectory"]]
    d4 = [np.hypot(*(np.array(p) - MINIMUM)) for p in res["inverse_t_4"]["trajectory"]]
    bx.semilogy(range(len(d)), d, "o-", **method_style(COLOURS, "problem (1)"), label="problem (1)")
    bx.semilogy(range(len(d4)), d4, "s--", **method_style(COLOURS, "GD, η ∝ 1/t"),
                label=f"GD η_t = {res['inverse_t_4']['eta0']:.3g}/t")
    bx.axhline(long["distance_final"], **method_style(COLOURS, "GD, η ∝ 1/t", ls=":", lw=1.5),
               label=f"GD η_t = {long['eta0']:.3g}/t after {long['steps']} steps: {long['distance_final']:.3g}")
    roundoff_band(bx, ROUNDOFF, 1e-17)
    bx.set(xlabel="step t", ylabel="distance to [1, 1] (log scale)", title="distance to the minimum",
           ylim=(1e-17, 30), xticks=range(len(d)))
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

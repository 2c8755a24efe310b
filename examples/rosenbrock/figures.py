"""Figure 1 drawn from our run: the Rosenbrock contours, the problem-(1) trajectory, GD with η_t ∝ 1/t."""
import numpy as np

from .compute import MINIMUM, rosenbrock

COLOURS = {"problem (1)": "tab:red", "1/t, 4 steps": "tab:blue", "1/t, long": "tab:gray"}


def draw(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1.4, 1]})
    X, Y = np.meshgrid(np.linspace(-2, 2, 400), np.linspace(-1, 3, 400))
    ax.contour(X, Y, np.log10(rosenbrock(X, Y) + 1e-3), levels=25, cmap="viridis", linewidths=0.6)
    tr = np.array(res["trajectory"])
    ax.plot(tr[:, 0], tr[:, 1], "o-", color=COLOURS["problem (1)"], lw=2,
            label=f"problem (1), {res['steps']} steps, η = " + ", ".join(f"{e:.3g}" for e in res["schedule"]))
    s = np.array(res["inverse_t_4"]["trajectory"])
    ax.plot(s[:, 0], s[:, 1], "s--", color=COLOURS["1/t, 4 steps"],
            label=f"GD η_t = {res['inverse_t_4']['eta0']:.3g}/t, {res['steps']} steps")
    lg = np.array(res["inverse_t_long"]["trajectory_every_100"] + [res["inverse_t_long"]["final"]])
    ax.plot(lg[:, 0], lg[:, 1], ":", color=COLOURS["1/t, long"],
            label=f"GD η_t = {res['inverse_t_long']['eta0']:.3g}/t, {res['inverse_t_long']['steps']} steps")
    ax.plot(*lg[-1], "x", color=COLOURS["1/t, long"], ms=10)
    ax.plot(*MINIMUM, "*", color="k", ms=14, label="minimum [1, 1]")
    ax.plot(*res["start"], "o", color="k", ms=6)
    ax.set(xlabel="x", ylabel="y", xlim=(-2, 2), ylim=(-1, 3),
           title=f"Rosenbrock from {tuple(res['start'])}: contours of log10 f")
    ax.legend(fontsize=8, loc="lower right")
    d = [np.hypot(*(np.array(p) - MINIMUM)) for p in res["trajectory"]]
    d4 = [np.hypot(*(np.array(p) - MINIMUM)) for p in res["inverse_t_4"]["trajectory"]]
    bx.semilogy(range(len(d)), d, "o-", color=COLOURS["problem (1)"], label="problem (1)")
    bx.semilogy(range(len(d4)), d4, "s--", color=COLOURS["1/t, 4 steps"], label="GD η ∝ 1/t")
    bx.axhline(1e-16 * np.sqrt(2), color="k", lw=0.5, ls=":")
    bx.text(0, 2e-16, "float64 round-off near [1, 1]", fontsize=7)
    bx.set(xlabel="step t", ylabel="distance to [1, 1]", title="distance to the minimum (log scale)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

"""Figures of the LOSSGRAD experiments: one colour per method across the figures of a table."""
import numpy as np

METHOD_COLOURS = {"sgd": None, "steplr": "tab:olive", "trapezoid": "tab:cyan", "wngrad": "tab:brown",
                  "lossgrad": "tab:red"}


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def colour(r, i):
    import matplotlib
    m = r["config"]["method"]
    if m == "lossgrad" and r["config"]["experiment"] == "mnist":
        return matplotlib.colormaps["Reds"](0.35 + 0.65 * i)
    if m == "sgd":
        return matplotlib.colormaps["Blues"](0.35 + 0.65 * i)
    if m == "wngrad":  # the default η and the larger ones: browns, lighter to darker
        return {None: "tab:brown", 10.0: "peru", 100.0: "#4a2508"}.get(r["config"].get("lr"), "tab:brown")
    return METHOD_COLOURS[m]


def curves(results, path, title):
    """Training loss per epoch (log scale) for every cell of one table, and LOSSGRAD's step size per step."""
    plt = _plt()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.8))
    n_sgd = max(1, sum(r["config"]["method"] == "sgd" for r in results) - 1)
    n_lg = max(1, sum(r["config"]["method"] == "lossgrad" for r in results) - 1)
    i_sgd = i_lg = 0
    for r in results:
        m = r["config"]["method"]
        frac = (i_sgd / n_sgd) if m == "sgd" else (i_lg / n_lg)
        col = colour(r, frac)
        i_sgd += m == "sgd"
        i_lg += m == "lossgrad"
        e = [h["epoch"] for h in r["epochs_log"]]
        ax.semilogy(e, [h["loss"] for h in r["epochs_log"]], "-", color=col, label=r["label"])
        if r.get("step_lr"):
            bx.semilogy(np.arange(1, len(r["step_lr"]) + 1), r["step_lr"], "-", lw=0.6, color=col, label=r["label"])
    ax.set(xlabel="epoch", ylabel="training loss (mean over the epoch's batches)", title=title)
    ax.legend(fontsize=7)
    bx.set(xlabel="step", ylabel="LOSSGRAD step size h (log)", title="LOSSGRAD's step size, every step")
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def spikes_figure(r, path):
    """One LOSSGRAD run: batch loss and step size per step, on shared step axis (the spikes and the step peaks)."""
    plt = _plt()
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    t = np.arange(1, len(r["step_loss"]) + 1)
    ax.semilogy(t, r["step_loss"], lw=0.4, color="tab:red")
    ax.set(ylabel="batch loss (log)", title=f"{r['label']}, seed {r['config']['seed']}: batch loss and step size")
    bx.semilogy(t, r["step_lr"], lw=0.5, color="k")
    bx.set(xlabel="step", ylabel="step size h (log)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def quadratic_figure(rows, path, window=300):
    """LOSSGRAD's step size on each 2-D quadratic (columns) for each c (rows): a window of `window` steps after h
    has climbed from 1e-4 (plus 1000 steps), against 1/λmax, 2/(λ₁+λ₂), 2/λmax and 1/λmin. A run that round-off
    ends early (a component underflowing to 0) is shown whole, the collapse marked."""
    plt = _plt()
    lg = [r for r in rows if r["kind"] == "lossgrad"]
    cases = list(dict.fromkeys(tuple(r["lams"]) for r in lg))
    cs = sorted({r["c"] for r in lg})
    fig, axs = plt.subplots(len(cs), len(cases), figsize=(3.6 * len(cases), 2.3 * len(cs)), squeeze=False)
    for j, lams in enumerate(cases):
        l1, l2 = lams
        for i, c in enumerate(cs):
            ax = axs[i][j]
            r = next((r for r in lg if tuple(r["lams"]) == lams and r["c"] == c), None)
            if r is None:
                ax.axis("off")
                continue
            h = np.asarray(r["h"])
            if r["degenerate"]:
                t0, t1 = 0, len(h)
            else:
                t0 = min(r["climbed_at"] + 1000, len(h) - window)
                t1 = t0 + window
            ax.semilogy(np.arange(t0, t1), h[t0:t1], lw=0.7, color="tab:red")
            for v, ls, name in ((1 / max(lams), ":", "1/λmax"), (2 / (l1 + l2), "--", "2/(λ₁+λ₂)"),
                                (2 / max(lams), "-.", "2/λmax"), (1 / min(lams), ":", "1/λmin")):
                ax.axhline(v, color="k", ls=ls, lw=0.7)
                ax.text(t1, v, " " + name, fontsize=6, va="center")
            if r["degenerate"]:
                if r.get("collapsed_at"):
                    ax.axvline(r["collapsed_at"], color="gray", ls="--", lw=0.7)
                ax.set_title(f"λ={l1:g},{l2:g}, c={c}: round-off ends it at step {r['collapsed_at']}", fontsize=7)
            else:
                ax.set_title(f"λ={l1:g},{l2:g}, c={c}: geo-mean h = {r['h_geomean_tail'] / r['h_harmonic_theory']:.2f}"
                             f"·2/(λ₁+λ₂), rate {r['rho_measured']:.3g} (bound {r['rho_bound']:.3g})", fontsize=7)
            ax.tick_params(labelsize=6)
            if i == len(cs) - 1:
                ax.set_xlabel("step", fontsize=7)
            if j == 0:
                ax.set_ylabel("step size h", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

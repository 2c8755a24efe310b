"""Figures of the LOSSGRAD experiments. One colour per row of the tables in every figure (COLOURS, keyed by the
row's label, config.label): SGD in blues, one shade per η; WNGrad in browns; StepLR olive, the trapezoid cyan;
LOSSGRAD one colour per c, the same c in the same colour in the MNIST c-sweep, the Fashion-MNIST row (c = 1.05)
and the quadratic of Section 3. Each row of a table also keeps one marker."""
import numpy as np

from ..common.figures import method_style, pyplot, save_png, shared_prefix
from . import config
from .report import spike_steps


def _blues(n):
    import matplotlib
    return [matplotlib.colors.to_hex(matplotlib.colormaps["Blues"](0.45 + 0.55 * i / max(1, n - 1)))
            for i in range(n)]


def _colours():
    out = {}
    for lrs, fmt in ((tuple(c["lr"] for c in config.FMNIST_CELLS if c["method"] == "sgd"), "SGD {:.1f}"),
                     (config.MNIST_SGD_LRS, "SGD {:g}")):
        out.update({fmt.format(v): c for v, c in zip(sorted(lrs), _blues(len(lrs)))})
    out.update({"StepLR": "tab:olive", "Trapezoid": "tab:cyan", "WNGrad": "tab:brown"})
    out.update({f"WNGrad η={v:g}": c for v, c in zip(config.FMNIST_WNGRAD_EXTRA, ("peru", "#4a2508"))})
    lossgrad = dict(zip(config.C_SWEEP, ("goldenrod", "darkorange", "deeppink", "tab:red", "darkviolet", "black")))
    out.update({f"LOSSGRAD c={c:g}": col for c, col in lossgrad.items()})
    out["LOSSGRAD"] = lossgrad[config.C_DEFAULT]  # the Fashion-MNIST row: c = C_DEFAULT
    return out


COLOURS = _colours()
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h")


def _label(r):
    return r.get("label") or config.label(r["config"])


def _rolling_median(v, k):
    v = np.asarray(v, dtype=np.float64)
    if len(v) < k:
        return np.arange(1, len(v) + 1), v
    from numpy.lib.stride_tricks import sliding_window_view
    return np.arange(k, len(v) + 1), np.median(sliding_window_view(v, k), axis=1)


def curves(results, path, title, early=600, window=200):
    """Training loss per epoch (log scale) of every row of one table; LOSSGRAD's step size over its first `early`
    steps (every step: the early spike) and over the whole run (the median of each `window` steps: where it
    settles). A row that coincides with another over its first epochs (StepLR with SGD at its η₀) says so."""
    plt = pyplot()
    lg = [r for r in results if r.get("step_lr")]
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(18, 5.2), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    drawn = {}
    for k, r in enumerate(results):
        name = _label(r)
        y = [h["loss"] for h in r["epochs_log"]]
        note = ""
        for other, yo in drawn.items():
            n = shared_prefix(y, yo)
            if n == len(y):
                note = f" (identical to {other})"
            elif n >= 2:
                note = f" (= {other} in epochs 1–{n})"
            if note:
                break
        e = [h["epoch"] for h in r["epochs_log"]]
        ax.plot(e, y, **method_style(COLOURS, name, lw=1.4, ls="--" if note else "-"), marker=MARKERS[k % len(MARKERS)],
                ms=4, label=name + note)
        drawn[name] = y
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss, mean over the epoch's batches (log scale)",
           title=title)
    ax.legend(fontsize=7)
    for k, r in enumerate(lg):
        name = _label(r)
        h = np.asarray(r["step_lr"], dtype=np.float64)
        t = np.arange(1, len(h) + 1)
        bx.plot(t[:early], h[:early], **method_style(COLOURS, name, lw=1.0), label=name)
        i = int(np.argmax(h[:early]))
        if i < min(early, len(h)) - 1:  # a peak inside the window, not a climb still under way at its end
            bx.plot(t[i], h[i], marker="v", ms=7, ls="none", **method_style(COLOURS, name))
        if len(lg) == 1:  # one run: its raw step sizes behind the median
            cx.plot(t, h, **method_style(COLOURS, name, lw=0.4, alpha=0.35), label=f"{name}, every step")
        tm, m = _rolling_median(h, window)
        cx.plot(tm, m, **method_style(COLOURS, name, lw=1.6), label=f"{name}: median {np.median(h):.3g}")
    shown = min([early] + [len(r["step_lr"]) for r in lg])
    bx.set(yscale="log", xlabel="step", ylabel="LOSSGRAD step size h (log scale)",
           title=f"step size, steps 1–{shown}, every step (▼: its early peak)")
    cx.set(yscale="log", xlabel="step", ylabel="LOSSGRAD step size h (log scale)",
           title=f"step size, whole run: median of each {window} steps\n(legend: the median over the whole run)")
    for a in (bx, cx):
        if lg:
            a.legend(fontsize=7)
    fig.tight_layout()
    return save_png(fig, path, 100)


def spikes_figure(r, path, where=""):
    """One LOSSGRAD run: batch loss and step size per step on a shared step axis, in its row's colour, with the
    loss spikes marked (the paper links them to step-size peaks)."""
    plt = pyplot()
    name = _label(r)
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(12, 6.4), sharex=True)
    t = np.arange(1, len(r["step_loss"]) + 1)
    loss, lr = np.asarray(r["step_loss"]), np.asarray(r["step_lr"])
    ax.plot(t, loss, **method_style(COLOURS, name, lw=0.4))
    found, linked = spike_steps(r)
    other = sorted(set(found) - set(linked))
    if other:
        ax.plot(np.asarray(other) + 1, loss[other], "o", mfc="none", mec="0.35", ms=3.5, mew=0.7,
                label=f"{len(other)} loss spikes not after a step-size peak")
    if linked:
        ax.plot(np.asarray(linked) + 1, loss[linked], "v", color="k", ms=7,
                label=f"{len(linked)} loss spikes within 10 steps of a step-size peak (≥ 1.5 × its median)")
        for s in linked:
            bx.axvline(s + 1, color="k", lw=0.5, ls=":")
    ax.plot([], [], " ", label="spike: batch loss > 2 × the median of the 50 steps before")
    c = r["config"].get("c") or config.C_DEFAULT
    ax.set(yscale="log", ylabel="batch loss (log scale)",
           title=f"{where + ', ' if where else ''}{name.split(' c=')[0]} c = {c:g} (h₀ = {config.H0:g}), seed "
                 f"{r['config']['seed']}: batch loss and step size, every step")
    ax.legend(fontsize=8, loc="upper right", framealpha=0.7)
    bx.plot(t, lr, **method_style(COLOURS, name, lw=0.5))
    bx.set(yscale="log", xlabel="step", ylabel="step size h (log scale)")
    if linked:
        bx.plot([], [], color="k", lw=0.5, ls=":", label="the linked loss spikes")
        bx.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return save_png(fig, path, 100)


REFERENCES = ((lambda l1, l2: 1 / max(l1, l2), "1/λmax", dict(color="0.45", ls=":")),
              (lambda l1, l2: 2 / (l1 + l2), "2/(λ₁+λ₂) (the best fixed step)", dict(color="tab:green", ls="--")),
              (lambda l1, l2: 2 / max(l1, l2), "2/λmax (the stability limit)", dict(color="tab:purple", ls="-.")),
              (lambda l1, l2: 1 / min(l1, l2), "1/λmin", dict(color="k", ls=":")))


def quadratic_figure(rows, path, window=300):
    """LOSSGRAD's step size on each 2-D quadratic (columns) for each c (rows): a window of `window` steps after h
    has climbed from 1e-4 (plus 1000 steps), against 1/λmax, 2/(λ₁+λ₂), 2/λmax and 1/λmin. A run that round-off
    ends early (a component underflowing to 0) is shown whole, the collapse marked."""
    plt = pyplot()
    lg = [r for r in rows if r["kind"] == "lossgrad"]
    cases = list(dict.fromkeys(tuple(r["lams"]) for r in lg))
    cs = sorted({r["c"] for r in lg})
    fig, axs = plt.subplots(len(cs), len(cases), figsize=(4.4 * len(cases), 2.6 * len(cs) + 1.2), squeeze=False,
                            layout="constrained")
    for j, lams in enumerate(cases):
        l1, l2 = lams
        for i, c in enumerate(cs):
            ax = axs[i][j]
            r = next((r for r in lg if tuple(r["lams"]) == lams and r["c"] == c), None)
            if r is None:
                ax.axis("off")
                continue
            h = np.asarray(r["h"])
            every = r.get("h_every", 1)  # the stored rows keep every 20th step size
            steps = np.arange(len(h)) * every
            if r["degenerate"]:
                sel = slice(0, len(h))
            else:
                t0 = min(r["climbed_at"] + 1000, steps[-1] - window)
                sel = (steps >= t0) & (steps < t0 + window)
            name = f"LOSSGRAD c={c:g}"
            ax.plot(steps[sel], h[sel], **method_style(COLOURS, name, lw=0.9), label=name)
            refs = [(f(l1, l2), text, style) for f, text, style in REFERENCES]
            for v, text, style in refs:
                ax.axhline(v, lw=0.8, label=text, **style)
            close = 2 / max(lams) / (2 / (l1 + l2))
            note = f"; 2/λmax ≈ 2/(λ₁+λ₂) ({close:.2f}×)" if close < 1.05 else ""
            if r["degenerate"]:
                if r.get("collapsed_at"):
                    ax.axvline(r["collapsed_at"], color="gray", ls="--", lw=0.7)
                ax.set_title(f"λ = {l1:g}, {l2:g}, c = {c}: the whole run{note}\nround-off ends it at step "
                             f"{r['collapsed_at']} (dashed)", fontsize=7)
            else:
                ax.set_title(f"λ = {l1:g}, {l2:g}, c = {c}{note}\ngeo-mean h = "
                             f"{r['h_geomean_tail'] / r['h_harmonic_theory']:.2f} · 2/(λ₁+λ₂); rate "
                             f"{r['rho_measured']:.3g} per step (bound (4): {r['rho_bound']:.3g})", fontsize=7)
            ax.set_yscale("log")
            ax.tick_params(which="both", labelsize=6)
            if i == len(cs) - 1:
                ax.set_xlabel("step", fontsize=7)
            if j == 0:
                ax.set_ylabel("step size h (log scale)", fontsize=7)
    handles, labels = [], []
    for a in axs.flat:
        for hd, lb in zip(*a.get_legend_handles_labels()):
            if lb not in labels:
                handles.append(hd)
                labels.append(lb)
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    fig.suptitle(f"LOSSGRAD's step size on f = ½(λ₁x₁² + λ₂x₂²) (columns: λ; rows: c, one colour per c): {window} "
                 f"steps from 1000 steps after h first reached 1/(cλmax)", fontsize=10)
    return save_png(fig, path, 100)

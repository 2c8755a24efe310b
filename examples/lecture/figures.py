"""The lecture checks' figures: adagrad_stall.png, adadelta_eps.png, anneal.png, newton.png. Every method keeps
one colour (COLOURS) in all of them; a sweep over a parameter (AdaDelta's and RMSProp's ε) draws each method in
shades of its colour, with one marker per value; curves that coincide say so in the legend."""
import math
import os
import shutil

import numpy as np

from ..common.figures import method_style, pyplot, roundoff_band, same_curve, save_png, shared_prefix
from .config import ANNEAL, MLP, QUAD

FIGURES = ("adagrad_stall", "adadelta_eps", "anneal", "newton")
_ANNEAL_NAMES = (f"SGD η = {ANNEAL['lrs'][0]:g}", f"SGD η = {ANNEAL['lrs'][1]:g}",
                 f"SGD η = {ANNEAL['lrs'][0]:g}, ×{ANNEAL['factor']:g} on plateau")
# one colour per method, in every figure of the experiment
COLOURS = {"AdaGrad": "tab:red", "RMSProp": "tab:blue", "AdaDelta": "tab:green", "Newton": "k",
           "diagonal Newton (exact diagonal)": "tab:purple", "DiagonalNewton (Hutchinson)": "tab:orange",
           "GD": "tab:brown", _ANNEAL_NAMES[0]: "tab:pink", _ANNEAL_NAMES[1]: "tab:olive",
           _ANNEAL_NAMES[2]: "darkcyan"}
SEED_STYLES = {0: "-", 1: "--", 2: ":"}  # DiagonalNewton's Hutchinson seeds: one line style each
VALLEY_ROUNDOFF = 1e-15  # f = Σ(√(1 + w_i²) − 1) is rounded to ≈ 2e-16 per coordinate (one ulp of 1 each)


def _pos(v):
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def shade(colour, k, n):
    """The k-th of n shades of `colour`, from darker (k = 0) to lighter, all still readable on white."""
    from matplotlib.colors import to_rgb
    c = np.array(to_rgb(colour))
    t = (k / max(1, n - 1)) * 0.95 - 0.5  # -0.5 (mixed 50 % toward black) ... +0.45 (45 % toward white)
    return tuple(c * (1 + t) if t < 0 else c + (1 - c) * t)


def draw_figures(results, out, dpi=100):
    plt = pyplot()
    paths = []
    if "adagrad_stall" in results:
        r = results["adagrad_stall"][0]
        fig, axes = plt.subplots(2, 2, figsize=(12, 8))
        for col, prob, title in ((0, "valley", "pseudo-Huber valley from (100, 100)"),
                                 (1, "mlp", f"1-8-1 tanh MLP (seed {MLP['seed']}), full batch")):
            for m in ("AdaGrad", "RMSProp"):
                axes[0, col].plot(_pos(r[prob][m]["loss"]), **method_style(COLOURS, m, lw=1.2), label=m)
                axes[1, col].plot(_pos(r[prob][m]["effective_lr"]), **method_style(COLOURS, m, lw=1.2), label=m)
            if prob == "valley":
                roundoff_band(axes[0, col], VALLEY_ROUNDOFF, 1e-18, what="f's float64 round-off")
            axes[0, col].set(yscale="log", xscale="log", ylabel="loss (log scale)",
                             title=f"{title}, η = {r[prob]['lr']:g}, {r[prob]['steps']} steps")
            axes[1, col].set(yscale="log", xscale="log", xlabel="step (log scale)",
                             ylabel="effective step |Δw_i|/|g_i|, median over i (log)")
            axes[0, col].legend(fontsize=8)
            axes[1, col].legend(fontsize=8)
        fig.suptitle("AdaGrad's effective step keeps shrinking (∝ 1/√t where |g| stays ~constant); RMSProp's does not")
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "adagrad_stall.png"), dpi))
    if "adadelta_eps" in results:
        r = results["adadelta_eps"][0]
        fig, axes = plt.subplots(1, 2, figsize=(13, 5))
        markers = ("o", "s", "^", "D", "v")
        for ax, prob, title in ((axes[0], "quadratic", "E = 3w1² + 10w2² from (−15, 20)"),
                                (axes[1], "mlp", f"1-8-1 tanh MLP (data and init seed {MLP['seed']})")):
            eps = list(r[prob]["AdaDelta"])
            n = r[prob]["steps"]
            for m, ls, lw in (("AdaDelta", "-", 1.3), ("RMSProp", ":", 1.6)):
                finals, drawn = [], {}
                for i, e in enumerate(eps):
                    y = _pos(r[prob][m][e]["loss"])
                    finals.append(r[prob][m][e]["loss"][-1])
                    same = same_curve(y, drawn, rtol=1e-3)
                    ax.plot(y, color=shade(COLOURS[m], i, len(eps)), gid=f"{m}, ε = {e:g}", lw=lw, ls=ls,
                            marker=markers[i % len(markers)], ms=4, markevery=(i * max(1, n // 10) // len(eps), max(1, n // 10)),
                            label=f"{m} ε = {e:g}" + (f" (on {same})" if same else ""))
                    drawn[f"ε = {e:g}"] = y
                fin = np.asarray(finals, dtype=np.float64)
                spread = (np.nanmax(fin) / np.nanmin(fin)) if np.all(fin > 0) else float("nan")
                ax.plot([], [], " ", label=f"{m}: final loss max/min over ε = {spread:.3g}")
            ax.set(yscale="log", xlabel="step", ylabel="loss (log scale)",
                   title=f"{title}\nAdaDelta η = 1, ρ = 0.9 (greens, solid); RMSProp η = 1e-2 (blues, dotted)")
            ax.legend(fontsize=7, ncol=2)
        fig.suptitle("AdaDelta at five ε: the loss curves do not coincide (one marker per ε; RMSProp's nearly do)")
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "adadelta_eps.png"), dpi))
    if "anneal" in results:
        r = results["anneal"][0]
        fig, axes = plt.subplots(1, 2, figsize=(13, 6.0))
        runs = r["runs"]
        k = max(1, r["epochs"] // 4)  # verdicts.anneal compares the means over the last quarter of the epochs
        first = next(iter(runs.values()))
        layers = (dict(lw=3.0, alpha=0.6), dict(lw=1.4), dict(lw=1.3, ls="--"))
        for (name, run), layer in zip(runs.items(), layers):
            ep = np.arange(1, len(run["val_mse"]) + 1)
            v = np.asarray(run["val_mse"])
            note = ""
            if run is not first:
                same = shared_prefix(v, first["val_mse"])
                if same == len(v):
                    note = f"; identical to {next(iter(runs))}"
                elif same:
                    note = f"; = {next(iter(runs))} in epochs 1–{same}"
            axes[0].plot(ep, v - r["bayes_mse"], **method_style(COLOURS, name, **layer), marker=".",
                         label=f"{name} (mean MSE of the last {k}: {v[-k:].mean():.3f}{note})")
            axes[0].hlines(v[-k:].mean() - r["bayes_mse"], ep[-k], ep[-1], color=COLOURS[name], lw=4, alpha=0.35)
            axes[1].plot(ep, run["lr"], **method_style(COLOURS, name, **layer), drawstyle="steps-post", label=name)
        axes[0].set(yscale="log", xlabel="epoch",
                    ylabel=f"validation MSE − {r['bayes_mse']:g} (the noise², log scale)",
                    title=f"noisy linear regression (seed {ANNEAL['seed']}), minibatch SGD (batch {ANNEAL['batch']})\n"
                          f"the excess over the Bayes MSE {r['bayes_mse']:g} on a log axis: it magnifies "
                          f"differences near the floor", )
        axes[0].title.set_fontsize(9)
        axes[1].set(yscale="log", xlabel="epoch", ylabel="η (log scale)",
                    title=f"η per epoch (ReduceLROnPlateau ×{ANNEAL['factor']:g}, patience {ANNEAL['patience']})")
        axes[0].legend(fontsize=7, title=f"bars: the mean over the last {k} epochs", title_fontsize=7,
                       loc="upper center", bbox_to_anchor=(0.5, -0.13))
        axes[1].legend(fontsize=8)
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "anneal.png"), dpi))
    if "newton" in results:
        r = results["newton"][0]
        fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
        for ax, kind in zip(axes[:2], ("separable", "coupled")):
            q = r[kind]

            def gap(L):  # f − f*, with 0 and round-off (≤ 0) drawn at the axis' floor 1e-16, not dropped
                v = np.asarray(L, dtype=np.float64) - q["f_star"]
                return np.where(np.isfinite(v), np.maximum(v, 1e-16), np.nan)
            drawn = {}

            def plot(y, name, label, **kw):
                same = same_curve(y, drawn)
                ax.plot(y, **method_style(COLOURS, name, **kw), label=label + (f" (identical to {same})" if same else ""))
                drawn[label] = y
            plot(gap(q["Newton"]["loss"]), "Newton", "Newton", lw=4, alpha=0.35, marker="o", ms=8)
            plot(gap(q["diagonal Newton (exact diagonal)"]["loss"]), "diagonal Newton (exact diagonal)",
                 "diagonal Newton (exact diagonal)", lw=2, marker="s", ms=5)
            for s, v in q["DiagonalNewton (Hutchinson)"].items():
                plot(gap(v["loss"]), "DiagonalNewton (Hutchinson)", f"DiagonalNewton (Hutchinson), seed {s}",
                     lw=1.2, ls=SEED_STYLES.get(s, "-."))
            plot(gap(q["GD, η = 1/λmax"]["loss"]), "GD", "GD, η = 1/λmax", lw=1.3, marker=".", markevery=20)
            ax.axhline(q["target"] - q["f_star"], color="k", lw=0.6, ls=":", label="target f − f*")
            roundoff_band(ax, 1e-13 * max(1.0, abs(q["f_star"])), 1e-17, what="float64 round-off of f")
            ax.set(yscale="log", xscale="symlog", xlabel="step (symlog: linear to 1, log beyond)",
                   ylabel="f − f* (log; ≤ 0 drawn at 1e-16)", ylim=(3e-17, 1e12), xlim=(0, q["steps"]),
                   title=f"{kind} quadratic (n = {QUAD['n']}, κ = {QUAD['cond']:g}, seed {QUAD['seed']})\nρ(I − D⁻¹A) = "
                         f"{q['jacobi_spectral_radius']:.2f}")
            ax.legend(fontsize=7)
        m = r["mlp"]
        ax = axes[2]
        fin = lambda v: v["loss"][-1] if math.isfinite(v["loss"][-1]) else math.inf  # noqa: E731
        for name, layer in (("Newton", dict(lw=1.6)), ("diagonal Newton (exact diagonal)", dict(lw=1.6))):
            e = min(m[name], key=lambda k: fin(m[name][k]))
            ax.plot(_pos(m[name][e]["loss"]), **method_style(COLOURS, name, **layer), label=f"{name}, ε = {e:g}")
        hu = m["DiagonalNewton (Hutchinson)"]
        e = min(hu, key=lambda k: np.median([fin(v) for v in hu[k].values()]))
        for s, v in hu[e].items():
            ax.plot(_pos(v["loss"]), **method_style(COLOURS, "DiagonalNewton (Hutchinson)", lw=1.1,
                                                     ls=SEED_STYLES.get(s, "-.")),
                    label=f"DiagonalNewton (Hutchinson), ε = {e:g}, seed {s}")
        lr = min(m["GD"], key=lambda k: fin(m["GD"][k]))
        ax.plot(_pos(m["GD"][lr]["loss"]), **method_style(COLOURS, "GD", lw=1.3), label=f"GD, η = {lr:g}")
        ax.set(yscale="log", xlabel="step", ylabel="training MSE (log scale)",
               title=f"1-8-1 tanh MLP ({m['n_params']} parameters, seed {MLP['seed']})\neach at its best ε / η of "
                     f"the sweep")
        ax.legend(fontsize=7)
        fig.suptitle("Newton vs diagonal Newton (grey band: float64 round-off of f)")
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "newton.png"), dpi))
    return paths


def copy_to_docs(out, docs):
    os.makedirs(docs, exist_ok=True)
    done = []
    for f in FIGURES:
        src = os.path.join(out, f"{f}.png")
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(docs, f"lecture_{f}.png"))
            done.append(os.path.join(docs, f"lecture_{f}.png"))
    return done

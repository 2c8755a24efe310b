"""The lecture checks' figures: adagrad_stall.png, adadelta_eps.png, anneal.png, newton.png."""
import math
import os
import shutil

import numpy as np

from ..common.figures import pyplot, save_png

FIGURES = ("adagrad_stall", "adadelta_eps", "anneal", "newton")
COLORS = {"AdaGrad": "tab:red", "RMSProp": "tab:blue", "AdaDelta": "tab:green", "Newton": "k",
          "diagonal Newton (exact diagonal)": "tab:purple", "DiagonalNewton (Hutchinson)": "tab:orange",
          "GD": "tab:gray"}


def _pos(v):
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def draw_figures(results, out, dpi=100):
    plt = pyplot()
    paths = []
    if "adagrad_stall" in results:
        r = results["adagrad_stall"][0]
        fig, axes = plt.subplots(2, 2, figsize=(12, 8))
        for col, prob, title in ((0, "valley", "pseudo-Huber valley from (100, 100)"),
                                 (1, "mlp", "1-8-1 tanh MLP, full batch")):
            for m in ("AdaGrad", "RMSProp"):
                axes[0, col].plot(_pos(r[prob][m]["loss"]), color=COLORS[m], lw=1.2, label=m)
                axes[1, col].plot(_pos(r[prob][m]["effective_lr"]), color=COLORS[m], lw=1.2, label=m)
            axes[0, col].set(yscale="log", xscale="log", ylabel="loss", title=f"{title}, η = {r[prob]['lr']:g}")
            axes[1, col].set(yscale="log", xscale="log", xlabel="step",
                             ylabel="effective step |Δw_i|/|g_i| (median over i)")
            axes[0, col].legend(fontsize=8)
            axes[1, col].legend(fontsize=8)
        fig.suptitle("AdaGrad's effective step keeps shrinking (∝ 1/√t where |g| stays ~constant); RMSProp's does not")
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "adagrad_stall.png"), dpi))
    if "adadelta_eps" in results:
        r = results["adadelta_eps"][0]
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        cmap = plt.get_cmap("viridis")
        for ax, prob, title in ((axes[0], "quadratic", "E = 3w1² + 10w2² from (−15, 20)"),
                                (axes[1], "mlp", "1-8-1 tanh MLP")):
            eps = list(r[prob]["AdaDelta"])
            for i, e in enumerate(eps):
                c = cmap(i / max(1, len(eps) - 1))
                ax.plot(_pos(r[prob]["AdaDelta"][e]["loss"]), color=c, lw=1.2, label=f"AdaDelta ε = {e:g}")
                ax.plot(_pos(r[prob]["RMSProp"][e]["loss"]), color=c, lw=0.8, ls=":")
            ax.set(yscale="log", xlabel="step", ylabel="loss", title=f"{title}\n(dotted: RMSProp η = 1e-2, same ε)")
            ax.legend(fontsize=7)
        fig.suptitle("AdaDelta (η = 1, ρ = 0.9) at five ε: the loss curves do not coincide")
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "adadelta_eps.png"), dpi))
    if "anneal" in results:
        r = results["anneal"][0]
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
        for (name, run), c in zip(r["runs"].items(), ("tab:red", "tab:blue", "tab:green")):
            ep = np.arange(1, len(run["val_mse"]) + 1)
            axes[0].plot(ep, np.asarray(run["val_mse"]) - r["bayes_mse"], color=c, lw=1.3, marker=".", label=name)
            axes[1].plot(ep, run["lr"], color=c, lw=1.3, drawstyle="steps-post", label=name)
        axes[0].set(yscale="log", xlabel="epoch", ylabel="validation MSE − noise² (excess)",
                    title="noisy linear regression, minibatch SGD (batch 10)")
        axes[1].set(yscale="log", xlabel="epoch", ylabel="η", title="η per epoch (ReduceLROnPlateau, patience 2)")
        for ax in axes:
            ax.legend(fontsize=8)
        fig.tight_layout()
        paths.append(save_png(fig, os.path.join(out, "anneal.png"), dpi))
    if "newton" in results:
        r = results["newton"][0]
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
        for ax, kind in zip(axes[:2], ("separable", "coupled")):
            q = r[kind]
            def gap(L):  # f − f*, with 0 and round-off (≤ 0) drawn at the axis' floor 1e-16, not dropped
                v = np.asarray(L, dtype=np.float64) - q["f_star"]
                return np.where(np.isfinite(v), np.maximum(v, 1e-16), np.nan)
            for s, v in q["DiagonalNewton (Hutchinson)"].items():
                ax.plot(gap(v["loss"]), color=COLORS["DiagonalNewton (Hutchinson)"], lw=2.5, alpha=0.6,
                        label="DiagonalNewton (Hutchinson), seeds 0-2" if s == 0 else None)
            for m, ls, mk in (("GD, η = 1/λmax", "-", "."), ("diagonal Newton (exact diagonal)", "-", "s"),
                              ("Newton", "--", "o")):
                ax.plot(gap(q[m]["loss"]), color=COLORS.get(m, "tab:gray"), lw=1.3, ls=ls, marker=mk, ms=4,
                        label=m, markevery=1 if m != "GD, η = 1/λmax" else 20)
            ax.axhline(q["target"] - q["f_star"], color="k", lw=0.6, ls=":")
            ax.axhspan(1e-17, 1e-13 * max(1.0, abs(q["f_star"])), color="0.88", zorder=0)
            ax.set(yscale="log", xscale="symlog", xlabel="step (symlog)", ylabel="f − f* (≤ 0 drawn at 1e-16)",
                   ylim=(3e-17, 1e12), xlim=(0, q["steps"]),
                   title=f"{kind} quadratic (n = 10, κ = 100); ρ(I − D⁻¹A) = {q['jacobi_spectral_radius']:.2f}")
            ax.legend(fontsize=7)
        m = r["mlp"]
        ax = axes[2]
        fin = lambda v: v["loss"][-1] if math.isfinite(v["loss"][-1]) else math.inf  # noqa: E731
        for name in ("Newton", "diagonal Newton (exact diagonal)"):
            e = min(m[name], key=lambda k: fin(m[name][k]))
            ax.plot(_pos(m[name][e]["loss"]), color=COLORS[name], lw=1.3, label=f"{name}, ε = {e:g}")
        hu = m["DiagonalNewton (Hutchinson)"]
        e = min(hu, key=lambda k: np.median([fin(v) for v in hu[k].values()]))
        for s, v in hu[e].items():
            ax.plot(_pos(v["loss"]), color=COLORS["DiagonalNewton (Hutchinson)"], lw=0.9,
                    label=f"DiagonalNewton (Hutchinson), ε = {e:g}, seeds 0-2" if s == 0 else None)
        lr = min(m["GD"], key=lambda k: fin(m["GD"][k]))
        ax.plot(_pos(m["GD"][lr]["loss"]), color=COLORS["GD"], lw=1.3, label=f"GD, η = {lr:g}")
        ax.set(yscale="log", xlabel="step", ylabel="training MSE",
               title=f"1-8-1 tanh MLP ({m['n_params']} parameters): each at its best ε / η")
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

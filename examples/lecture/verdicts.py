"""The lecture checks' verdicts: each statement of the slides judged from the runs of compute.py. A verdict is
AGREES / DISAGREES from the numbers (the thresholds are in config.py and printed with each), or UNTESTED when the
run cannot decide (e.g. a budget too short for any run to reach its target)."""
import math

import numpy as np

from .config import INSENSITIVE_FACTOR, SOURCE, STALL_PROGRESS, STALL_SHRINK

VERDICT = {True: "AGREES", False: "DISAGREES", None: "UNTESTED"}


def _claim(study, slide, words, ok, measured):
    return {"study": study, "slide": slide, "lecture_says": words, "measured": measured, "agrees": ok,
            "verdict": VERDICT[ok]}


def steps_to(losses, target):
    """The first step index whose loss (recorded before that step) is <= target, or None."""
    hit = [i for i, v in enumerate(losses) if v <= target]
    return hit[0] if hit else None


def _fmt_steps(s):
    return "never" if s is None else str(s)


def stall(res):
    out = []
    for prob in ("valley", "mlp"):
        r = res[prob]
        ada, rms = r["AdaGrad"], r["RMSProp"]
        eff = np.array(ada["effective_lr"])
        allp = np.asarray(ada["effective_lr_all"])
        with np.errstate(invalid="ignore"):
            grows = allp[1:] > allp[:-1] * (1 + 1e-6)  # per parameter; NaN (a zero gradient) compares False
        monotone = not bool(np.any(grows))
        shrink = eff[0] / eff[-1]
        L = ada["loss"]
        half = len(L) // 2
        prog = (L[half] - L[-1]) / L[half] if L[half] > 0 else 0.0
        where = ("pseudo-Huber valley from (100, 100)" if prob == "valley" else "1-8-1 tanh MLP, full batch") + \
            f", η = {r['lr']:g}, {r['steps']} steps"
        out.append(_claim(
            "adagrad_stall", "AdaGrad", "the gradients accumulate [AdaGrad's effective step keeps shrinking]",
            monotone and shrink >= STALL_SHRINK,
            f"{where}: AdaGrad's effective step |Δw_i|/|g_i| "
            f"{'never grows for any parameter' if monotone else 'grows at some step'}; its median over the "
            f"parameters {eff[0]:.3g} -> {eff[-1]:.3g} ({shrink:.1f}x smaller; AGREES needs >= {STALL_SHRINK:g}x)"))
        ra, rr = L[-1], rms["loss"][-1]
        out.append(_claim(
            "adagrad_stall", "AdaGrad / RMSProp", "after a while no progress can be made [with AdaGrad]; RMSProp ... "
            "can keep on making progress after many iterations", prog < STALL_PROGRESS and rr < ra / 10,
            f"{where}: AdaGrad's loss falls by {100 * prog:.1f} % over the second half of the run ({L[half]:.3g} -> "
            f"{L[-1]:.3g}; AGREES needs < {100 * STALL_PROGRESS:g} %) and ends at {ra:.3g}; RMSProp (same η) ends at "
            f"{rr:.3g} (AGREES needs at least 10x lower)"))
    return out


def adadelta(res):
    out = []
    for prob in ("quadratic", "mlp"):
        r = res[prob]
        finals = {e: v["loss"][-1] for e, v in r["AdaDelta"].items()}
        rfin = {e: v["loss"][-1] for e, v in r["RMSProp"].items()}
        ok_vals = [v for v in finals.values() if math.isfinite(v) and v > 0]
        spread = max(ok_vals) / min(ok_vals) if len(ok_vals) == len(finals) else math.inf
        rok = [v for v in rfin.values() if math.isfinite(v) and v > 0]
        rspread = max(rok) / min(rok) if len(rok) == len(rfin) else math.inf
        where = ("E = 3w1² + 10w2² from (−15, 20)" if prob == "quadratic" else "1-8-1 tanh MLP") + \
            f", {r['steps']} steps, η = 1, ρ = 0.9"
        out.append(_claim(
            "adadelta_eps", "AdaDelta", "AdaDelta ... is insensitive to the choice of the hyperparameter ε",
            spread <= INSENSITIVE_FACTOR,
            f"{where}: final loss at ε = " + ", ".join(f"{e:g}: {v:.3g}" for e, v in finals.items())
            + f"; max/min {spread:.3g} (AGREES needs <= {INSENSITIVE_FACTOR:g}); RMSProp (η = 1e-2) over the same ε: "
              f"max/min {rspread:.3g}"))
    return out


def anneal(res):
    """Minibatch SGD's validation error is noisy from epoch to epoch, so the runs are compared on their mean over
    the last quarter of the epochs (and the final values are printed beside it)."""
    runs = res["runs"]
    hi, lo, an = (np.asarray(runs[res[k]]["val_mse"]) for k in ("fixed_high", "fixed_low", "annealed"))
    lrs = runs[res["annealed"]]["lr"]
    cuts = [i + 1 for i in range(1, len(lrs)) if lrs[i] < lrs[i - 1]]  # 1-based: the first epoch at the lower η
    bayes = res["bayes_mse"]
    k = max(1, len(an) // 4)
    m_hi, m_lo, m_an = (float(np.mean(v[-k:])) for v in (hi, lo, an))
    fmt = lambda m, v: f"{m:.4f} (final {v[-1]:.4f})"  # noqa: E731
    where = (f"noisy linear regression, minibatch SGD, {res['epochs']} epochs; validation MSE, mean over the last "
             f"{k} epochs (Bayes MSE {bayes:g})")
    out = [_claim("anneal", "Learning Rate Annealing", "reduce the learning rate when the error plateaus (e.g. from "
                  "0.1 to 0.01): helpful when the algorithm is oscillating around a minimizer due to a large learning "
                  "rate", m_an < m_hi if cuts else None,
                  f"{where}: fixed η = 0.1 {fmt(m_hi, hi)}, annealed {fmt(m_an, an)}; η cut at epochs "
                  f"{cuts or 'none'} (UNTESTED if the plateau rule never fired)")]
    out.append(_claim("anneal", "Learning Rate Annealing", "[annealing keeps the fast start of the large η and ends "
                      "at least where the small η does]", m_an <= m_lo if cuts else None,
                      f"{where}: fixed η = 0.01 {fmt(m_lo, lo)}, annealed {fmt(m_an, an)} (our reading of the slide; "
                      f"the slide states no such comparison)"))
    return out


def _first(run, target):
    return steps_to(run["loss"], target)


def newton(res):
    out = []
    for kind in ("separable", "coupled"):
        r = res[kind]
        t = r["target"]
        nt = _first(r["Newton"], t)
        de = _first(r["diagonal Newton (exact diagonal)"], t)
        hu = {s: _first(v, t) for s, v in r["DiagonalNewton (Hutchinson)"].items()}
        gd = _first(r["GD, η = 1/λmax"], t)
        diverged = {s: not math.isfinite(v["loss"][-1]) for s, v in r["DiagonalNewton (Hutchinson)"].items()}
        desc = (f"{kind} quadratic, n = 10, eigenvalues 1..100, target f − f* <= 1e-10 (f(w0) − f*), budget "
                f"{r['steps']} steps: steps to target Newton {_fmt_steps(nt)}, diagonal Newton exact diagonal "
                f"{_fmt_steps(de)}{' (diverged)' if not math.isfinite(r['diagonal Newton (exact diagonal)']['loss'][-1]) else ''}"
                f", DiagonalNewton (Hutchinson) per seed "
                + ", ".join(f"{_fmt_steps(v)}{' (diverged)' if diverged[s] else ''}" for s, v in hu.items())
                + f", GD {_fmt_steps(gd)}; ρ(I − D⁻¹A) = {r['jacobi_spectral_radius']:.3g}")
        if kind == "separable":
            out.append(_claim("newton", "Newton's Method", "w' = w − H⁻¹g minimises the second-order Taylor model: on "
                              "a quadratic, one step", nt == 1, desc))
            out.append(_claim("newton", "Diagonal approximation", "w_i ← w_i − g_i/(h_i + ε) approximates Newton's "
                              "method [exact when H is diagonal]", de == 1 and all(v == 1 for v in hu.values()), desc))
        else:
            out.append(_claim("newton", "Newton's Method", "[one Newton step solves a quadratic, also when its "
                              "Hessian is not diagonal]", nt == 1, desc))
            out.append(_claim("newton", "Diagonal approximation", "w_i ← w_i − g_i/(h_i + ε) approximates Newton's "
                              "method [when H is not diagonal: reaches the target, and sooner than GD]",
                              de is not None and (gd is None or de < gd), desc))
    r = res["mlp"]
    fin = lambda v: v["loss"][-1] if math.isfinite(v["loss"][-1]) else math.inf  # noqa: E731
    best = lambda d: min(d, key=lambda k: fin(d[k]))  # noqa: E731  the setting with the lowest final loss
    e_nw, e_de, lr_gd = best(r["Newton"]), best(r["diagonal Newton (exact diagonal)"]), best(r["GD"])
    hu_by_eps = {e: float(np.median([fin(v) for v in d.values()])) for e, d in r["DiagonalNewton (Hutchinson)"].items()}
    e_hu = min(hu_by_eps, key=hu_by_eps.get)
    nw, de, gd = fin(r["Newton"][e_nw]), fin(r["diagonal Newton (exact diagonal)"][e_de]), fin(r["GD"][lr_gd])
    hu = [fin(v) for v in r["DiagonalNewton (Hutchinson)"][e_hu].values()]
    hu_med = hu_by_eps[e_hu]
    sweep = lambda d: ", ".join(f"{k:g}: {fin(v):.3g}" for k, v in d.items())  # noqa: E731
    desc = (f"1-8-1 tanh MLP ({r['n_params']} parameters), {r['steps']} steps, each method at its best ε (η for "
            f"GD): final loss Newton {nw:.3g} (ε = {e_nw:g}), diagonal Newton exact diagonal {de:.3g} "
            f"(ε = {e_de:g}), DiagonalNewton (Hutchinson, 1 HVP) per seed " + ", ".join(f"{v:.3g}" for v in hu)
            + f" (ε = {e_hu:g}), GD {gd:.3g} (η = {lr_gd:g}); the sweeps: Newton {sweep(r['Newton'])}; exact "
            f"diagonal {sweep(r['diagonal Newton (exact diagonal)'])}; Hutchinson (median over seeds) "
            + ", ".join(f"{k:g}: {v:.3g}" for k, v in hu_by_eps.items()) + f"; GD {sweep(r['GD'])}")
    out.append(_claim("newton", "Newton's Method", "Newton's method takes local geometry into account better than "
                      "vanilla gradient descent", nw < gd, desc))
    out.append(_claim("newton", "Diagonal approximation", "[diagonal Newton keeps part of that advantage: below GD "
                      "on the MLP at the same number of steps]", de < gd and hu_med < gd, desc + " (Hutchinson: the "
                      "median over seeds)"))
    sn = float(np.median([v["seconds_per_step"] for v in r["Newton"].values()]))
    sh = float(np.median([v["seconds_per_step"] for d in r["DiagonalNewton (Hutchinson)"].values()
                          for v in d.values()]))
    out.append(_claim("newton", "Newton's Method", "Newton's method is computationally expensive [the diagonal can "
                      "be computed efficiently]", sn > sh,
                      f"MLP: {r['n_params']} HVPs + an eigendecomposition per Newton step "
                      f"({1e3 * sn:.1f} ms) vs 1 HVP per "
                      f"DiagonalNewton step ({1e3 * sh:.1f} ms): {sn / sh:.1f}x"))
    return out


def verdicts_of(results):
    """A list of judged claims for every study present in `results` (name -> (result, seconds))."""
    judge = {"adagrad_stall": stall, "adadelta_eps": adadelta, "anneal": anneal, "newton": newton}
    out = []
    for name, fn in judge.items():
        if name in results:
            out += fn(results[name][0])
    return out


__all__ = ["verdicts_of", "steps_to", "VERDICT", "SOURCE"]

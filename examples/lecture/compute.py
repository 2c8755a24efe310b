r"""The lecture checks' computation: the problems (pseudo-Huber valley, quadratics, a 1-H-1 tanh MLP, a noisy linear
regression) and the four studies. Everything is float64 on the CPU; gradients, Hessian-vector products and Hessians
come from autodiff (tinygrad_lr.grad), the optimizers from tinygrad_lr.optim.

Each study returns plain data (lists / arrays / floats) that verdicts.py judges and figures.py draws; `scale`
multiplies the step and epoch budgets (the tests run them at a small scale)."""
import time

import numpy as np

from tinygrad_lr import optim
from tinygrad_lr.autograd import grad, no_grad
from tinygrad_lr.backend import manual_seed
from tinygrad_lr.optim.lr_scheduler import ReduceLROnPlateau
from tinygrad_lr.tensor import Tensor

from .config import ADADELTA, ADADELTA_EPS, ANNEAL, MLP, NEWTON_MLP, QUAD, SEEDS, STALL, STALL_MLP


def _n(steps, scale):
    return max(2, int(round(steps * scale)))


def _t(a, requires_grad=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=requires_grad, dtype=np.float64, device="cpu")


# ---------------------------------------------------------------- problems

def pseudo_huber(w, delta=STALL["delta"]):
    """Σ_i δ²(√(1 + (w_i/δ)²) − 1): quadratic near 0, |∂f/∂w_i| → δ far from it."""
    u = w * (1.0 / delta)
    return ((u * u + 1.0).sqrt() - 1.0).sum() * (delta * delta)


def mlp_data(n=MLP["n"]):
    x = np.linspace(-1.0, 1.0, n).reshape(n, 1)
    return _t(x), _t(np.sin(3.0 * x))


def mlp_init(hidden=MLP["hidden"], seed=MLP["seed"]):
    """The flat parameter vector θ = (W1 (1×H), b1 (H), W2 (H×1), b2 (1)) of the 1-H-1 tanh MLP."""
    r = np.random.default_rng(seed)
    return np.concatenate([r.normal(0, 1.0, hidden), np.zeros(hidden), r.normal(0, hidden ** -0.5, hidden), [0.0]])


def mlp_loss(theta, data, hidden=MLP["hidden"]):
    """Mean squared error of the 1-H-1 tanh MLP whose parameters are the flat Tensor θ."""
    x, y = data
    h = hidden
    w1, b1 = theta[0:h].reshape(1, h), theta[h:2 * h]
    w2, b2 = theta[2 * h:3 * h].reshape(h, 1), theta[3 * h:3 * h + 1]
    out = (x @ w1 + b1).tanh() @ w2 + b2
    d = out - y
    return (d * d).mean()


def quadratic(coupled, n=QUAD["n"], cond=QUAD["cond"], seed=QUAD["seed"]):
    """(A, b, w*): A with eigenvalues log-spaced in [1, cond]; coupled: A = Q Λ Qᵀ with a random rotation Q,
    else A = Λ (separable). f(w) = ½ wᵀAw − bᵀw."""
    r = np.random.default_rng(seed)
    lam = np.logspace(0, np.log10(cond), n)
    if coupled:
        q, _ = np.linalg.qr(r.normal(size=(n, n)))
        a = (q * lam) @ q.T
        a = (a + a.T) / 2
    else:
        a = np.diag(lam)
    b = r.normal(size=n)
    return a, b, np.linalg.solve(a, b)


def quad_loss(w, a, b):
    return (w * (_t(a) @ w)).sum() * 0.5 - (_t(b) * w).sum()


# ---------------------------------------------------------------- a generic run

def run(make_opt, w0, loss_fn, steps, closure_opt=False):
    """Steps of an optimizer from tinygrad_lr.optim on loss_fn(w) from w0 (a flat float64 vector). Records the
    loss before every step and after the last (steps+1 values), and the realised per-parameter step per unit
    gradient |Δw_i| / |g_i| of every step (the "effective learning rate": η/(√v + ε) for AdaGrad; NaN where
    g_i = 0): "effective_lr" is its median over the parameters, "effective_lr_all" the whole (steps, n) array.
    Stops early if the loss is not finite."""
    w = _t(w0, requires_grad=True)
    opt = make_opt([w])
    losses, eff, eff_all = [], [], []
    for _ in range(steps):
        before = w.numpy().copy()
        if closure_opt:
            loss = opt.step(lambda: loss_fn(w))
            g = None
        else:
            opt.zero_grad()
            loss = loss_fn(w)
            loss.backward()
            g = w.grad.numpy().copy()
            opt.step()
        losses.append(float(loss.item()))
        if g is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                e = np.where(np.abs(g) > 0, np.abs(w.numpy() - before) / np.abs(g), np.nan)
            eff_all.append(e)
            eff.append(float(np.nanmedian(e)) if np.any(np.isfinite(e)) else np.nan)
        if not np.isfinite(losses[-1]) or not np.all(np.isfinite(w.numpy())):
            break
    with no_grad():
        losses.append(float(loss_fn(w).item()))
    return {"loss": losses, "effective_lr": eff, "effective_lr_all": np.array(eff_all), "w": w.numpy().tolist()}


# ---------------------------------------------------------------- 1. AdaGrad stalls

def adagrad_stall(scale=1.0):
    """AdaGrad vs RMSProp at the same η: (a) the pseudo-Huber valley from (100, 100), (b) the MLP, full batch."""
    out = {}
    s = STALL
    n = _n(s["steps"], scale)
    f = lambda w: pseudo_huber(w, s["delta"])  # noqa: E731
    out["valley"] = {
        "AdaGrad": run(lambda p: optim.Adagrad(p, lr=s["lr"]), s["w0"], f, n),
        "RMSProp": run(lambda p: optim.RMSprop(p, lr=s["lr"], alpha=s["rmsprop_alpha"]), s["w0"], f, n),
        "steps": n, "lr": s["lr"], "w0": s["w0"]}
    m = STALL_MLP
    n = _n(m["steps"], scale)
    data = mlp_data()
    g = lambda w: mlp_loss(w, data)  # noqa: E731
    out["mlp"] = {
        "AdaGrad": run(lambda p: optim.Adagrad(p, lr=m["lr"]), mlp_init(), g, n),
        "RMSProp": run(lambda p: optim.RMSprop(p, lr=m["lr"], alpha=m["rmsprop_alpha"]), mlp_init(), g, n),
        "steps": n, "lr": m["lr"]}
    return out


# ---------------------------------------------------------------- 2. AdaDelta and ε

def adadelta_eps(scale=1.0):
    """AdaDelta (η = 1, ρ = 0.9) at every ε of ADADELTA_EPS on the quadratic 3w1² + 10w2² from (−15, 20) (the
    RMSProp tutorial's) and on the MLP; RMSProp (η = 1e-2, α = 0.9) at the same ε for contrast."""
    out = {}
    quad = lambda w: (w * w * _t([3.0, 10.0])).sum()  # noqa: E731
    data = mlp_data()
    mlp = lambda w: mlp_loss(w, data)  # noqa: E731
    for prob, f, w0, steps in (("quadratic", quad, (-15.0, 20.0), ADADELTA["quad_steps"]),
                               ("mlp", mlp, mlp_init(), ADADELTA["mlp_steps"])):
        n = _n(steps, scale)
        out[prob] = {"steps": n,
                     "AdaDelta": {e: run(lambda p, e=e: optim.Adadelta(p, lr=1.0, rho=ADADELTA["rho"], eps=e), w0, f, n)
                                  for e in ADADELTA_EPS},
                     "RMSProp": {e: run(lambda p, e=e: optim.RMSprop(p, lr=1e-2, alpha=0.9, eps=e), w0, f, n)
                                 for e in ADADELTA_EPS}}
    return out


# ---------------------------------------------------------------- 3. annealing

def anneal(scale=1.0):
    """Minibatch SGD on y = Xw + noise: η fixed at each of ANNEAL["lrs"], and η = lrs[0] multiplied by `factor`
    when the validation MSE has not improved for `patience` epochs (ReduceLROnPlateau). Per epoch: validation MSE,
    η. The validation MSE's floor is noise² (the Bayes error)."""
    c = ANNEAL
    r = np.random.default_rng(c["seed"])
    w_true = r.normal(size=c["d"])
    X = r.normal(size=(c["n_train"] + c["n_val"], c["d"]))
    y = X @ w_true + c["noise"] * r.normal(size=len(X))
    Xtr, ytr, Xva, yva = _t(X[:c["n_train"]]), y[:c["n_train"]], _t(X[c["n_train"]:]), _t(y[c["n_train"]:])
    epochs = _n(c["epochs"], scale)

    def one(lr, annealed):
        w = _t(np.zeros(c["d"]), requires_grad=True)
        opt = optim.SGD([w], lr=lr)
        sched = ReduceLROnPlateau(opt, factor=c["factor"], patience=c["patience"]) if annealed else None
        order = np.random.default_rng(c["seed"] + 1)
        val, lrs = [], []
        for _ in range(epochs):
            perm = order.permutation(c["n_train"])
            lrs.append(opt.param_groups[0]["lr"])
            for i in range(0, c["n_train"], c["batch"]):
                idx = perm[i:i + c["batch"]]
                opt.zero_grad()
                d = Xtr[idx] @ w - _t(ytr[idx])
                (d * d).mean().backward()
                opt.step()
            with no_grad():
                d = Xva @ w - yva
                val.append(float((d * d).mean().item()))
            if sched is not None:
                sched.step(val[-1])
        return {"val_mse": val, "lr": lrs}

    runs = {f"SGD η = {lr:g}": one(lr, False) for lr in c["lrs"]}
    runs[f"SGD η = {c['lrs'][0]:g}, ×{c['factor']:g} on plateau"] = one(c["lrs"][0], True)
    return {"runs": runs, "epochs": epochs, "bayes_mse": c["noise"] ** 2,
            "fixed_high": f"SGD η = {c['lrs'][0]:g}", "fixed_low": f"SGD η = {c['lrs'][1]:g}",
            "annealed": f"SGD η = {c['lrs'][0]:g}, ×{c['factor']:g} on plateau"}


# ---------------------------------------------------------------- 4. Newton, diagonal Newton

def hessian(loss_fn, w):
    """(loss, g, H) at w by autodiff: the gradient with create_graph, then one HVP per unit vector."""
    x = _t(w, requires_grad=True)
    loss = loss_fn(x)
    (g,) = grad(loss, [x], create_graph=True)
    n = len(w)
    rows = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        (hi,) = grad(g, [x], grad_outputs=[_t(e)], retain_graph=True)
        rows.append(hi.numpy())
    h = np.array(rows)
    return float(loss.item()), g.numpy().copy(), (h + h.T) / 2


def newton_run(loss_fn, w0, steps, eps, diagonal=False, target=None):
    """Newton's method w ← w − |H|⁻¹g with |H| = Q(|Λ| + ε)Qᵀ (the curvature's absolute value, as DiagonalNewton
    takes |ĥ|, so a step never climbs along negative curvature); diagonal=True: the exact diagonal,
    w_i ← w_i − g_i/(|h_ii| + ε) (the slides' formula). H comes from n HVPs per step. Returns losses (before each
    step and after the last), seconds per step and HVPs per step."""
    w = np.array(w0, dtype=np.float64)
    losses, t0 = [], time.perf_counter()
    done = 0
    for _ in range(steps):
        loss, g, h = hessian(loss_fn, w)
        losses.append(loss)
        if target is not None and loss <= target:
            break
        if diagonal:
            w = w - g / (np.abs(np.diag(h)) + eps)
        else:
            lam, q = np.linalg.eigh(h)
            w = w - q @ ((q.T @ g) / (np.abs(lam) + eps))
        done += 1
        if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > 1e12:
            losses.append(float("inf"))
            break
    else:
        losses.append(float(loss_fn(_t(w)).item()))
    secs = (time.perf_counter() - t0) / max(done, 1)
    return {"loss": losses, "seconds_per_step": secs, "hvps_per_step": len(w0), "w": w.tolist()}


def diag_newton_run(loss_fn, w0, steps, eps, seed, n_samples=1, target=None):
    """tinygrad_lr.optim.DiagonalNewton (Hutchinson's estimate of diag H, n_samples HVPs per step, η = 1)."""
    manual_seed(seed)
    w = _t(w0, requires_grad=True)
    opt = optim.DiagonalNewton([w], lr=1.0, eps=eps, n_samples=n_samples)
    losses, t0, done = [], time.perf_counter(), 0
    for _ in range(steps):
        with no_grad():
            losses.append(float(loss_fn(w).item()))
        if target is not None and losses[-1] <= target:
            break
        opt.step(lambda: loss_fn(w))
        done += 1
        if not np.all(np.isfinite(w.numpy())) or np.max(np.abs(w.numpy())) > 1e12:
            losses.append(float("inf"))
            break
    else:
        with no_grad():
            losses.append(float(loss_fn(w).item()))
    return {"loss": losses, "seconds_per_step": (time.perf_counter() - t0) / max(done, 1),
            "hvps_per_step": n_samples, "w": w.numpy().tolist()}


def gd_run(loss_fn, w0, steps, lr, target=None):
    w = _t(w0, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    losses, t0 = [], time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(w)
        losses.append(float(loss.item()))
        if target is not None and losses[-1] <= target:
            break
        loss.backward()
        opt.step()
    else:
        with no_grad():
            losses.append(float(loss_fn(w).item()))
    return {"loss": losses, "seconds_per_step": (time.perf_counter() - t0) / max(len(losses) - 1, 1),
            "hvps_per_step": 0, "lr": lr}


def newton_study(scale=1.0):
    """Full Newton, diagonal Newton (exact diagonal; Hutchinson via optim.DiagonalNewton at SEEDS) and GD on a
    separable and a coupled quadratic (target: f − f* ≤ 1e-10·(f(w0) − f*)) and on the MLP (fixed steps; every
    ε of NEWTON_MLP["eps"] for the Newton variants and every η of NEWTON_MLP["gd_lrs"] for GD, each judged at its
    best)."""
    out = {}
    steps = _n(QUAD["steps"], scale)
    for kind in ("separable", "coupled"):
        a, b, ws = quadratic(kind == "coupled")
        fstar = float(-0.5 * b @ ws)
        f = lambda w, a=a, b=b: quad_loss(w, a, b)  # noqa: E731
        w0 = np.zeros(len(b))
        target = fstar + 1e-10 * (0.0 - fstar)
        d = np.diag(a)
        jacobi = float(np.max(np.abs(np.linalg.eigvals(np.eye(len(b)) - a / d[:, None]))))
        out[kind] = {
            "f_star": fstar, "f0": 0.0, "target": target, "steps": steps,
            "jacobi_spectral_radius": jacobi,  # ρ(I − D⁻¹A): the exact-diagonal Newton iteration converges iff < 1
            "Newton": newton_run(f, w0, steps, QUAD["eps"], target=target),
            "diagonal Newton (exact diagonal)": newton_run(f, w0, steps, QUAD["eps"], diagonal=True, target=target),
            "DiagonalNewton (Hutchinson)": {s: diag_newton_run(f, w0, steps, max(QUAD["eps"], 1e-12), s, target=target)
                                            for s in SEEDS},
            "GD, η = 1/λmax": gd_run(f, w0, steps, 1.0 / float(np.max(np.linalg.eigvalsh(a))), target=target)}
    m = NEWTON_MLP
    data = mlp_data()
    f = lambda w: mlp_loss(w, data)  # noqa: E731
    n = _n(m["steps"], scale)
    w0 = mlp_init()
    out["mlp"] = {"steps": n, "eps": m["eps"], "n_params": len(w0),
                  "Newton": {e: newton_run(f, w0, n, e) for e in m["eps"]},
                  "diagonal Newton (exact diagonal)": {e: newton_run(f, w0, n, e, diagonal=True) for e in m["eps"]},
                  "DiagonalNewton (Hutchinson)": {e: {s: diag_newton_run(f, w0, n, e, s, m["hutchinson_samples"])
                                                      for s in SEEDS} for e in m["eps"]},
                  "GD": {lr: gd_run(f, w0, n, lr) for lr in m["gd_lrs"]}}
    return out


STUDIES = {"adagrad_stall": adagrad_stall, "adadelta_eps": adadelta_eps, "anneal": anneal, "newton": newton_study}


def _one(args):
    name, scale = args
    t0 = time.perf_counter()
    res = STUDIES[name](scale)
    return name, res, time.perf_counter() - t0


def run_all(scale=1.0, jobs=1, names=None):
    """name -> (result, seconds) for every study, in `jobs` worker processes."""
    work = [(n, scale) for n in (names or STUDIES)]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            done = list(ex.map(_one, work))
    else:
        done = [_one(w) for w in work]
    return {n: (r, s) for n, r, s in done}

"""Seed 001's worked example: E(w) = 3 w1² + 10 w2² from w0 = (-15, 20), two steps of plain gradient descent
(η = 0.001) and two of the RMSProp-style scheme

    s(t) = β·s(t-1) + (1-β)·g²,   w(t) = w(t-1) - η·g / √(s(t) + ε)      (η = 0.05, β = 0.9, ε = 1e-8, s(0) = 0)

Gradients come from autodiff. Three computations, printed next to the seed's numbers with a pass/fail at 2
decimals (|ours - seed| < 0.005):
- GD: optim.SGD(lr=0.001).
- RMSProp-style, exact: the scheme above in Tensor ops, ε INSIDE the root as the seed writes it.
- RMSProp-style, optim.RMSprop(lr=0.05, alpha=β, eps=ε): torch's form a = √s + ε, ε OUTSIDE the root.
  At ε = 1e-8 and s ≥ 810 the two differ by about 1e-12 relative: invisible at 2 decimals.
The seed's intermediate values are checked too; its s(2) and ∇E(w(1)) are computed from w(1) ROUNDED to
(-14.84, 19.84), so ours (from the exact w(1) = (-14.8419, 19.8419)) differ there beyond 2 decimals: reported, and
recomputed from the rounded w(1) as the seed did.
"""
import numpy as np

from .. import optim
from ..autograd import grad, no_grad
from ..tensor import Tensor
from .common import out_dir, write_json

W0, ETA_GD, ETA, BETA, EPSILON = (-15.0, 20.0), 0.001, 0.05, 0.9, 1e-8
SEED = {"GD": [(-14.91, 19.6), (-14.82, 19.21)], "RMSProp-style": [(-14.84, 19.84), (-14.73, 19.73)]}
# the seed's intermediate numbers: s(1), ∇E(w(1)), s(2) (the last two from the rounded w(1))
SEED_INTERMEDIATE = {"s(1)": (810.0, 16000.0), "grad E(w(1))": (-89.04, 396.8), "s(2)": (1521.81, 30145.02)}


def energy(w):
    return 3 * w[0] ** 2 + 10 * w[1] ** 2


def _w():
    return Tensor(np.array(W0), requires_grad=True)  # float64


def _run(make_opt, steps):
    """w(1..steps) of an optimizer from tinygrad_lr.optim on E, starting at w0."""
    w = _w()
    opt = make_opt([w])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        energy(w).backward()
        opt.step()
        out.append(tuple(float(v) for v in w.numpy()))
    return out


def gradient_descent(steps=2, lr=ETA_GD):
    return _run(lambda p: optim.SGD(p, lr=lr), steps)


def rmsprop_scheme(steps=2, lr=ETA, beta=BETA, eps=EPSILON, w0=W0, s0=(0.0, 0.0)):
    """The seed's scheme exactly (ε inside the root). Returns [(w(t), s(t), ∇E(w(t-1))) for t = 1..steps]."""
    w = Tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    s = Tensor(np.array(s0, dtype=np.float64))
    out = []
    for _ in range(steps):
        (g,) = grad(energy(w), [w])
        with no_grad():
            s = beta * s + (1 - beta) * g * g
            w_new = w.detach() - lr * g / (s + eps).sqrt()
        out.append((tuple(float(v) for v in w_new.numpy()), tuple(float(v) for v in s.numpy()),
                    tuple(float(v) for v in g.numpy())))
        w = Tensor(w_new.data, requires_grad=True)
    return out


def torch_rmsprop(steps=2, lr=ETA, beta=BETA, eps=EPSILON):
    """optim.RMSprop (torch's ε placement, outside the root)."""
    return _run(lambda p: optim.RMSprop(p, lr=lr, alpha=beta, eps=eps), steps)


def _match(ours, ref):
    return bool(np.all(np.abs(np.array(ours) - np.array(ref)) < 0.005 + 1e-12))


def _fmt(v):
    return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"


def run(out="runs/rmsprop-example", log=print):
    """Print and check the example; write metrics.json. Returns (rows, all_match) where rows are the four
    weight vectors the seed gives (w(1), w(2) of both schemes)."""
    out = out_dir(out)
    exact = rmsprop_scheme()
    ours = {"GD": gradient_descent(), "RMSProp-style": [w for w, _, _ in exact]}
    torch_form = torch_rmsprop()
    rows, ok = [], True
    log(f"Seed 001: E(w) = 3 w1^2 + 10 w2^2, w0 = {W0}; GD eta = {ETA_GD}; RMSProp-style eta = {ETA}, "
        f"beta = {BETA}, eps = {EPSILON}")
    log("| scheme | value | tinygrad_lr | seed | match (2 decimals) |\n|---|---|---|---|---|")
    for scheme, steps in ours.items():
        for k, (w, ref) in enumerate(zip(steps, SEED[scheme]), 1):
            match = _match(w, ref)
            ok &= match
            row = {"scheme": scheme, "step": k, "w": list(w), "seed": list(ref), "match": match}
            if scheme == "RMSProp-style":
                row["w_optim_RMSprop"] = list(torch_form[k - 1])
                row["match_optim_RMSprop"] = _match(torch_form[k - 1], ref)
                ok &= row["match_optim_RMSprop"]
            rows.append(row)
            log(f"| {scheme} | w({k}) | {_fmt(w)} | {ref} | {'yes' if match else 'NO'} |")
            if scheme == "RMSProp-style":
                log(f"| RMSProp-style via optim.RMSprop (eps outside the root) | w({k}) | {_fmt(torch_form[k - 1])} "
                    f"| {ref} | {'yes' if row['match_optim_RMSprop'] else 'NO'} |")
    # the seed's intermediate values
    (w1, s1, g0), (w2, s2, g1) = exact
    rounded = rmsprop_scheme(steps=1, w0=SEED["RMSProp-style"][0], s0=s1)[0]  # from the seed's rounded w(1)
    inter = []
    for name, val, from_rounded in [("s(1)", s1, s1), ("grad E(w(1))", g1, rounded[2]), ("s(2)", s2, rounded[1])]:
        ref = SEED_INTERMEDIATE[name]
        inter.append({"value": name, "ours": list(val), "seed": list(ref), "match": _match(val, ref),
                      "ours_from_rounded_w1": list(from_rounded), "match_from_rounded_w1": _match(from_rounded, ref)})
    log("\nintermediate values (the seed computes step 2 from w(1) rounded to 2 decimals)")
    log("| value | tinygrad_lr | match | from the rounded w(1) | match | seed |\n|---|---|---|---|---|---|")
    for r in inter:
        log(f"| {r['value']} | {_fmt(r['ours'])} | {'yes' if r['match'] else 'no'} | "
            f"{_fmt(r['ours_from_rounded_w1'])} | {'yes' if r['match_from_rounded_w1'] else 'no'} | {r['seed']} |")
    log(f"\nall four weight vectors match the seed at 2 decimals (both RMSProp forms): {'yes' if ok else 'NO'}")
    write_json(f"{out}/metrics.json", {"experiment": "seed 001: RMSProp-style worked example", "w0": W0,
                                       "eta_gd": ETA_GD, "eta": ETA, "beta": BETA, "eps": EPSILON,
                                       "rows": rows, "intermediate": inter, "all_match": ok})
    log(f"wrote {out}/metrics.json")
    return rows, ok

"""Reverse-mode autodiff whose backward pass is itself made of Tensor ops.

A `Function` computes its forward on raw arrays and its backward with Tensor ops. The walk (`backprop`) runs
those backward ops with grad mode set to `create_graph`: off, they record nothing (a plain backward); on, they
record a graph of their own, which is what makes grad-of-grad and Hessian-vector products work for every op.

Reading order: `Function`, then its specialisations `Elementwise`, `Linear` and `Bilinear` (the forward-mode
rules sit side by side there), then `backprop` (the reverse walk), then the user-facing `backward`, `grad`,
`jvp` and `hvp`. How gradients are summed, quickly, is accumulate.py's business.
"""
import functools
import itertools

from numpy import asarray as _np_asarray, generic as _np_generic

from .accumulate import GradSum
from .tensor import Tensor

_enabled = [True]   # grad mode; a list so the walk can flip it without `global` in hot code
# What the nodes recorded now are tagged with (Function.tag), for pictures of the graph (viz.py): None in a plain
# forward pass; (pass, scope, origin) while a create_graph=True backward (or jvp) records ops, or while
# viz.record_modules names the module running. pass: None (forward) or ("backward" | "jvp", n), n counting the
# recording passes; scope: the module's name; origin: the op whose backward (or jvp rule) is running, "+" while
# the walk sums gradients.
_tag = [None]
_passes = itertools.count(1)


def is_grad_enabled():
    """True unless inside no_grad (or a backward without create_graph): whether ops record a graph now."""
    return _enabled[0]


class _GradMode:
    """Context manager and decorator, with or without parentheses: `with no_grad():`, `@no_grad`, `@no_grad()`."""
    mode = True

    def __init__(self, fn=None):
        self.fn = fn
        if fn is not None:
            functools.update_wrapper(self, fn)

    def __enter__(self):
        self.prev = _enabled[0]
        _enabled[0] = self.mode

    def __exit__(self, *exc):
        _enabled[0] = self.prev

    def __call__(self, *a, **kw):
        if self.fn is None:  # @no_grad(): wrap the function given now
            return type(self)(a[0])
        with type(self)():
            return self.fn(*a, **kw)

    def __get__(self, obj, objtype=None):  # decorating a method
        return self if obj is None else functools.partial(self.__call__, obj)


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (as torch.no_grad). `with no_grad():`,
    `@no_grad` or `@no_grad()`; fn is the function being decorated (given by the `@no_grad` form)."""
    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: turn graph recording back on (e.g. inside no_grad), as torch.enable_grad;
    fn is the function being decorated (given by the `@enable_grad` form)."""
    mode = True


class _set_grad_mode(_GradMode):
    def __init__(self, mode):
        self.mode = mode


class _recording(_set_grad_mode):
    """Grad mode for a backward (or jvp) pass. When it records (mode on), `as` gives the pass's token, which the
    walk puts in the tag of the nodes it records (_tag); the tag in force before is restored on exit."""

    def __init__(self, kind, mode):
        self.mode, self.token = mode, (kind, next(_passes)) if mode else None

    def __enter__(self):
        super().__enter__()
        self.prev_tag = _tag[0]
        return self.token

    def __exit__(self, *exc):
        _tag[0] = self.prev_tag
        super().__exit__(*exc)


def _tag_for(token, ctx, origin=None):
    """The tag of the nodes that ctx's backward (or jvp rule) records in pass `token`: ctx's module scope, and
    ctx's name (or `origin`)."""
    return token, None if ctx.tag is None else ctx.tag[1], origin or type(ctx).__name__


# ---- ops ---------------------------------------------------------------------------------------------------------
class Function:
    """One differentiable op. Subclasses define

        forward(self, *arrays, **kw) -> array          on raw NumPy/CuPy arrays; may stash what backward needs
        backward(self, g, out, needs) -> Tensor | tuple
                                                        g = dL/d(out) as a Tensor; returns dL/d(parent) for each
                                                        parent, written in Tensor ops; needs[i] says whether
                                                        parent i wants one (return None where it does not)

    and `Op.apply(*tensors, **kw)` runs it. A returned gradient may have the broadcast shape or another dtype:
    the walk sums it down to the parent's shape and casts it, so ops never unbroadcast by hand. The docstring of
    every op states its function and its derivative.
    """
    __slots__ = ("parents", "device", "kw", "__dict__")
    tag = None  # (pass, scope, origin) when recorded by a backward pass or inside viz.record_modules (_tag)

    @classmethod
    def apply(cls, *parents, **kw):
        ctx = cls()
        dev = parents[0].device
        for p in parents:
            if p.device != dev:
                raise RuntimeError(f"{cls.__name__}: tensors on different devices: {dev} and {p.device}")
        ctx.device, ctx.kw = dev, kw
        out = ctx.forward(*[p.data for p in parents], **kw)
        if isinstance(out, _np_generic):  # NumPy reductions return scalars; keep 0-d arrays
            out = _np_asarray(out)
        rg = _enabled[0] and out.dtype.kind in "fc" and any(p.requires_grad for p in parents)  # no int/bool grads
        t = Tensor.wrap(out, dev, rg)
        if rg:
            ctx.parents = parents
            t._ctx = ctx
            if _tag[0] is not None:
                ctx.tag = _tag[0]
        return t

    def forward(self, *arrays, **kw):
        raise NotImplementedError

    def backward(self, g, out, needs):
        raise NotImplementedError

    # Forward mode: d(out) from the parents' tangents (None = zero), in Tensor ops. The rules, side by side:
    def jvp(self, tangents, out):
        """Any op: its VJP is linear in g, so the gradient of <VJP(g), tangents> w.r.t. g is the JVP (the
        double-VJP trick). It costs two backward passes of the op; the classes below are cheaper."""
        u = Tensor.zeros_like(out).requires_grad_()
        prev = _enabled[0]
        with enable_grad():
            gs = self.backward(u, out, tuple(t is not None for t in tangents))
            gs = gs if isinstance(gs, tuple) else (gs,)
            terms = [(g.sum_to(p.shape) * t).sum() for g, t, p in zip(gs, tangents, self.parents)
                     if t is not None and g is not None]
            if not terms:
                return None
            dot = functools.reduce(lambda a, b: a + b, terms)
        return grad(dot, u, create_graph=prev, allow_unused=True)[0]


class Elementwise(Function):
    """An op whose Jacobian w.r.t. each input is diagonal (up to broadcasting). Then the backward applied to an
    input's tangent is that input's JVP term, so the backward rule serves forward mode too."""

    def jvp(self, tangents, out):
        total = None
        for i, t in enumerate(tangents):
            if t is not None:
                d = self.backward(t, out, tuple(j == i for j in range(len(tangents))))
                d = d[i] if isinstance(d, tuple) else d
                total = d if total is None else total + d
        return total


class Linear(Function):
    """An op linear in its one input (reshape, sum, unfold, ...): its JVP is the op itself applied to the
    tangent."""

    def jvp(self, tangents, out):
        return type(self).apply(tangents[0], **self.kw)


class Bilinear(Function):
    """An op bilinear in its first two inputs (matmul, convolution and its gradients): its JVP is op(da, b) +
    op(a, db), the op itself applied twice."""

    def jvp(self, tangents, out):
        (a, b), (ta, tb) = self.parents[:2], tangents[:2]
        terms = [type(self).apply(*pair, **self.kw) for pair, t in (((ta, b), ta), ((a, tb), tb)) if t is not None]
        return None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]


# ---- the reverse walk --------------------------------------------------------------------------------------------
_FREED = ("Trying to backward through the graph a second time: its intermediate values were freed by the first "
          "backward. Pass retain_graph=True (or create_graph=True) to the first backward()/grad() call.")


def toposort(roots):
    """Tensors reachable from roots through requires_grad edges, parents before children (iterative DFS)."""
    order, seen, stack = [], set(), [(r, False) for r in roots]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            if ctx.parents is None:
                raise RuntimeError(_FREED)
            for p in ctx.parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
    return order


def backprop(roots, root_grads, inputs=None, create_graph=False, retain_graph=False, accumulate=True):
    """Push root_grads back to every tensor that needs one. Returns {id(x): dL/dx} for x in inputs; with
    `accumulate`, leaves' .grad += dL/dleaf (Tensor.backward)."""
    order = toposort(roots)
    needed = _leads_to(order, inputs)
    grads = GradSum(roots, root_grads, create_graph, accumulate)  # dL/dt, summed over t's children as they come
    found = {}
    with _recording("backward", create_graph) as token:  # the backward ops record a graph only when asked to
        # children before parents: by the time t is reached, every child has added its share to dL/dt
        for t in reversed(order):
            g = grads.pop(t)
            if g is None:
                continue
            if inputs is not None and id(t) in needed.wanted:
                found[id(t)] = g
            ctx = t._ctx
            if ctx is None:
                if accumulate:
                    grads.into_leaf(t, g)  # t.grad += g
                continue
            # the chain rule for one op: dL/dparent = backward(dL/dt), for the parents that lead to an input
            needs = tuple(p.requires_grad and needed(p) for p in ctx.parents)
            if any(needs):
                if token is not None:  # tag what this op's backward records, then the sums that follow
                    _tag[0] = _tag_for(token, ctx)
                gs = ctx.backward(g, t, needs)
                if token is not None:
                    _tag[0] = _tag_for(token, ctx, "+")
                for p, gp, need in zip(ctx.parents, gs if isinstance(gs, tuple) else (gs,), needs):
                    if need and gp is not None:
                        grads.add(p, _fit(gp, p))
            if not retain_graph:
                ctx.parents = None
    return found


def _fit(gp, p):
    """A parent's gradient in the parent's shape (sum over the dims the op broadcast) and dtype."""
    if gp.shape != p.shape:
        gp = gp.sum_to(p.shape)
    return gp if gp.dtype == p.dtype else gp.cast(p.dtype)


class _leads_to:
    """needed(t): does t lead to one of `inputs` (every tensor does when inputs is None)?"""

    def __init__(self, order, inputs):
        self.wanted = None if inputs is None else {id(x) for x in inputs}
        self.memo = {}
        if self.wanted is not None:
            for t in order:  # parents come first, so their answer is known
                ctx = t._ctx
                self.memo[id(t)] = id(t) in self.wanted or (
                    ctx is not None and any(self.memo.get(id(p), False) for p in ctx.parents))

    def __call__(self, t):
        return self.wanted is None or self.memo.get(id(t), False)


# ---- the user-facing API -----------------------------------------------------------------------------------------
def _as_tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _root_grads(outputs, grad_outputs):
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    gs = []
    for o, g in zip(outputs, grad_outputs):
        if g is None:
            if o.data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; got shape {o.shape}: "
                                   "pass gradient= (backward) or grad_outputs= (grad)")
            g = Tensor.ones_like(o)
        elif not isinstance(g, Tensor):
            g = Tensor(g, device=o.device, dtype=o.dtype)
        if g.shape != o.shape:
            raise RuntimeError(f"gradient has shape {g.shape} but the output has shape {o.shape}")
        gs.append(g)
    return gs


def backward(tensor, gradient=None, retain_graph=None, create_graph=False):
    """tensor.backward(): accumulate d(tensor)/d(leaf) into every leaf's .grad, as torch.Tensor.backward.

    Args:
        gradient: d(loss)/d(tensor), a Tensor (or array) of tensor's shape; None for a one-element tensor (1).
        retain_graph: keep the graph for another backward through it; None: as create_graph.
        create_graph: record the backward pass itself, so that the .grad it leaves is differentiable again
            (grad-of-grad); False costs no more than a plain backward."""
    if not tensor.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
    retain = create_graph if retain_graph is None else retain_graph
    backprop([tensor], _root_grads([tensor], None if gradient is None else [gradient]), None,
             create_graph, retain, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of outputs w.r.t. inputs (sum over outputs weighted by grad_outputs); leaves .grad untouched, as
    torch.autograd.grad. Returns a tuple, one gradient per input.

    Args:
        outputs: a Tensor or a sequence of them.
        inputs: a Tensor or a sequence of them, each requiring grad.
        grad_outputs: one weight per output (d(loss)/d(output)); None: ones for one-element outputs.
        retain_graph: keep the graph for another backward through it; None: as create_graph.
        create_graph: record the backward pass, so the gradients are differentiable again (double backprop).
        allow_unused: return None for an input the outputs do not depend on, instead of raising."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad")
    outs = [o for o in outputs if o.requires_grad]
    if not outs:
        raise RuntimeError("grad: none of the outputs requires grad (was the graph built under no_grad?)")
    gos = _root_grads(outputs, grad_outputs)
    gos = [g for o, g in zip(outputs, gos) if o.requires_grad]
    retain = create_graph if retain_graph is None else retain_graph
    found = backprop(outs, gos, inputs, create_graph, retain, accumulate=False)
    res = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) is not part of the graph of the outputs; "
                               "pass allow_unused=True to get None for it")
        res.append(g)
    return tuple(res)


def jvp(outputs, inputs, tangents, create_graph=False):
    """Forward-mode Jacobian-vector products: d(outputs) when inputs move along tangents, pushed through the
    graph already recorded from inputs to outputs (parents before children, each op's jvp rule). Returns a
    tuple, one tangent per output (zeros where an output does not depend on the inputs).

    Args:
        outputs: a Tensor or a sequence of them, computed from inputs with the graph recorded.
        inputs: a Tensor or a sequence of them (any tensors of the graph, leaves or not).
        tangents: one direction per input, of its shape (None: zero).
        create_graph: record the tangent computation, so the result is differentiable again."""
    outputs, inputs, tangents = _as_tuple(outputs), _as_tuple(inputs), _as_tuple(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(tangents)} tangents")
    tan = {}
    for x, t in zip(inputs, tangents):
        if t is not None and t.shape != x.shape:
            raise ValueError(f"jvp: tangent of shape {t.shape} for an input of shape {x.shape}")
        tan[id(x)] = t
    with _recording("jvp", create_graph) as token:
        for t in toposort([o for o in outputs if o.requires_grad]):
            ctx = t._ctx
            if id(t) in tan or ctx is None:
                continue
            ts = [tan.get(id(p)) for p in ctx.parents]
            if any(x is not None for x in ts):
                if token is not None:
                    _tag[0] = _tag_for(token, ctx)
                d = ctx.jvp(ts, t)
                if d is not None and d.shape != t.shape:
                    d = d.expand(t.shape)
                if d is not None and d.dtype != t.dtype:
                    d = d.cast(t.dtype)
                tan[id(t)] = d
    return tuple(tan.get(id(o)) if tan.get(id(o)) is not None else Tensor.zeros_like(o) for o in outputs)


def hvp(output, inputs, v, create_graph=False, retain_graph=None):
    """Hessian-vector product H·v by double backprop: grad of (∇output · v) w.r.t. inputs (Pearlmutter 1994,
    "Fast exact multiplication by the Hessian", doi:10.1162/neco.1994.6.1.147).

    `output` is a scalar Tensor built from `inputs`, or a callable: hvp(f, inputs, v) evaluates f(*inputs) on
    fresh leaves (on views of the inputs when create_graph=True, so that H·v stays differentiable w.r.t. them, as
    torch.autograd.functional.hvp). `v` matches `inputs` (a Tensor or a sequence of them). Returns a tuple, one
    H·v per input. create_graph: record the second backward too, so H·v is differentiable again; retain_graph:
    keep that graph for another backward (None: as create_graph).
    """
    inputs, v = _as_tuple(inputs), _as_tuple(v)
    if len(v) != len(inputs):
        raise ValueError(f"hvp: {len(inputs)} inputs but {len(v)} vectors")
    for x, u in zip(inputs, v):
        if x.shape != u.shape:
            raise ValueError(f"hvp: vector of shape {u.shape} for an input of shape {x.shape}")
    with enable_grad():
        if callable(output):
            inputs = tuple(x * 1.0 if create_graph and x.requires_grad else x.detach().requires_grad_()
                           for x in inputs)
            output = output(*inputs)
        if output.data.size != 1:
            raise RuntimeError(f"hvp needs a scalar output, got shape {output.shape}")
        gs = grad(output, inputs, create_graph=True, allow_unused=True)
    # H·v = vᵀ·∂(∇output)/∂inputs (H is symmetric): one more backward, seeded with v, through the gradient graph
    pairs = [(g, u.detach()) for g, u in zip(gs, v) if g is not None and g.requires_grad]
    if not pairs:  # output is at most linear in inputs
        return tuple(Tensor.zeros_like(x) for x in inputs)
    hv = grad([p[0] for p in pairs], inputs, [p[1] for p in pairs], retain_graph=retain_graph,
              create_graph=create_graph, allow_unused=True)
    return tuple(Tensor.zeros_like(x) if h is None else h for x, h in zip(inputs, hv))

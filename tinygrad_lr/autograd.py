"""Reverse-mode autodiff whose backward pass is itself made of Tensor ops.

A `Function` computes its forward on raw arrays and its backward with Tensor ops. The graph walk runs those
backward ops with grad mode set to `create_graph`: off, they record nothing (a plain backward); on, they
record a graph of their own, which is what makes grad-of-grad and Hessian-vector products work for every op.
"""
import functools

from numpy import asarray as _np_asarray, generic as _np_generic

_enabled = [True]   # grad mode; a list so the walk can flip it without `global` in hot code
Tensor = None       # set by tensor.py (the two modules need each other)


def is_grad_enabled():
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
    """Context manager / decorator: ops inside record no graph."""
    mode = False


class enable_grad(_GradMode):
    """Context manager / decorator: turn graph recording back on (e.g. inside no_grad)."""
    mode = True


class Function:
    """One differentiable op. Subclasses define

        forward(self, *arrays, **kw) -> array      on raw NumPy/CuPy arrays; may stash what backward needs
        backward(self, g, out) -> Tensor | tuple    g = dL/d(out) as a Tensor; returns dL/d(parent) per parent
                                                    (None where self.needs[i] is False), written in Tensor ops

    A returned gradient may have the broadcast shape or another dtype: the walk sums it down to the parent's
    shape and casts it, so ops never unbroadcast by hand.
    """
    __slots__ = ("parents", "needs", "device", "__dict__")

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
        rg = _enabled[0] and any(p.requires_grad for p in parents) and out.dtype.kind in "fc"  # no int/bool grads
        t = Tensor._wrap(out, dev, rg)
        if rg:
            ctx.parents = parents
            ctx.needs = tuple(p.requires_grad for p in parents)
            t._ctx = ctx
        return t

    def forward(self, *arrays, **kw):
        raise NotImplementedError

    def backward(self, g, out):
        raise NotImplementedError

    def jvp(self, tangents, out):
        """Forward-mode rule: d(out) from the parents' tangents (None = zero), in Tensor ops. This default
        works for any op: its VJP is linear in g, so the gradient of <VJP(g), tangents> in g is the JVP
        (the double-VJP trick). Ops override it with a cheaper rule."""
        u = Tensor.zeros_like(out).requires_grad_()
        saved, prev = self.needs, _enabled[0]
        self.needs, _enabled[0] = tuple(t is not None for t in tangents), True
        try:
            gs = self.backward(u, out)
            gs = gs if isinstance(gs, tuple) else (gs,)
            terms = [(g.sum_to(p.shape) * t).sum() for g, t, p in zip(gs, tangents, self.parents)
                     if t is not None and g is not None]
            if not terms:
                return None
            dot = terms[0]
            for t in terms[1:]:
                dot = dot + t
            return grad(dot, u, create_graph=prev, allow_unused=True)[0]
        finally:
            self.needs, _enabled[0] = saved, prev


_FREED = ("Trying to backward through the graph a second time: its intermediate values were freed by the first "
          "backward. Pass retain_graph=True (or create_graph=True) to the first backward()/grad() call.")


def _toposort(roots):
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


def _backprop(roots, root_grads, inputs, create_graph, retain_graph, accumulate):
    """Propagate root_grads to every tensor needed; returns {id(input): grad}. Leaves' .grad accumulate if asked."""
    order = _toposort(roots)
    want = {id(x) for x in inputs} if inputs is not None else None
    needed = None
    if want is not None:
        needed = {}
        for t in order:  # a tensor is needed if it is a wanted input or leads to one
            ctx = t._ctx
            needed[id(t)] = id(t) in want or (ctx is not None and any(needed.get(id(p), False) for p in ctx.parents))
    grads, found, owned = {}, {}, set()
    taken = {_buffer(g.data) for g in root_grads} if accumulate else None  # buffers a new .grad must not share
    prev, _enabled[0] = _enabled[0], create_graph
    try:
        for r, g in zip(roots, root_grads):
            grads[id(r)] = g if id(r) not in grads else grads[id(r)] + g
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            owned.discard(id(g))
            if isinstance(g, LazyGrad):
                g = g.dense()
            if want is not None and id(t) in want:
                found[id(t)] = g
            ctx = t._ctx
            if ctx is None:
                if accumulate:
                    if t.grad is None and not g.requires_grad:
                        g = _owned(g, taken)
                    t.grad = g if t.grad is None else t.grad + g
                continue
            mask = tuple(p.requires_grad for p in ctx.parents) if needed is None else \
                tuple(p.requires_grad and needed[id(p)] for p in ctx.parents)
            if any(mask):
                ctx.needs = mask
                gs = ctx.backward(g, t)
                if not isinstance(gs, tuple):
                    gs = (gs,)
                for p, gp, m in zip(ctx.parents, gs, mask):
                    if not m or gp is None:
                        continue
                    if gp.shape != p.shape:
                        gp = gp.sum_to(p.shape)
                    if gp.dtype != p.dtype:
                        gp = gp.cast(p.dtype)
                    old = grads.get(id(p))
                    if old is None:
                        grads[id(p)] = gp
                    elif create_graph:
                        grads[id(p)] = old + gp
                    else:
                        grads[id(p)] = _add_into(old, gp, owned)
            if not retain_graph:
                ctx.parents = None
    finally:
        _enabled[0] = prev
    return found


class LazyGrad:
    """A gradient an op may return unmaterialised in a plain backward (see ops.movement.SparseGrad): the walk
    adds it into an accumulator it owns with add_to(array), or asks for dense() when it is needed whole."""
    __slots__ = ()


def _add_into(old, gp, owned):
    """old + gp for a plain backward, in place once the walk owns the accumulator (it allocated it itself)."""
    if id(old) not in owned:
        if isinstance(old, LazyGrad):
            old = old.dense()
        elif isinstance(gp, LazyGrad):
            old = Tensor._wrap(old.data.copy(), old.device)
        else:
            old = old + gp
            owned.add(id(old))
            return old
        owned.add(id(old))
    if isinstance(gp, LazyGrad):
        gp.add_to(old.data)
    else:
        old.data += gp.data
    return old


def _buffer(a):
    while a.base is not None:
        a = a.base
    return id(a)


def _owned(g, taken):
    """A .grad the user may update in place, as torch's: not a read-only / stride-0 broadcast view (the gradient
    of x.sum() is ones broadcast to x's shape), and sharing memory with no other leaf's .grad (a + b hands both
    leaves the same gradient) nor with the gradient passed to backward()."""
    f, buf = g.data.flags, _buffer(g.data)
    if getattr(f, "writeable", True) and (f.c_contiguous or f.f_contiguous) and buf not in taken:
        taken.add(buf)
        return g
    g = Tensor._wrap(g.data.copy(), g.device)
    taken.add(id(g.data))
    return g


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
    """tensor.backward(): accumulate d(tensor)/d(leaf) into every leaf's .grad, as torch.Tensor.backward."""
    if not tensor.requires_grad:
        raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
    retain = create_graph if retain_graph is None else retain_graph
    _backprop([tensor], _root_grads([tensor], None if gradient is None else [gradient]), None,
              create_graph, retain, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of outputs w.r.t. inputs (sum over outputs weighted by grad_outputs); leaves .grad untouched."""
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
    found = _backprop(outs, gos, inputs, create_graph, retain, accumulate=False)
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
    tuple, one tangent per output (zeros where an output does not depend on the inputs)."""
    outputs, inputs, tangents = _as_tuple(outputs), _as_tuple(inputs), _as_tuple(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(tangents)} tangents")
    tan = {}
    for x, t in zip(inputs, tangents):
        if t is not None and t.shape != x.shape:
            raise ValueError(f"jvp: tangent of shape {t.shape} for an input of shape {x.shape}")
        tan[id(x)] = t
    prev, _enabled[0] = _enabled[0], create_graph
    try:
        for t in _toposort([o for o in outputs if o.requires_grad]):
            ctx = t._ctx
            if id(t) in tan or ctx is None:
                continue
            ts = [tan.get(id(p)) for p in ctx.parents]
            if any(x is not None for x in ts):
                d = ctx.jvp(ts, t)
                if d is not None and d.shape != t.shape:
                    d = d.expand(t.shape)
                if d is not None and d.dtype != t.dtype:
                    d = d.cast(t.dtype)
                tan[id(t)] = d
    finally:
        _enabled[0] = prev
    return tuple(tan.get(id(o)) if tan.get(id(o)) is not None else Tensor.zeros_like(o) for o in outputs)


def hvp(output, inputs, v, create_graph=False, retain_graph=None):
    """Hessian-vector product H·v by double backprop: grad of (∇output · v) w.r.t. inputs.

    `output` is a scalar Tensor built from `inputs`, or a callable: hvp(f, inputs, v) evaluates f(*inputs) on
    fresh leaves (on views of the inputs when create_graph=True, so that H·v stays differentiable w.r.t. them, as
    torch.autograd.functional.hvp). `v` matches `inputs` (a Tensor or a sequence of them). Returns a tuple, one
    H·v per input.
    """
    inputs, v = _as_tuple(inputs), _as_tuple(v)
    if len(v) != len(inputs):
        raise ValueError(f"hvp: {len(inputs)} inputs but {len(v)} vectors")
    for x, u in zip(inputs, v):
        if x.shape != u.shape:
            raise ValueError(f"hvp: vector of shape {u.shape} for an input of shape {x.shape}")
    with enable_grad():
        if callable(output):
            from .ops.movement import Reshape
            inputs = tuple(Reshape.apply(x, shape=x.shape) if create_graph and x.requires_grad
                           else x.detach().requires_grad_() for x in inputs)
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

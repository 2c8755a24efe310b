"""Pictures of the computation graph: Graphviz DOT text for the graph that produced a Tensor (pure Python), rendered
to SVG / PNG / PDF when Graphviz's `dot` program is installed.

    >>> import tinygrad_lr as tl
    >>> from tinygrad_lr import viz
    >>> x = tl.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * x).tanh().sum()
    >>> dot = viz.draw(y, names={"x": x})      # a str: "digraph tinygrad_lr { ... }", no dependency
    >>> dot.count(" -> ")                      # x -> Mul (twice: both operands), Mul -> Tanh, Tanh -> Sum
    4

then `viz.render(dot, "y.svg")`, or `viz.draw(y, path="y.svg")` for both at once (both need `dot`; without it they
raise GraphvizNotFoundError saying how to install it), or `viz.show(dot)` in a notebook (the picture when `dot` is
there, the DOT text otherwise).

What a picture shows. One node per tensor: an op node (rounded box) is the tensor an op produced, labelled with
the op's name, the shape and the dtype; a leaf (ellipse) is a parameter (bold, named when `module=` or
`params=` says whose it is), another tensor that requires grad ("leaf", or its name from `names=`), or a constant
(grey; a one-element constant shows its value). An edge goes from an input to the op that used it. The drawn
outputs have a double border. `show_values=True` adds the values of tensors with at most `max_elements`
entries, `show_grad=True` (the default) the `.grad` of leaves that have one.

Double backprop. A backward pass run with `create_graph=True` records its own ops; the engine tags each such node
with the pass that recorded it and the op whose backward made it (autograd._tag, nothing else changes), so the
picture of a gradient or of a Hessian-vector product puts each recording pass in a cluster of its own colour
("backward pass 1", "backward pass 2", ...; forward-mode `jvp(..., create_graph=True)` likewise), labels each of its
ops "from Tanh.backward", and dashes the edges that carry a value into a recording pass from before it (from the
forward pass, or from an earlier recording pass: what a backward pass reads of the graph it differentiates).

    >>> g, = tl.grad(y, x, create_graph=True)
    >>> "backward pass 1" in viz.draw(g)
    True

Modules. `draw(loss, module=model)` names the parameters (and buffers) by their `named_parameters()` names. Which
op ran in which submodule is known only when the forward pass ran inside `record_modules(model)` (or when
`draw` is handed a function to run: `draw(lambda: loss_fn(model(x), y), module=model)`); then each submodule's
ops are drawn in a box (cluster) of their own, and `collapse=True` draws one node per submodule instead
(`collapse=2`: per submodule two levels down), with the shapes of the tensors passed between them on the edges;
the backward ops of a submodule collapse into one node per recording pass.

A graph freed by a backward pass without `retain_graph=True` can no longer be walked: its op nodes are drawn
dashed, "(graph freed)". Draw before calling backward, or pass retain_graph=True.
"""
import contextlib
import shutil
import subprocess
from pathlib import Path

import numpy as np

from . import autograd
from .nn.module import Module, Parameter
from .tensor import Tensor

__all__ = ["draw", "render", "to_svg", "show", "record_modules", "have_dot", "GraphvizNotFoundError"]

FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gif", "ps", "eps")

# colours: forward ops blue; leaves green (parameters), yellow (other leaves), grey (constants); each recording
# pass its own colour, in order of recording
FILL = {"op": "#dbe9f6", "param": "#c6e8c0", "buffer": "#e3f1df", "leaf": "#fff1b0", "const": "#eeeeee"}
PASS_FILL = ("#fbd3ae", "#e4cdf3", "#f6c1c3", "#c9eeea", "#f3e3a0")
PASS_BG = ("#fff6ee", "#faf4fe", "#fff4f4", "#f1fbfa", "#fdf9ea")
MODULE_BG = "#f4f8fc"


class GraphvizNotFoundError(RuntimeError):
    """Rendering was asked for, but Graphviz's `dot` program is not on PATH."""


_INSTALL = ("rendering DOT needs Graphviz's `dot` program, which is not on PATH. Install Graphviz: "
            "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), `conda install graphviz` "
            "(conda), or see graphviz.org/download. viz.draw() still returns the DOT text without it: save it as a "
            ".dot file and render it elsewhere (`dot -Tsvg graph.dot -o graph.svg`).")


def have_dot():
    """Whether Graphviz's `dot` program is on PATH (what render, to_svg and draw(path=...) need)."""
    return shutil.which("dot") is not None


def _dot_exe():
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(_INSTALL)
    return exe


def _run_dot(dot_text, fmt, out=None, timeout=120):
    cmd = [_dot_exe(), f"-T{fmt}"] + ([] if out is None else ["-o", str(out)])
    res = subprocess.run(cmd, input=dot_text.encode(), capture_output=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"dot -T{fmt} failed (exit {res.returncode}): {res.stderr.decode(errors='replace')}")
    return res.stdout


def render(dot_text, path, format=None):
    """Write the DOT text `dot_text` as a picture at `path`, in `format` (default: the path's suffix: svg, png,
    pdf, ...; "dot" or "gv" writes the text itself). Needs Graphviz's `dot` (GraphvizNotFoundError otherwise, which
    says how to install it). Returns the path.

        >>> viz.render(viz.draw(loss), "loss.svg")            # doctest: +SKIP
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt in ("dot", "gv"):
        path.write_text(dot_text)
        return path
    if fmt not in FORMATS:
        raise ValueError(f"render: unknown format {fmt!r} (from {'format=' if format else 'the suffix of'} "
                         f"{format or str(path)!r}); use one of {', '.join(FORMATS + ('dot',))}")
    _run_dot(dot_text, fmt, path)
    return path


def to_svg(dot_text):
    """The picture of `dot_text` as SVG text (needs Graphviz's `dot`)."""
    return _run_dot(dot_text, "svg").decode()


def show(dot_text):
    """In a notebook: display the picture of `dot_text` (as SVG) when Graphviz's `dot` is installed, else print
    `dot_text` itself (so a notebook runs the same with or without Graphviz)."""
    if have_dot():
        from IPython.display import SVG, display
        display(SVG(to_svg(dot_text)))
    else:
        print("(Graphviz's `dot` is not installed, so here is the DOT text; paste it into any Graphviz viewer)")
        print(dot_text)


@contextlib.contextmanager
def record_modules(module):
    """Within this context, the ops that run inside each submodule of `module` are tagged with its name (as
    `named_modules()` gives it), which `draw` uses to box or collapse them by submodule:

        >>> with viz.record_modules(model):               # doctest: +SKIP
        ...     loss = F.cross_entropy(model(x), y)
        >>> viz.draw(loss, module=model, collapse=True)   # doctest: +SKIP

    It wraps each submodule's forward for the duration (the module itself and its outputs are unchanged)."""
    wrapped = []
    try:
        for name, m in module.named_modules():
            if not name:
                continue
            own = m.__dict__.get("forward")
            object.__setattr__(m, "forward", _scoped(m.forward, name))
            wrapped.append((m, own))
        yield module
    finally:
        for m, own in reversed(wrapped):
            if own is None:
                m.__dict__.pop("forward", None)
            else:
                object.__setattr__(m, "forward", own)


def _scoped(forward, name):
    def scoped_forward(*args, **kwargs):
        prev = autograd._tag[0]
        autograd._tag[0] = (None if prev is None else prev[0], name, None)
        try:
            return forward(*args, **kwargs)
        finally:
            autograd._tag[0] = prev
    return scoped_forward


# ---- the graph ---------------------------------------------------------------------------------------------------
class _Node:
    __slots__ = ("t", "id", "kind", "name", "op", "rec", "scope", "origin", "freed", "parents", "out")

    def __init__(self, t, nid):
        self.t, self.id, self.name, self.out = t, nid, None, None
        ctx = t._ctx
        self.kind = "op" if ctx is not None else "leaf"
        self.op = type(ctx).__name__ if ctx is not None else None
        tag = ctx.tag if ctx is not None else None
        self.rec, self.scope, self.origin = (None, None, None) if tag is None else tag
        self.freed = ctx is not None and ctx.parents is None
        self.parents = [] if ctx is None or ctx.parents is None else list(ctx.parents)


def _walk(roots):
    """Every tensor the roots were made from (all parents, constants too), parents before children."""
    order, seen, stack = [], set(), [(r, False) for r in reversed(roots)]
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
        if ctx is not None and ctx.parents is not None:
            for p in reversed(ctx.parents):
                if id(p) not in seen:
                    stack.append((p, False))
    return order


def _shape(t):
    return "scalar" if t.ndim == 0 else str(tuple(t.shape))


def _values(t, max_elements):
    if t.numel() > max_elements:
        return None
    a = t.numpy()
    if a.ndim == 0:
        return f"{a.item():.4g}"
    return " ".join(np.array2string(a, precision=4, separator=", ", suppress_small=True).split())


def _esc(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**kw):
    return ", ".join(f"{k}={_esc(v)}" for k, v in kw.items() if v is not None)


def _as_roots(outputs):
    if isinstance(outputs, Tensor):
        return [outputs], [None]
    if isinstance(outputs, dict):
        return list(outputs.values()), list(outputs)
    outs = list(outputs)
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"draw: expected Tensors, got {type(o).__name__}")
    return outs, [None] * len(outs)


def draw(outputs, path=None, *, module=None, params=None, names=None, show_values=False, show_grad=True,
         max_elements=8, constants=True, collapse=False, rankdir="TB", format=None):
    """The graph that produced `outputs` as Graphviz DOT text (a str); with `path`, also rendered there, in
    `format` (default: the path's suffix; needs Graphviz's `dot`: see render).

    outputs: a Tensor, a sequence of Tensors, a dict {name: Tensor} (the names label the outputs), or a function of
        no arguments returning one of these: it is run inside record_modules(module) (with `module` given), so the
        ops are known by submodule.
    module: a Module whose parameters and buffers get their names (and whose submodules box the ops that ran in
        them, when the forward pass was recorded: record_modules).
    params: {name: Tensor} naming parameters (e.g. dict(model.named_parameters())), when there is no module.
    names: {name: Tensor} naming any other tensors (inputs, targets, intermediate values).
    show_values: add the values of tensors with at most `max_elements` entries. show_grad: add the .grad of the
        leaves that have one (values if small, else its shape). constants=False leaves out the tensors that need
        no gradient and were not made by an op (inputs such as data and targets, scalars, the seeds and ones of
        a backward pass); a constant is drawn with the recording pass whose ops read it.
    collapse: False; True (or 1): one node per submodule of `module` (its forward ops and its parameters; its
        backward ops, one node per recording pass); an int n: per submodule n levels down. Needs the forward pass
        recorded with record_modules (or `outputs` given as a function).
    rankdir: "TB" (inputs at the top, the default), "LR", "BT" or "RL".

    Examples:

        >>> x = tl.Tensor([[1.0, 2.0]], requires_grad=True)
        >>> print(viz.draw((x @ x.T).sum(), names={"x": x}))        # doctest: +SKIP
        >>> viz.draw(loss, module=model, path="mlp.svg")            # doctest: +SKIP
        >>> viz.draw(lambda: F.cross_entropy(model(X), y), module=model, collapse=True)   # doctest: +SKIP
        >>> g, = tl.grad(loss, w, create_graph=True)                # doctest: +SKIP
        >>> viz.draw({"loss": loss, "grad": g}, params={"w": w})    # doctest: +SKIP
    """
    if callable(outputs) and not isinstance(outputs, (Tensor, dict, list, tuple)):
        with record_modules(module) if module is not None else contextlib.nullcontext():
            outputs = outputs()
    roots, root_names = _as_roots(outputs)
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be one of TB, LR, BT, RL; got {rankdir!r}")
    labels, kinds, mtypes = {}, {}, {}
    if module is not None:
        if not isinstance(module, Module):
            raise TypeError(f"module must be a tinygrad_lr.nn.Module, got {type(module).__name__}")
        for n, p in module.named_parameters():
            labels[id(p)], kinds[id(p)] = n, "param"
        for n, b in module.named_buffers():
            labels[id(b)], kinds[id(b)] = n, "buffer"
        mtypes = {n: type(m).__name__ for n, m in module.named_modules() if n}
    for n, p in (params or {}).items():
        labels[id(p)], kinds[id(p)] = n, "param"
    for n, t in (names or {}).items():
        labels[id(t)] = n

    order = _walk(roots)
    nodes = {}
    for k, t in enumerate(order):
        nd = _Node(t, f"n{k}")
        if nd.kind == "leaf":
            nd.kind = kinds.get(id(t)) or ("param" if isinstance(t, Parameter) else
                                           "leaf" if t.requires_grad else "const")
        nd.name = labels.get(id(t))
        nodes[id(t)] = nd
    for r, rn in zip(roots, root_names):
        nodes[id(r)].out = rn if rn is not None else True
    # a constant belongs to the pass of the ops that read it, when they are of one pass (a backward pass makes
    # constants of its own: seeds, ones, scalars); without constants=True none is drawn
    users = {}
    for nd in nodes.values():
        for p in nd.parents:
            users.setdefault(id(p), []).append(nd)
    for nd in list(nodes.values()):
        if nd.kind == "const" and not nd.out:
            if not constants:
                del nodes[id(nd.t)]
                continue
            recs_of = {u.rec for u in users.get(id(nd.t), [])}
            if len(recs_of) == 1:
                nd.rec = recs_of.pop()
    if not constants:
        for nd in nodes.values():
            nd.parents = [p for p in nd.parents if id(p) in nodes]

    # the recording passes in this picture, in the order they ran: "backward pass 1", ...
    recs = sorted({nd.rec for nd in nodes.values() if nd.rec is not None}, key=lambda r: r[1])
    rec_no = {r: i for i, r in enumerate(recs)}

    def rec_name(r):
        return f"{r[0]} pass {rec_no[r] + 1}"

    depth = int(collapse)
    scoped = any(nd.scope for nd in nodes.values())
    if collapse and not scoped:
        raise ValueError("collapse needs to know which op ran in which submodule: run the forward pass inside "
                         "`with viz.record_modules(model):`, or pass it to draw as a function: "
                         "draw(lambda: loss_fn(model(x), y), module=model, collapse=True)")

    def owner(nd):
        """The submodule a node belongs to: its op's scope, or (when ops have scopes) the submodule holding the
        parameter / buffer, from its name."""
        if nd.kind == "op":
            return nd.scope or None
        if scoped and nd.kind in ("param", "buffer") and nd.name and "." in nd.name:
            return nd.name.rsplit(".", 1)[0]
        return None

    def node_line(nd):
        t = nd.t
        desc = f"{_shape(t)} {t.dtype}"
        lines, tip = [], []
        if isinstance(nd.out, str):
            lines.append(nd.out)
        if nd.kind == "op":
            lines += [nd.op if nd.name is None else f"{nd.name} = {nd.op}", desc]
            if nd.rec is not None:
                lines.append("sums gradients" if nd.origin == "+" else
                             f"from {nd.origin}.{nd.rec[0]}" if nd.origin else rec_name(nd.rec))
                tip.append(f"recorded by {rec_name(nd.rec)}" + (
                    ", summing gradient contributions (broadcast dims, or a tensor used more than once)"
                    if nd.origin == "+" else f", in {nd.origin}.{nd.rec[0]}" if nd.origin else ""))
            if nd.scope:
                tip.append(f"in module {nd.scope}")
            if nd.freed:
                lines.append("(graph freed)")
        elif nd.kind == "const":
            v = _values(t, 1)
            lines += ([nd.name] if nd.name else []) + [f"const {v}" if v is not None else "const", desc]
        else:
            lines += [nd.name or {"param": "parameter", "buffer": "buffer", "leaf": "leaf"}[nd.kind], desc]
        if show_values and nd.kind != "const":
            v = _values(t, max_elements)
            if v is not None:
                lines.append(v)
        if show_grad and nd.kind != "op" and t.grad is not None:
            v = _values(t.grad, max_elements)
            lines.append(f"grad {v}" if v is not None else f"grad {_shape(t.grad)}")
        cls = [nd.kind] + ([] if nd.kind != "op" else ["forward"] if nd.rec is None
                           else [nd.rec[0], f"pass{rec_no[nd.rec] + 1}"]) + (["output"] if nd.out else [])
        if nd.kind == "op":
            fill = FILL["op"] if nd.rec is None else PASS_FILL[rec_no[nd.rec] % len(PASS_FILL)]
            style = "filled,rounded,dashed" if nd.freed else "filled,rounded"
            a = dict(shape="box", style=style, fillcolor=fill)
        else:
            a = dict(shape="ellipse", style="filled", fillcolor=FILL[nd.kind])
            if nd.kind == "param":
                a["penwidth"] = "2"
            if nd.kind == "const":
                a.update(fontsize="8", color="#999999")
        if nd.out:
            a["peripheries"] = "2"
        tooltip = "; ".join([f"{nd.op or nd.kind}: {desc}"] + tip)
        return f"{nd.id} [{_attrs(label=chr(10).join(lines), **a, tooltip=tooltip, **{'class': ' '.join(cls)})}];"

    # ---- collapse: one node per (submodule, recording pass) ----------------------------------------------------
    boxes, key_of = {}, {}
    if collapse:
        for nd in nodes.values():
            o = owner(nd)
            if o:
                name = ".".join(o.split(".")[:depth])
                key = (name, nd.rec)
                if key not in boxes:
                    boxes[key] = {"id": f"m{len(boxes)}", "ops": 0, "params": 0, "out": False}
                b = boxes[key]
                b["ops" if nd.kind == "op" else "params"] += 1
                b["out"] = b["out"] or bool(nd.out)
                key_of[id(nd.t)] = b["id"]
        for nd in nodes.values():  # a scalar, or a backward pass's constant, read only inside one box goes in it
            if nd.kind == "const" and not nd.out and (nd.rec is not None or nd.t.numel() == 1):
                inside = {key_of.get(id(u.t)) for u in users.get(id(nd.t), [])}
                if len(inside) == 1 and None not in inside:
                    key_of[id(nd.t)] = inside.pop()

    def box_line(key, b):
        name, rec = key
        title = f"{name}: {mtypes[name]}" if name in mtypes else name
        what = [f"{b['ops']} op" + ("s" if b["ops"] != 1 else "")]
        if b["params"]:
            what.append(f"{b['params']} parameter" + ("s" if b["params"] != 1 else ""))
        if rec is not None:
            what.insert(0, rec_name(rec))
        fill = FILL["op"] if rec is None else PASS_FILL[rec_no[rec] % len(PASS_FILL)]
        cls = ["module", "forward" if rec is None else rec[0]] + ([f"pass{rec_no[rec] + 1}"] if rec else []) + \
            (["output"] if b["out"] else [])
        a = _attrs(label=title + "\n" + ", ".join(what), shape="box3d", style="filled", fillcolor=fill,
                   peripheries="2" if b["out"] else None, tooltip=f"module {name}", **{"class": " ".join(cls)})
        return f"{b['id']} [{a}];"

    # ---- layout: clusters for recording passes and (not collapsed) submodules ---------------------------------
    body = []

    def emit_nodes(nds, indent):
        for nd in nds:
            body.append(indent + node_line(nd))

    top = [nd for nd in nodes.values() if nd.rec is None and id(nd.t) not in key_of]
    if not collapse:
        # forward ops and parameters grouped by submodule, clusters nested by name
        by_mod = {}
        rest = []
        for nd in top:
            o = owner(nd)
            (by_mod.setdefault(o, []) if o else rest).append(nd)
        emit_nodes(rest, "  ")
        tree = {}
        for o in by_mod:
            parts = o.split(".")
            for i in range(1, len(parts) + 1):
                tree.setdefault(".".join(parts[:i - 1]), set()).add(".".join(parts[:i]))

        def emit_cluster(name, indent):
            title = f"{name}: {mtypes[name]}" if name in mtypes else name
            body.append(f"{indent}subgraph {_esc('cluster_module_' + name)} {{")
            body.append(f"{indent}  graph [{_attrs(label=title, style='rounded,filled', fillcolor=MODULE_BG, color='#9fb7cf')}];")
            emit_nodes(by_mod.get(name, []), indent + "  ")
            for child in sorted(tree.get(name, ())):
                emit_cluster(child, indent + "  ")
            body.append(f"{indent}}}")

        for child in sorted(tree.get("", ())):
            emit_cluster(child, "  ")
    else:
        emit_nodes(top, "  ")
        for key, b in boxes.items():
            if key[1] is None:
                body.append("  " + box_line(key, b))
    for r in recs:
        i = rec_no[r]
        body.append(f"  subgraph cluster_pass{i + 1} {{")
        kind = "backward pass" if r[0] == "backward" else "forward-mode (jvp) pass"
        body.append(f"    graph [{_attrs(label=f'{kind} {i + 1}: recorded with create_graph=True', style='rounded,filled', fillcolor=PASS_BG[i % len(PASS_BG)], color='#c8a27c')}];")
        emit_nodes([nd for nd in nodes.values() if nd.rec == r and id(nd.t) not in key_of], "    ")
        for key, b in boxes.items():
            if key[1] == r:
                body.append("    " + box_line(key, b))
        body.append("  }")

    def stage(nd):
        return 0 if nd.rec is None else rec_no[nd.rec] + 1

    # ---- edges: input -> the op that used it (twice for x * x); between boxes, once per tensor shape ------------
    edges, seen = [], set()
    for nd in nodes.values():
        for p in nd.parents:
            pn = nodes[id(p)]
            src, dst = key_of.get(id(p), pn.id), key_of.get(id(nd.t), nd.id)
            boxed = id(p) in key_of or id(nd.t) in key_of
            if boxed and (src == dst or (src, dst, p.shape) in seen):
                continue
            seen.add((src, dst, p.shape))
            a = dict(label=_shape(p), fontsize="8") if boxed else {}
            if stage(pn) < stage(nd) and pn.kind != "const":  # a value a recording pass reads from before it
                a.update(style="dashed", color="#b07a4a")
            edges.append(f"  {src} -> {dst}" + (f" [{_attrs(**a)}]" if a else "") + ";")
    head = [f"digraph tinygrad_lr {{",
            f"  graph [{_attrs(rankdir=rankdir, fontname='Helvetica', fontsize='10', nodesep='0.25', ranksep='0.35')}];",
            f"  node [{_attrs(fontname='Helvetica', fontsize='10', margin='0.08,0.04')}];",
            f"  edge [{_attrs(arrowsize='0.6', color='#555555', fontname='Helvetica')}];"]
    dot = "\n".join(head + body + edges + ["}"]) + "\n"
    if path is not None:
        render(dot, path, format)
    return dot

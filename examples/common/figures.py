"""Figures for the examples: matplotlib without a display, PNGs with a 256-colour palette, and what makes a figure
one a reader can read the claim from (one colour per method in all of an experiment's figures, curves that are
drawn over each other said so in the legend, round-off floors and zoomed or log axes labelled)."""
import numpy as np

ROUNDOFF_GREY = "0.88"  # the colour of every float64 round-off band


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed); matplotlib is imported only when a figure is."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_png(fig, path, dpi):
    """Save and close `fig` as a PNG with a 256-colour palette (a third of the size of matplotlib's RGBA, the same
    to the eye). Returns the path."""
    import io

    plt = pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    try:
        from PIL import Image
        Image.open(buf).convert("RGB").quantize(colors=256).save(path, optimize=True)
    except ImportError:  # matplotlib depends on Pillow, but just in case
        with open(path, "wb") as f:
            f.write(buf.getvalue())
    return path


def method_style(colours, name, **kw):
    """The keyword arguments of ax.plot for a curve of method `name`: its colour from the experiment's one map
    `colours` (a KeyError for a method the map lacks, so no curve falls back to matplotlib's cycle) and gid = name,
    by which tests collect each method's lines in every figure (tests/test_figures.py)."""
    return dict(kw, color=colours[name], gid=name)


def same_curve(y, drawn, rtol=1e-12):
    """The label of the first curve in `drawn` ({label: y}) equal to `y` (same length, equal to `rtol`, NaN where
    the other is NaN), else None: a curve that another hides is then said so in the legend."""
    y = np.asarray(y, dtype=np.float64)
    for label, other in drawn.items():
        other = np.asarray(other, dtype=np.float64)
        if other.shape == y.shape and np.allclose(y, other, rtol=rtol, atol=0.0, equal_nan=True):
            return label
    return None


def shared_prefix(y, other, rtol=1e-12):
    """How many leading values `y` and `other` share (to `rtol`): a run that coincides with another until it
    departs (a schedule's first epochs) is said so in the legend."""
    y, other = np.asarray(y, dtype=np.float64), np.asarray(other, dtype=np.float64)
    n = min(len(y), len(other))
    same = np.isclose(y[:n], other[:n], rtol=rtol, atol=0.0)
    return n if same.all() else int(np.argmin(same))


def roundoff_band(ax, top, bottom=1e-300, what="float64 round-off", **kw):
    """Grey band from `bottom` to `top` on a log-y axis, labelled "<what> (< top)": values in it are rounding, not a
    property of the method."""
    return ax.axhspan(bottom, top, color=ROUNDOFF_GREY, zorder=0, label=f"{what} (< {top:.0e})", **kw)

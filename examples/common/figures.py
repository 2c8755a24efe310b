"""Figures for the examples: matplotlib without a display, and PNGs with a 256-colour palette."""


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

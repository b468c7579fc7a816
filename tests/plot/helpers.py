"""Helpers shared by the test modules of tests/plot/."""

from __future__ import annotations

import matplotlib.image as mpimg

import layerwise as lw


def fitted_history(lr=0.1, epochs=6, seed=0, val=True):
    X, y = lw.datasets.load("moons", n_samples=40, seed=seed)
    model = lw.mlp(2, [4], 1, activation="tanh", output_activation="sigmoid", seed=seed)
    kwargs = {"validation_data": (X[:10], y[:10])} if val else {}
    return model.fit(X, y, loss="bce", lr=lr, epochs=epochs, verbose=False, **kwargs)


def png(path, shape):
    image = mpimg.imread(path)
    assert image.shape[:2] == shape
    assert float(image[..., :3].std()) > 0.01  # not blank
    return image


def agg_renderer(fig):
    """Draw ``fig`` on an Agg canvas (what lays out its text) and return the renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()

"""An explanation laid out for a report: each input with its attributions over it and what
was predicted (beside the truth), as one self-contained HTML fragment.

Images are drawn as heat maps over their pixels and series as points coloured by their
attribution, in one PNG (matplotlib's Agg backend: no display, no Qt) embedded as a
``data:`` URI; texts as coloured tokens. The colours are the Predict tab's (``_overlay``).
"""

from __future__ import annotations

import base64
import io
from html import escape

import numpy as np

from engine.explain._attribution import Explanation
from engine.explain._methods import METHOD_NAMES
from engine.explain._overlay import (
    COLOUR_KEY,
    overlay_image,
    point_colours,
    token_html,
    token_labels,
)

COLUMNS = 4  # pictures per row of the gallery
RIGHT, WRONG = "✓", "✗"


def gallery(explanation: Explanation, spec) -> str:
    """The HTML fragment of ``explanation`` (of a model built for ``spec``)."""
    captions = [_caption(explanation, spec, index) for index in range(len(explanation.inputs))]
    key = (
        f'<p class="meta">{escape(METHOD_NAMES.get(explanation.method, explanation.method))} '
        f"on {len(captions)} input{'s' * (len(captions) != 1)}: {COLOUR_KEY}.</p>"
    )
    inputs = explanation.inputs
    if spec.kind in ("text", "tokens") or inputs.dtype.kind in "iu":
        rows = "".join(
            f"<p>{token_html(token_labels(x, spec), np.asarray(a).ravel())}<br>"
            f'<span class="meta">{escape(caption)}</span></p>'
            for x, a, caption in zip(inputs, explanation.attributions, captions, strict=True)
        )
        return key + rows
    png = _pictures(explanation, spec, captions)
    encoded = base64.b64encode(png).decode("ascii")
    alt = f"{explanation.method} attributions"
    return key + f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{encoded}"></figure>'


def _caption(explanation: Explanation, spec, index: int) -> str:
    """'predicted 3 · true 3 ✓' for a class or token; the forecast's first value otherwise."""
    predicted = np.asarray(explanation.predictions[index])
    truth = None if explanation.labels is None else np.asarray(explanation.labels[index])
    if predicted.dtype.kind in "iu":
        name = _class_name(spec, int(predicted.ravel()[-1]))
        if truth is None:
            return f"predicted {name}"
        true_name = _class_name(spec, int(truth.ravel()[-1]))
        return f"predicted {name} · true {true_name} {RIGHT if name == true_name else WRONG}"
    first = f"{float(predicted.ravel()[0]):.4g}"
    if truth is None:
        return f"forecast {first}"
    return f"forecast {first} · true {float(truth.ravel()[0]):.4g}"


def _class_name(spec, code: int) -> str:
    if spec.class_names and 0 <= code < len(spec.class_names):
        return spec.class_names[code]
    alphabet = spec.extra.get("alphabet")
    if alphabet and 0 <= code < len(alphabet):
        return repr(alphabet[code])
    return str(code)


def _pictures(explanation: Explanation, spec, captions: list[str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    count = len(captions)
    columns = min(COLUMNS, count)
    rows = -(-count // columns)
    images = spec.kind == "image" and explanation.inputs.ndim == 4
    width, height = (2.2, 2.4) if images else (3.4, 2.2)
    figure = Figure(figsize=(width * columns, height * rows), dpi=100)
    for index, caption in enumerate(captions):
        axes = figure.add_subplot(rows, columns, index + 1)
        x, attributions = explanation.inputs[index], explanation.attributions[index]
        if images:
            axes.imshow(overlay_image(x, attributions), interpolation="nearest")
            axes.set_xticks([])
            axes.set_yticks([])
        else:
            _series(axes, x, attributions, spec)
        axes.set_title(caption, fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _series(axes, x: np.ndarray, attributions: np.ndarray, spec) -> None:
    """Each channel of a series as a grey line with its steps coloured by attribution."""
    x, attributions = np.asarray(x, dtype=float), np.asarray(attributions, dtype=float)
    if x.ndim == 2 and spec.kind == "timeseries":  # (steps, channels): one line per channel
        x, attributions = x.T, attributions.T
    rows = x.reshape(1, -1) if x.ndim < 2 else x.reshape(len(x), -1)
    colours = np.array(point_colours(attributions), dtype=float) / 255
    width = rows.shape[1]
    for channel, row in enumerate(rows):
        steps = np.arange(width)
        axes.plot(steps, row, color="#999999", linewidth=0.8, zorder=1)
        axes.scatter(steps, row, s=12, c=colours[channel * width : (channel + 1) * width],
                     edgecolors="#444444", linewidths=0.3, zorder=2)  # fmt: skip
    axes.tick_params(labelsize=7)

"""Attributions drawn over the input they explain: pure functions of numpy arrays that the
app's Predict tab and the HTML report both draw with.

One colour code everywhere: red where the input supports the prediction, blue where it
speaks against it, the strength as opacity (or saturation), scaled to the largest magnitude
of the input shown. An image keeps its pixels visible under the heat map; a series' points
and a text's tokens are coloured.
"""

from __future__ import annotations

from html import escape

import numpy as np

SUPPORTS = np.array([0.90, 0.10, 0.05])  # red
OPPOSES = np.array([0.10, 0.35, 0.95])  # blue
COLOUR_KEY = "red supports the prediction, blue speaks against it"
STRONGEST = 0.8  # the opacity of the strongest attribution over an image


def strengths(attributions: np.ndarray) -> np.ndarray:
    """Attributions scaled to [-1, 1] by their largest magnitude (all zero stays zero)."""
    values = np.nan_to_num(np.asarray(attributions, dtype=float))
    largest = np.abs(values).max() if values.size else 0.0
    return values / largest if largest > 0 else np.zeros_like(values)


def overlay_image(x: np.ndarray, attributions: np.ndarray) -> np.ndarray:
    """An H x W x 3 image in [0, 1]: the input (C, H, W; grey when C is 1) under its
    attributions (summed over channels) as a red/blue heat map."""
    x = np.asarray(x, dtype=float)
    base = np.repeat(x[:1], 3, axis=0) if x.shape[0] == 1 else x[:3]
    base = base.transpose(1, 2, 0).clip(0, 1)
    scale = strengths(np.asarray(attributions).sum(axis=0))[..., None]
    colour = np.where(scale >= 0, SUPPORTS, OPPOSES)
    opacity = STRONGEST * np.abs(scale)
    return base * (1 - opacity) + colour * opacity


def point_colours(attributions: np.ndarray) -> list[tuple[int, int, int, int]]:
    """An RGBA colour a point (0-255): white for nothing, red or blue by its attribution."""
    colours = []
    for value in strengths(attributions).ravel():
        tint = SUPPORTS if value >= 0 else OPPOSES
        rgb = (1 - abs(value)) * np.ones(3) + abs(value) * tint
        colours.append((*(int(round(c * 255)) for c in rgb), 255))
    return colours


def token_html(tokens: list[str], attributions: np.ndarray) -> str:
    """The tokens as HTML, each on a background of its attribution's colour."""
    spans = []
    for token, (red, green, blue, _) in zip(tokens, point_colours(attributions), strict=True):
        spans.append(
            f'<span style="background-color: rgb({red},{green},{blue}); color: black">'
            f"{escape(token)}</span>"
        )
    return "<span style='font-family: monospace'>" + "&#8203;".join(spans) + "</span>"


def visible_text(text: str) -> str:
    """Text with its line breaks and tabs shown as visible marks, on one line."""
    return text.replace("\n", "⏎").replace("\t", "⇥")


def token_labels(x: np.ndarray, spec) -> list[str]:
    """Each token of ``x`` as text: its character (``visible_text``) where the model has an
    alphabet, else its code."""
    alphabet = spec.extra.get("alphabet")
    codes = np.asarray(x).ravel()
    if not alphabet:
        return [f"{int(code)} " for code in codes]
    return [visible_text(alphabet[int(code)]) for code in codes]

"""What the snapshot view draws for the plugins' snapshot shapes (pure functions)."""

from __future__ import annotations

import numpy as np

from app.dashboards._snapshot import panels, texts, tile_images


def test_gan_points_and_modes():
    data = {"type": "points", "points": [[0.0, 1.0], [1.0, 0.0]], "modes": [[1.0, 0.0]]}
    [(title, kind, (points, modes))] = panels(data)
    assert kind == "points" and points.shape == (2, 2) and modes.shape == (1, 2)


def test_gan_images_become_one_grid():
    images = np.zeros((4, 1 * 3 * 2))
    [(_, kind, grid)] = panels({"type": "images", "shape": [1, 3, 2], "images": images.tolist()})
    assert kind == "image" and grid.shape == (2 * 4, 2 * 3)


def test_attention_heads_are_a_heat_map_grid_and_tokens_are_text():
    attention = np.random.default_rng(0).random((3, 5, 5))
    data = {"type": "attention", "attention": attention.tolist(), "tokens": list("abcde")}
    [(title, kind, grid)] = panels(data)
    assert title == "attention" and kind == "matrix" and grid.shape == (2 * 6, 2 * 6)
    assert texts(data) == ["tokens: a b c d e"]


def test_generic_shapes():
    data = {
        "curve": [1.0, 2.0, 3.0],
        "matrix": [[1, 2, 3], [4, 5, 6]],
        "xy": [[0, 1], [1, 2], [2, 0]],
        "nested": {"v": [1.0]},
    }
    kinds = {title: kind for title, kind, _ in panels(data)}
    assert kinds == {"curve": "curve", "matrix": "matrix", "xy": "points", "nested/v": "curve"}


def test_tile_images_places_each_image():
    images = np.arange(2 * 2 * 2, dtype=float).reshape(2, 2, 2)
    grid = tile_images(images)
    assert grid.shape == (3, 6)
    assert np.array_equal(grid[:2, :2], images[0]) and np.array_equal(grid[:2, 3:5], images[1])


def test_tokens_that_are_digits_are_text_not_a_curve():
    data = {"type": "attention", "attention": np.eye(3).tolist(), "tokens": ["0", "2", "1"]}
    assert [kind for _, kind, _ in panels(data)] == ["matrix"]
    assert texts(data) == ["tokens: 0 2 1"]

"""The Predict tab draws the input beside the prediction (an image, a series as a small plot,
a prompt as text) and a test sample's truth beside the prediction. Results are given as the
background task hands them over; the real model's are in test_models.py."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.browser._predict import TRUE_COLOR, PredictPanel
from engine.data import DataSpec


def shown(qtbot, result) -> PredictPanel:
    panel = PredictPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    panel._shown(result)
    return panel


def test_an_image_and_its_true_class_beside_the_predicted_one(qtbot):
    spec = DataSpec("image", "classification", (1, 8, 8), 3, ("cat", "dog", "owl"))
    image = np.zeros((1, 1, 8, 8), np.float32)
    image[0, 0, 2:6, 3] = 1.0
    columns = {"label": np.array(["dog"], dtype=object), "p_cat": np.array([0.2]),
               "p_dog": np.array([0.7]), "p_owl": np.array([0.1])}  # fmt: skip
    truth = {"label": np.array(["owl"], dtype=object)}
    panel = shown(qtbot, (image, ["test #4"], columns, spec, truth))

    assert panel.input_view.currentWidget() is panel.input_image
    assert panel.input_image.original.width() >= 8 * 40  # enlarged to be seen, pixels sharp
    assert panel.input_title.text() == "Input: 8 × 8 image"
    assert panel.text.text() == "test #4: dog (70.0%)  ·  true label owl ✗"
    (bars,) = [item for item in panel.plot.items if isinstance(item, pg.BarGraphItem)]
    assert bars.opts["brushes"] == ["#0072B2", "#0072B2", TRUE_COLOR]  # the true class: green


def test_a_forecasters_window_channel_by_channel_and_the_true_values(qtbot):
    extra = {"channels": ["sales", "price"], "target": "sales", "window": 5, "horizon": 2}
    spec = DataSpec("timeseries", "forecasting", (5, 2), extra=extra)
    window = np.stack([np.arange(5.0), np.full(5, 9.0)], axis=1)[None]
    columns = {"sales_t+1": np.array([5.2]), "sales_t+2": np.array([6.1])}
    truth = {"sales_t+1": np.array([5.0]), "sales_t+2": np.array([6.0])}
    panel = shown(qtbot, (window, ["test #0"], columns, spec, truth))

    assert panel.input_view.currentWidget() is panel.input_plot_widget
    inputs = panel.input_plot.listDataItems()
    assert [item.name() for item in inputs] == ["sales", "price"]
    assert list(inputs[1].yData) == [9.0] * 5
    names = [item.name() for item in panel.plot.listDataItems()]
    assert names == ["input", "forecast", "true"]
    assert panel.text.text() == "test #0: forecast 5.2, 6.1  ·  true 5, 6"


def test_a_prompt_as_text_and_the_true_next_character(qtbot):
    alphabet = " abt"
    spec = DataSpec("text", "language_modeling", (4,), vocab_size=4, extra={"alphabet": alphabet})
    codes = np.array([[1, 3, 1, 0]])  # "ata "
    columns = {"next": np.array(["b"], dtype=object),
               **{f"p_{i}": np.array([p]) for i, p in enumerate((0.1, 0.2, 0.6, 0.1))},
               "continuation": np.array(["bat"], dtype=object)}  # fmt: skip
    truth = {"next": np.array(["b"], dtype=object)}
    panel = shown(qtbot, (codes, ["test #2"], columns, spec, truth))

    assert panel.input_view.currentWidget() is panel.input_text
    assert panel.input_text.text() == "ata "
    assert "true next character 'b' ✓" in panel.text.text()

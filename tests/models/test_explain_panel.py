"""The Predict tab's "Explain" choice: the attribution drawn over the input, computed in the
background by the run's real model (the session's tiny runs, tests/models/conftest.py), and
the colour code of the overlays as pure functions."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.browser._predict import PredictPanel
from engine.explain import OPPOSES, SUPPORTS, overlay_image, token_html


def test_an_image_keeps_its_pixels_under_red_and_blue(qtbot):
    image = np.full((1, 2, 2), 0.5)
    attributions = np.array([[[2.0, -1.0], [0.0, 0.5]]])
    drawn = overlay_image(image, attributions)
    assert drawn.shape == (2, 2, 3)
    np.testing.assert_allclose(drawn[0, 0], 0.5 * 0.2 + SUPPORTS * 0.8)  # the strongest
    np.testing.assert_allclose(drawn[0, 1], 0.5 * 0.6 + OPPOSES * 0.4)  # against, half as strong
    np.testing.assert_allclose(drawn[1, 0], [0.5, 0.5, 0.5])  # nothing: the pixel itself
    assert "rgb(255,255,255)" in token_html(["a", "b"], np.array([0.0, 1.0]))


def explained_panel(qtbot, trained_runs, tracking, model_workspace, run, method) -> PredictPanel:
    from engine.workspace import Workspace

    panel = PredictPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    panel.set_run(trained_runs[run], tracking, Workspace.resolve(str(model_workspace)).datasets_dir)
    panel.explain_combo.setCurrentIndex(panel.explain_combo.findData(method))
    panel.predict(None)
    text = panel.explain_text
    qtbot.waitUntil(lambda: text.isVisible() and not text.text().startswith("Explaining"),
                    timeout=30000)  # fmt: skip
    return panel


def test_the_digit_shown_is_overlaid_with_its_attribution(
    qtbot, trained_runs, tracking, model_workspace
):
    panel = explained_panel(qtbot, trained_runs, tracking, model_workspace, "cnn", "occlusion")
    assert panel.explain_text.text().startswith("Occlusion: red supports the prediction")
    pixels = panel.input_image.original.toImage()
    colours = {pixels.pixelColor(x, y).getRgb()[:3] for x in range(0, pixels.width(), 8)
               for y in range(0, pixels.height(), 8)}  # fmt: skip
    assert any(red != green or green != blue for red, green, blue in colours)  # not grey
    panel.explain_combo.setCurrentIndex(0)  # none: the input alone again
    assert panel.explain_text.isHidden()


def test_a_forecasts_window_is_coloured_step_by_step(
    qtbot, trained_runs, tracking, model_workspace
):
    panel = explained_panel(qtbot, trained_runs, tracking, model_workspace, "rnn", "saliency")
    assert panel.explain_text.text().startswith("Saliency:")
    points = [i for i in panel.input_plot.items if isinstance(i, pg.ScatterPlotItem)]
    window = panel.shown[0]
    assert sum(len(p.data) for p in points) == window.size


def test_a_method_that_does_not_apply_says_which_do(qtbot, trained_runs, tracking, model_workspace):
    panel = explained_panel(qtbot, trained_runs, tracking, model_workspace, "sort", "gradcam")
    assert panel.explain_text.text().startswith("Cannot explain: method 'gradcam' does not apply")
    assert "use integrated_gradients" in panel.explain_text.text()


def test_the_runs_browser_exports_a_report_with_explanations(
    qtbot, trained_runs, tracking, model_workspace, tmp_path
):
    from app.browser import RunsBrowser
    from engine.workspace import Workspace

    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(tracking)
    browser.show()
    qtbot.waitUntil(lambda: not browser.loading and bool(browser.model.rows), timeout=60000)
    assert browser.select_run(trained_runs["cnn"])
    export = browser.export_runs
    export.update_actions()
    browser.datasets_dir = None  # the workspace not known: the test parts cannot be read
    export.update_actions()
    assert export.html_action.isEnabled() and not export.explained_action.isEnabled()
    browser.datasets_dir = Workspace.resolve(str(model_workspace)).datasets_dir
    export.update_actions()
    assert export.explained_action.isEnabled()
    out = tmp_path / "explained.html"
    with qtbot.waitSignal(export.finished, timeout=60000) as outcome:
        export.export("html", str(out), explain="integrated_gradients")
    assert outcome.args[0].startswith(f"Wrote HTML report of 1 run to {out}")
    page = out.read_text(encoding="utf-8")
    assert "Explanations: Integrated gradients on the first 8 test samples" in page

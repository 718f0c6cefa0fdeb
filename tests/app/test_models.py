"""The Runs browser's Register model… and Export model… on a finished run, through the real
dialogs (answered as a user would) and a real MLflow store."""

from __future__ import annotations

from conftest import LONG_MS, answer_next, record_next_message
from mlflow.tracking import MlflowClient


def finished_run(workspace) -> str:
    from engine.runner import RunConfig, run

    hparams = {"channels": 4, "depth": 2, "steps": 10}
    config = RunConfig(plugin="cnn", dataset="digits", device="cpu", threads=1,
                       hparams=hparams, workspace=str(workspace))  # fmt: skip
    return run(config).run_id


def selected(window, qtbot, run_id: str):
    browser = window.browser
    window.show_tab(3)
    browser.refresh()
    qtbot.waitUntil(lambda: not browser.loading, timeout=LONG_MS)
    assert browser.select_run(run_id)
    assert browser.register_button.isEnabled() and browser.export_button.isEnabled()
    return browser


def test_register_and_export_the_selected_run(window, qtbot, app_workspace, tmp_path):
    run_id = finished_run(app_workspace)
    browser = selected(window, qtbot, run_id)

    messages = record_next_message()
    answer_next("digits-from-the-app")
    browser.register_selected()
    qtbot.waitUntil(lambda: bool(messages), timeout=LONG_MS)
    assert messages == ["Registered digits-from-the-app version 1"]
    client = MlflowClient(browser.tracking_uri)
    (version,) = client.search_model_versions("name = 'digits-from-the-app'")
    assert version.run_id == run_id

    exports = tmp_path / "exports"
    exports.mkdir()
    out = exports / "digits.onnx"
    messages = record_next_message()
    answer_next(str(out))
    browser.export_selected()
    qtbot.waitUntil(lambda: bool(messages), timeout=LONG_MS)
    assert messages[0].startswith(f"Exported as onnx to {out}")
    assert out.is_file()

    messages = record_next_message()
    answer_next(str(exports / "digits.txt"))  # a name no format has: said, nothing written
    window.export_action.trigger()  # File → Export model… acts on the selected run
    qtbot.waitUntil(lambda: bool(messages), timeout=LONG_MS)
    assert "end the name in .onnx, .pt, .safetensors" in messages[0]
    assert sorted(p.name for p in exports.iterdir()) == ["digits.onnx"]


def test_the_predict_tab_shows_class_bars_for_a_test_sample_and_for_a_file(
    window, qtbot, app_workspace, tmp_path
):
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    run_id = finished_run(app_workspace)
    browser = selected(window, qtbot, run_id)
    panel = browser.predict
    browser.tabs.setCurrentWidget(panel)
    assert panel.sample_button.isEnabled()
    panel.sample_button.click()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=LONG_MS)
    assert panel.result["names"][0].startswith("test #")
    assert "label" in panel.result["columns"] and panel.text.text().startswith("test #")
    (bars,) = [i for i in panel.plot.items if type(i).__name__ == "BarGraphItem"]
    assert len(bars.opts["height"]) == 10
    # The digit itself beside its prediction, and its true label beside the predicted one.
    assert panel.input_view.currentWidget() is panel.input_image
    assert panel.input_image.original is not None and panel.input_title.text().endswith("image")
    true = panel.result["truth"]["label"][0]
    assert f"true label {true} " in panel.text.text()

    image = tmp_path / "seven.png"
    pixels = (load_digits().images[7] * 16).clip(0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(image)
    panel.result = None
    answer_next(str(image))
    panel.file_button.click()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=LONG_MS)
    assert panel.result["names"] == ["seven.png"]
    assert panel.text.text().startswith("seven.png: ")
    assert "true label" not in panel.text.text()  # a file of yours has none

    panel.result = None  # a file that is not there: said in the panel
    panel.predict(str(tmp_path / "missing.png"))
    qtbot.waitUntil(lambda: panel.text.text().startswith("Cannot predict"), timeout=LONG_MS)
    assert "does not exist" in panel.text.text()

"""The Predict tab of the Runs browser: the selected run's model on a file of yours or on a
sample of its own test part, drawn as the plugin's outputs call for: class bars, a forecast
after its input window, the next character, sorted tokens, generated points or images.

The input is shown beside the prediction, as the model reads it: an image, a series as a small
plot (every channel of a forecaster's window), a prompt or tokens as text. A test sample's
truth, in the model's own output columns (``engine.models.test_samples``), is shown beside
the prediction: the true class's bar in another colour, the true values after a forecast,
the true next character or sorted tokens, each marked right or wrong.

The "Explain" choice overlays what the prediction rests on (``engine.explain``: saliency,
integrated gradients, occlusion, Grad-CAM) on the input shown: a heat map over an image,
coloured points along a series, coloured tokens; computed off the GUI thread, the latest
choice winning (``_explain_overlay`` draws it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app._tasks import LatestTask, run_in_background
from app.dashboards import ZoomImage, color, fast_plot, tile_images
from engine.explain import (
    COLOUR_KEY,
    METHOD_NAMES,
    METHODS,
    overlay_image,
    point_colours,
    token_html,
    token_labels,
    visible_text,
)

SHOWN_SAMPLES = 16  # a generator draws this many
CONTINUATION = 120  # characters the character model writes after a prompt
TRUE_COLOR = "#009E73"  # the truth, beside the prediction's colour(0)
RIGHT, WRONG = "✓", "✗"


def _predict(tracking_uri: str, run_id: str, datasets_dir, path: str | None, seed: int):
    """(inputs, names, output columns, data spec, true columns) for a file or test samples;
    a file has no truth (empty columns)."""
    from engine.models import load_run_model, read_inputs, test_samples
    from engine.tracking import open_client

    trained, _run = load_run_model(open_client(tracking_uri), run_id)
    truth: dict[str, np.ndarray] = {}
    if path:
        inputs, names = read_inputs(trained, path)
    else:
        count = SHOWN_SAMPLES if trained.plugin.generative else 1
        samples = test_samples(trained, datasets_dir, count, seed)
        inputs, names, truth = samples.inputs, samples.names, samples.truth
    spec = trained.plugin.spec
    columns = trained.predict(inputs)
    if spec.kind == "text":  # the character model: what it writes after the prompt too
        columns.update(trained.continuations(inputs, CONTINUATION, seed))
    return inputs, names, columns, spec, truth


def _explain(tracking_uri: str, run_id: str, x: np.ndarray, method: str) -> np.ndarray:
    """The attributions of the run's prediction on the one input ``x`` (its shape)."""
    from engine.explain import explain
    from engine.models import load_run_model
    from engine.tracking import open_client

    trained, _run = load_run_model(open_client(tracking_uri), run_id)
    return explain(trained, x[None], method).attributions[0]


def _mark(predicted: Any, true: Any) -> str:
    return RIGHT if predicted == true else WRONG


class PredictPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tracking_uri = ""
        self.run_id: str | None = None
        self.datasets_dir = None
        self.result: dict[str, Any] | None = None
        self.generative = False
        self._seed = 0
        self.file_button = QPushButton("Predict on a file…")
        self.file_button.setObjectName("predictFileButton")
        self.file_button.clicked.connect(self.choose_file)
        self.sample_button = QPushButton("Predict on a test sample")
        self.sample_button.setObjectName("predictSampleButton")
        self.sample_button.clicked.connect(lambda: self.predict(None))
        self.explain_combo = QComboBox()
        self.explain_combo.setObjectName("predictExplainCombo")
        self.explain_combo.setToolTip("Overlay on the input what the prediction rests on")
        self.explain_combo.addItem("Explain: none", None)
        for method in METHODS:
            self.explain_combo.addItem(f"Explain: {METHOD_NAMES.get(method, method)}", method)
        self.explain_combo.currentIndexChanged.connect(self._explain_shown)
        self._explaining = LatestTask(self, queue="mlflow")
        self.shown: tuple[np.ndarray, Any] | None = None  # the input drawn, and its data spec
        self._shown_run: str | None = None  # whose prediction it is
        self.text = QLabel("Select one finished run, then predict on a file or a test sample.")
        self.text.setObjectName("predictText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot_widget = pg.PlotWidget()
        self.plot = fast_plot(self.plot_widget.getPlotItem(), "")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.output_image = ZoomImage(title="")  # a generator's images
        self.output_image.setObjectName("predictOutputImage")
        self.output_view = QStackedWidget()
        self.output_view.addWidget(self.plot_widget)
        self.output_view.addWidget(self.output_image)
        self.input_view = self._input_views()
        buttons = QHBoxLayout()
        buttons.addWidget(self.file_button)
        buttons.addWidget(self.sample_button)
        buttons.addWidget(self.explain_combo)
        buttons.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.input_title = QLabel("Input")
        left_layout.addWidget(self.input_title)
        self.explain_text = QLabel()
        self.explain_text.setObjectName("predictExplainText")
        self.explain_text.setWordWrap(True)
        self.explain_text.hide()
        left_layout.addWidget(self.explain_text)
        left_layout.addWidget(self.input_view, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.output_view)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 640])
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.text)
        layout.addWidget(self.splitter, 1)
        self.set_run(None, "", None)

    def _input_views(self) -> QStackedWidget:
        """An image, a small plot or text: the input as the model reads it."""
        self.input_image = ZoomImage(title="")
        self.input_image.setObjectName("predictInputImage")
        self.input_plot_widget = pg.PlotWidget()
        self.input_plot = fast_plot(self.input_plot_widget.getPlotItem(), "")
        self.input_text = QLabel("The input appears here.")
        self.input_text.setObjectName("predictInputText")
        self.input_text.setWordWrap(True)
        self.input_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.input_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        stack = QStackedWidget()
        for view in (self.input_text, self.input_image, self.input_plot_widget):
            stack.addWidget(view)
        return stack

    def set_run(
        self, run_id: str | None, tracking_uri: str, datasets_dir, generative: bool = False
    ) -> None:
        """The run to predict with (None: none selected); a generator draws samples instead
        of reading a test sample."""
        self.run_id, self.tracking_uri, self.datasets_dir = run_id, tracking_uri, datasets_dir
        self.generative = generative
        self.sample_button.setText("Draw samples" if generative else "Predict on a test sample")
        self.file_button.setEnabled(run_id is not None)
        self.sample_button.setEnabled(run_id is not None)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Predict on a file")
        if path:
            self.predict(path)

    def predict(self, path: str | None) -> None:
        if self.run_id is None:
            return
        self._seed += 1  # another test sample each time
        self._explaining.cancel()
        self.shown = None
        self.explain_text.hide()
        args = (self.tracking_uri, self.run_id, self.datasets_dir, path, self._seed)
        self.text.setText("Predicting…")
        self.file_button.setEnabled(False)
        self.sample_button.setEnabled(False)
        run_in_background(lambda: _predict(*args), self._shown, self._failed, queue="mlflow",
                          owner=self, busy="Predicting with the run's model…")  # fmt: skip

    def _failed(self, message: str, _details: str) -> None:
        self.set_run(self.run_id, self.tracking_uri, self.datasets_dir, self.generative)
        self.text.setText(f"Cannot predict: {message.removeprefix('UsageError: ')}")

    def _shown(self, result) -> None:
        inputs, names, columns, spec, truth = result
        self.set_run(self.run_id, self.tracking_uri, self.datasets_dir, self.generative)
        self.result = {"inputs": inputs, "names": names, "columns": columns, "truth": truth}
        self.plot.clear()
        self.legend.clear()
        self.plot.setTitle("")
        self.output_view.setCurrentWidget(self.plot_widget)
        first = names[0]
        self._show_input(inputs[0], spec, generated=len(names) if self.generative else 0)
        self.shown = None if self.generative else (np.asarray(inputs[0]), spec)
        self._shown_run = self.run_id
        self._explain_shown()
        if "label" in columns:
            self._classes(first, columns, truth)
        elif any(key.endswith("_t+1") for key in columns):
            self._forecast(first, inputs[0], columns, spec, truth)
        elif "next" in columns:
            self._next_character(first, columns, spec, truth)
        elif "token_1" in columns:
            self._tokens(first, inputs[0], columns, truth)
        else:
            self._samples(len(names), columns, spec)

    # -- the input ---------------------------------------------------------------------------
    def _show_input(self, x: np.ndarray, spec, generated: int = 0) -> None:
        x = np.asarray(x)
        if generated:
            self._input_words(
                "Input", f"Seeded noise: the generator draws {generated} samples from it."
            )
        elif spec.kind == "image" and x.ndim == 3:
            channels, height, width = x.shape
            self.input_title.setText(f"Input: {width} × {height} image")
            if channels == 1:
                self.input_image.set_array(x[0], "CET-L1", (0.0, 1.0))
            else:
                self.input_image.set_array(x[:3].transpose(1, 2, 0))
            self.input_view.setCurrentWidget(self.input_image)
        elif spec.kind == "text":
            alphabet = spec.extra["alphabet"]
            prompt = "".join(alphabet[int(code)] for code in x)
            self._input_words(f"Input: {len(prompt)} characters", visible_text(prompt))
        elif spec.kind == "tokens" or x.dtype.kind in "iu":
            self._input_words(f"Input: {x.size} tokens", " ".join(str(int(t)) for t in x.ravel()))
        else:
            self._input_series(x, spec)

    def _input_words(self, title: str, text: str) -> None:
        self.input_title.setText(title)
        self.input_text.setTextFormat(Qt.TextFormat.PlainText)
        self.input_text.setText(text)
        self.input_view.setCurrentWidget(self.input_text)

    def _input_series(self, x: np.ndarray, spec) -> None:
        """A series as a small plot: a forecaster's window (time x channels) channel by
        channel, anything else (channels x positions, or one row) row by row."""
        plot = self.input_plot
        plot.clear()
        if plot.legend is None:
            plot.addLegend(offset=(-10, 10))
        plot.legend.clear()
        names: list[str] = []
        if x.ndim == 2 and spec.kind == "timeseries":
            names = list(spec.extra.get("channels", []))
            x = x.T
        rows = x.reshape(1, -1) if x.ndim < 2 else x.reshape(len(x), -1)
        for index, row in enumerate(rows):
            name = names[index] if index < len(names) else None
            plot.plot(np.arange(len(row)), row, pen=pg.mkPen(color(index), width=1.5), name=name)
        self.input_title.setText(
            f"Input: {rows.shape[1]} steps" + (f" × {len(rows)} channels" if len(rows) > 1 else "")
        )
        self.input_view.setCurrentWidget(self.input_plot_widget)

    # -- the explanation, over the input ---------------------------------------------------
    def _explain_shown(self) -> None:
        """Explain the input shown by the method chosen (none: the input alone again)."""
        method = self.explain_combo.currentData()
        self._explaining.cancel()
        if self.shown is None or self.run_id != self._shown_run:
            return  # nothing shown, or another run's input: the next prediction explains
        x, spec = self.shown
        self._show_input(x, spec)
        if method is None:
            self.explain_text.hide()
            return
        self._say_explained(f"Explaining by {METHOD_NAMES.get(method, method)}…")
        args = (self.tracking_uri, self.run_id, x, method)
        self._explaining.start(lambda: _explain(*args), self._explained, self._explain_failed,
                               busy="Explaining the prediction…")  # fmt: skip

    def _say_explained(self, text: str) -> None:
        self.explain_text.setText(text)
        self.explain_text.show()

    def _explain_failed(self, message: str, _details: str) -> None:
        self._say_explained(f"Cannot explain: {message.removeprefix('UsageError: ')}")

    def _explained(self, attributions: np.ndarray) -> None:
        """Draw ``attributions`` over the input shown: heat map, coloured points or tokens."""
        if self.shown is None:
            return
        x, spec = self.shown
        method = METHOD_NAMES.get(self.explain_combo.currentData(), "Attribution")
        self._say_explained(f"{method}: {COLOUR_KEY}.")
        if spec.kind == "image" and x.ndim == 3:
            self.input_image.set_array(overlay_image(x, attributions))
        elif spec.kind == "text" or spec.kind == "tokens" or x.dtype.kind in "iu":
            tokens = token_labels(x, spec)
            self.input_text.setTextFormat(Qt.TextFormat.RichText)
            self.input_text.setText(token_html(tokens, np.asarray(attributions).ravel()))
        else:
            self._colour_series(x, np.asarray(attributions), spec)

    def _colour_series(self, x: np.ndarray, attributions: np.ndarray, spec) -> None:
        """Each step of the series drawn as a point of its attribution's colour."""
        if x.ndim == 2 and spec.kind == "timeseries":
            x, attributions = x.T, attributions.T
        rows = x.reshape(1, -1) if x.ndim < 2 else x.reshape(len(x), -1)
        colours = point_colours(attributions)
        width = rows.shape[1]
        for index, row in enumerate(rows):
            brushes = [pg.mkBrush(*c) for c in colours[index * width : (index + 1) * width]]
            points = pg.ScatterPlotItem(np.arange(width), row, size=9, brush=brushes)
            points.setPen(pg.mkPen("#444"))
            self.input_plot.addItem(points)

    # -- the prediction, beside the truth where there is one ---------------------------------
    def _classes(self, first: str, columns, truth) -> None:
        names = [key[2:] for key in columns if key.startswith("p_")]
        values = [float(columns[f"p_{name}"][0]) for name in names]
        label = columns["label"][0]
        summary = f"{first}: {label} ({max(values):.1%})"
        brushes = [color(0)] * len(names)
        if "label" in truth:
            true = truth["label"][0]
            summary += f"  ·  true label {true} {_mark(label, true)}"
            if str(true) in names:
                brushes[names.index(str(true))] = TRUE_COLOR
        self.text.setText(summary)
        self.plot.addItem(pg.BarGraphItem(x=np.arange(len(names)), height=values, width=0.6,
                                          brushes=brushes))  # fmt: skip
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        title = "class probabilities"
        self.plot.setTitle(f"{title} (the true class in green)" if "label" in truth else title)

    def _forecast(self, first: str, window: np.ndarray, columns, spec, truth) -> None:
        history = np.asarray(window)[:, 0]
        steps = np.arange(len(history))
        forecast = [float(values[0]) for values in columns.values()]
        ahead = np.arange(len(history), len(history) + len(forecast))
        self.plot.plot(steps, history, pen=pg.mkPen(color(0), width=2), name="input")
        self.plot.plot(ahead, forecast, pen=pg.mkPen(color(1), width=2), symbol="o",
                       symbolBrush=color(1), name="forecast")  # fmt: skip
        summary = f"{first}: forecast " + ", ".join(f"{v:.4g}" for v in forecast)
        true = [float(truth[key][0]) for key in columns if key in truth]
        if len(true) == len(forecast):
            pen = pg.mkPen(TRUE_COLOR, width=2, style=Qt.PenStyle.DashLine)
            self.plot.plot(ahead, true, pen=pen, symbol="x", symbolBrush=TRUE_COLOR,
                           symbolPen=TRUE_COLOR, name="true")  # fmt: skip
            summary += "  ·  true " + ", ".join(f"{v:.4g}" for v in true)
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setTitle(f"{spec.extra.get('target', 'target')}: input window and forecast")
        self.text.setText(summary)

    def _next_character(self, first: str, columns, spec, truth) -> None:
        alphabet = spec.extra["alphabet"]
        # A ``p_`` column per character, in the alphabet's order (whatever their names).
        probabilities = np.asarray([values[0] for key, values in columns.items()
                                    if key.startswith("p_")])  # fmt: skip
        top = np.argsort(probabilities)[::-1][:5]
        ranked = ", ".join(f"{alphabet[i]!r} {probabilities[i]:.1%}" for i in top)
        predicted = columns["next"][0]
        summary = f"{first!r} → next character {predicted!r} (top 5: {ranked})"
        if "next" in truth:
            true = truth["next"][0]
            summary += f"  ·  true next character {true!r} {_mark(predicted, true)}"
        self.text.setText(f"{summary}\ncontinued: {columns['continuation'][0]!r}")
        bars = pg.BarGraphItem(x=np.arange(len(top)), height=probabilities[top], width=0.6,
                               brush=color(0))  # fmt: skip
        self.plot.addItem(bars)
        self.plot.getAxis("bottom").setTicks([[(i, repr(alphabet[c])) for i, c in enumerate(top)]])

    def _tokens(self, first: str, x: np.ndarray, columns, truth) -> None:
        count = sum(1 for key in columns if key.startswith("token_"))
        tokens = [int(columns[f"token_{i + 1}"][0]) for i in range(count)]
        given = " ".join(str(int(t)) for t in np.asarray(x).ravel())
        summary = f"{first}: {given}  →  {' '.join(map(str, tokens))}"
        if "token_1" in truth:
            true = [int(truth[f"token_{i + 1}"][0]) for i in range(count)]
            summary += f"  ·  true {' '.join(map(str, true))} {_mark(tokens, true)}"
        self.text.setText(summary)

    def _samples(self, count: int, columns, spec) -> None:
        values = np.stack([np.asarray(column, dtype=float) for column in columns.values()], axis=1)
        self.plot.getAxis("bottom").setTicks(None)
        if spec.kind == "points":
            self.plot.addItem(pg.ScatterPlotItem(values[:, 0], values[:, 1], size=7,
                                                 brush=color(0), pen=None))  # fmt: skip
            self.plot.setTitle(f"{count} generated points")
        else:
            images = values.reshape(count, *spec.input_shape).transpose(0, 2, 3, 1)
            grid = tile_images(images if images.shape[-1] == 3 else images[..., 0])
            self.output_image.title.setText(f"{count} generated images")
            self.output_image.title.show()
            if grid.ndim == 2:
                self.output_image.set_array(grid, "CET-L1", (0.0, 1.0))
            else:
                self.output_image.set_array(grid)
            self.output_view.setCurrentWidget(self.output_image)
        self.text.setText(f"{count} samples from seeded noise")

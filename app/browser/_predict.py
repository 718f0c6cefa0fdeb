"""The Predict tab of the Runs browser: the selected run's model on a file of yours or on a
sample of its own test part, drawn as the plugin's outputs call for: class bars, a forecast
after its input window, the next character, sorted tokens, generated points or images."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app._tasks import run_in_background
from app.dashboards import color, fast_plot

SHOWN_SAMPLES = 16  # a generator draws this many
CONTINUATION = 120  # characters the character model writes after a prompt


def _predict(tracking_uri: str, run_id: str, datasets_dir, path: str | None, seed: int):
    """(inputs, names, output columns, plugin kind) for a file or for test samples."""
    from engine.models import load_run_model, read_inputs, test_inputs
    from engine.tracking import open_client

    trained, _run = load_run_model(open_client(tracking_uri), run_id)
    if path:
        inputs, names = read_inputs(trained, path)
    else:
        count = SHOWN_SAMPLES if trained.plugin.generative else 1
        inputs, names = test_inputs(trained, datasets_dir, count, seed)
    spec = trained.plugin.spec
    columns = trained.predict(inputs)
    if spec.kind == "text":  # the character model: what it writes after the prompt too
        columns.update(trained.continuations(inputs, CONTINUATION, seed))
    return inputs, names, columns, spec


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
        self.text = QLabel("Select one finished run, then predict on a file or a test sample.")
        self.text.setObjectName("predictText")
        self.text.setWordWrap(True)
        self.plot_widget = pg.PlotWidget()
        self.plot = fast_plot(self.plot_widget.getPlotItem(), "")
        buttons = QHBoxLayout()
        buttons.addWidget(self.file_button)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.text)
        layout.addWidget(self.plot_widget, 1)
        self.set_run(None, "", None)

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
        args = (self.tracking_uri, self.run_id, self.datasets_dir, path, self._seed)
        self.text.setText("Predicting…")
        self.file_button.setEnabled(False)
        self.sample_button.setEnabled(False)
        run_in_background(lambda: _predict(*args), self._shown, self._failed, queue="mlflow",
                          owner=self)  # fmt: skip

    def _failed(self, message: str, _details: str) -> None:
        self.set_run(self.run_id, self.tracking_uri, self.datasets_dir, self.generative)
        self.text.setText(f"Cannot predict: {message.removeprefix('UsageError: ')}")

    def _shown(self, result) -> None:
        inputs, names, columns, spec = result
        self.set_run(self.run_id, self.tracking_uri, self.datasets_dir, self.generative)
        self.result = {"inputs": inputs, "names": names, "columns": columns}
        self.plot.clear()
        self.plot.setTitle("")
        first = names[0]
        if "label" in columns:
            self._classes(first, columns)
        elif any(key.endswith("_t+1") for key in columns):
            self._forecast(first, inputs[0], columns, spec)
        elif "next" in columns:
            self._next_character(first, columns, spec)
        elif "token_1" in columns:
            tokens = [int(columns[f"token_{i + 1}"][0]) for i in range(len(columns))]
            given = " ".join(str(int(t)) for t in inputs[0])
            self.text.setText(f"{first}: {given}  →  {' '.join(map(str, tokens))}")
        else:
            self._samples(len(names), columns, spec)

    def _classes(self, first: str, columns) -> None:
        names = [key[2:] for key in columns if key.startswith("p_")]
        values = [float(columns[f"p_{name}"][0]) for name in names]
        self.text.setText(f"{first}: {columns['label'][0]} ({max(values):.1%})")
        self.plot.addItem(pg.BarGraphItem(x=np.arange(len(names)), height=values, width=0.6,
                                          brush=color(0)))  # fmt: skip
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        self.plot.setTitle("class probabilities")

    def _forecast(self, first: str, window: np.ndarray, columns, spec) -> None:
        history = np.asarray(window)[:, 0]
        steps = np.arange(len(history))
        forecast = [float(values[0]) for values in columns.values()]
        ahead = np.arange(len(history), len(history) + len(forecast))
        self.plot.plot(steps, history, pen=pg.mkPen(color(0), width=2), name="input")
        self.plot.plot(ahead, forecast, pen=pg.mkPen(color(1), width=2), symbol="o",
                       symbolBrush=color(1))  # fmt: skip
        self.plot.getAxis("bottom").setTicks(None)
        self.plot.setTitle(f"{spec.extra.get('target', 'target')}: input window and forecast")
        self.text.setText(f"{first}: forecast " + ", ".join(f"{v:.4g}" for v in forecast))

    def _next_character(self, first: str, columns, spec) -> None:
        alphabet = spec.extra["alphabet"]
        probabilities = np.asarray([columns[f"p_{code}"][0] for code in range(len(alphabet))])
        top = np.argsort(probabilities)[::-1][:5]
        ranked = ", ".join(f"{alphabet[i]!r} {probabilities[i]:.1%}" for i in top)
        self.text.setText(
            f"{first!r} → next character {columns['next'][0]!r} (top 5: {ranked})\n"
            f"continued: {columns['continuation'][0]!r}"
        )
        self.plot.addItem(pg.BarGraphItem(x=np.arange(5), height=probabilities[top], width=0.6,
                                          brush=color(0)))  # fmt: skip
        self.plot.getAxis("bottom").setTicks([[(i, repr(alphabet[c])) for i, c in enumerate(top)]])

    def _samples(self, count: int, columns, spec) -> None:
        values = np.stack([np.asarray(column, dtype=float) for column in columns.values()], axis=1)
        self.plot.getAxis("bottom").setTicks(None)
        if spec.kind == "points":
            self.plot.addItem(pg.ScatterPlotItem(values[:, 0], values[:, 1], size=7,
                                                 brush=color(0), pen=None))  # fmt: skip
            self.plot.setTitle(f"{count} generated points")
        else:
            channels, height, width = spec.input_shape
            images = values.reshape(count, channels, height, width)[:, 0]
            side = int(np.ceil(np.sqrt(count)))
            grid = np.ones((side * (height + 1), side * (width + 1)))
            for index, image in enumerate(images):
                row, col = divmod(index, side)
                grid[row * (height + 1) : row * (height + 1) + height,
                     col * (width + 1) : col * (width + 1) + width] = image  # fmt: skip
            self.plot.addItem(pg.ImageItem(grid.T[:, ::-1]))
            self.plot.setTitle(f"{count} generated images")
        self.text.setText(f"{count} samples from seeded noise")

"""A self-contained HTML report of runs: one file that opens anywhere, offline, as it was.

Everything is inside the file: the style sheet inline, the metric curves drawn as PNG and the
runs' image artifacts (confusion matrices, GAN sample grids, attention maps) as base64
``data:`` URIs. No script, no link, nothing fetched: a report mailed or archived today reads
the same in ten years.
"""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from engine.metrics import PER_CLASS_SCORES, is_per_class_metric
from engine.reports._explanations import RunExplanation
from engine.reports._figures import curve_png
from engine.reports._files import write_atomically
from engine.reports._runs import load_runs
from engine.tracking import RunRecord

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MAX_IMAGE_BYTES = 4 * 2**20  # a bigger artifact is named in the report, not embedded
MAX_IMAGES_PER_RUN = 8
Histories = dict[str, dict[str, tuple[list[int], list[float]]]]

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
.meta { color: #666; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.differs td { background: #fff4d6; } tr.differs th { background: #ffe8a8; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; } figcaption { color: #555; font-size: 12px; }
img { max-width: 100%; border: 1px solid #eee; }
.note { white-space: pre-wrap; background: #f8f8f8; border-left: 3px solid #0072B2;
        padding: 0.5em 0.8em; }
section.run { margin-top: 1.5em; }
.status-failed, .status-killed { color: #b00020; } .status-finished { color: #00734d; }
.status-stopped, .status-pruned { color: #8a5a00; }
"""


def html_report(
    client,
    run_ids: Iterable[str],
    path: str | os.PathLike[str],
    title: str | None = None,
    explanations: dict[str, RunExplanation] | None = None,
) -> Path:
    """Write the runs' report to ``path`` (one HTML file, everything embedded), with each
    run's ``explanations`` gallery where given."""
    runs = load_runs(client, run_ids)
    histories = _histories(client, runs)
    images = {run.run_id: _images(client, run.run_id) for run in runs}
    text = report_html(runs, histories, images, title or _default_title(runs), explanations)
    return write_atomically(Path(path), text)


def report_html(
    runs: list[RunRecord],
    histories: Histories,
    images: dict[str, list[tuple[str, str, bytes | None]]],
    title: str,
    explanations: dict[str, RunExplanation] | None = None,
) -> str:
    labels = _labels(runs)
    explanations = explanations or {}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{len(runs)} run{"s" if len(runs) != 1 else ""} · written '
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by Netyard</p>",
        _runs_table(runs, labels),
        _curves(runs, histories, labels),
        _params_table(runs, labels),
        "<h2>Runs in detail</h2>",
        *(
            _run_section(
                run, labels[run.run_id], images.get(run.run_id, []), explanations.get(run.run_id)
            )
            for run in runs
        ),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


# -- reading MLflow --------------------------------------------------------------------------
def _histories(client, runs: list[RunRecord]) -> Histories:
    histories: Histories = {}
    for run in runs:
        per_key = histories.setdefault(run.run_id, {})
        for key in sorted(run.metrics):
            points = sorted(client.get_metric_history(run.run_id, key), key=lambda m: m.step)
            per_key[key] = ([m.step for m in points], [m.value for m in points])
    return histories


def _images(client, run_id: str) -> list[tuple[str, str, bytes | None]]:
    """The run's top-level image artifacts as (name, MIME type, bytes); bytes None when the
    image is too big to embed."""
    found = []
    files = [f for f in client.list_artifacts(run_id) if not f.is_dir]
    pictures = [f for f in files if Path(f.path).suffix.lower() in IMAGE_TYPES]
    with tempfile.TemporaryDirectory(prefix="netyard-report-") as folder:
        for info in sorted(pictures, key=lambda f: f.path)[:MAX_IMAGES_PER_RUN]:
            mime = IMAGE_TYPES[Path(info.path).suffix.lower()]
            if info.file_size is not None and info.file_size > MAX_IMAGE_BYTES:
                found.append((info.path, mime, None))
                continue
            local = client.download_artifacts(run_id, info.path, folder)
            found.append((info.path, mime, Path(local).read_bytes()))
    return found


# -- the parts of the page -------------------------------------------------------------------
def _default_title(runs: list[RunRecord]) -> str:
    if len(runs) == 1:
        return f"Run {runs[0].name}"
    return f"{len(runs)} runs"


def _labels(runs: list[RunRecord]) -> dict[str, str]:
    """A run's name, with its id's start where two runs share a name."""
    names = [run.name for run in runs]
    return {
        run.run_id: run.name if names.count(run.name) == 1 else f"{run.name} ({run.run_id[:8]})"
        for run in runs
    }


def _when(run: RunRecord) -> str:
    return run.started.replace("T", " ").replace("Z", " UTC")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{seconds:.1f} s"


def _runs_table(runs: list[RunRecord], labels: dict[str, str]) -> str:
    # One class's score is a cell of the run's per-class table, not a column for every run.
    metrics = sorted({key for run in runs for key in run.metrics if not is_per_class_metric(key)})
    sweep = any(run.trial_number is not None for run in runs)
    head = ["run", *(["trial"] if sweep else []), "state", "started", "duration"]
    rows = []
    for run in runs:
        cells = [f'<a href="#run-{escape(run.run_id)}">{escape(labels[run.run_id])}</a>']
        if sweep:
            number = run.trial_number
            cells.append("" if number is None else str(number))
        cells += [
            f'<span class="status-{run.state}">{run.state.label}</span>',
            escape(_when(run)),
            escape(_duration(run.duration_s)),
        ]
        numbers = [_number(run.metrics.get(key)) for key in metrics]
        rows.append(
            "<tr>"
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + "".join(f'<td class="number">{value}</td>' for value in numbers)
            + "</tr>"
        )
    header = "".join(f"<th>{escape(name)}</th>" for name in [*head, *metrics])
    return (
        '<h2>Runs</h2><p class="meta">Metrics: the last value logged.</p>'
        f'<div class="scroll"><table class="runs"><tr>{header}</tr>{"".join(rows)}</table></div>'
    )


def _curves(runs: list[RunRecord], histories: Histories, labels: dict[str, str]) -> str:
    """One figure per metric with a history (two points or more in some run)."""
    keys = sorted(
        {key for per_key in histories.values() for key, (steps, _) in per_key.items()
         if len(steps) >= 2}
    )  # fmt: skip
    if not keys:
        return ""
    figures = []
    for key in keys:
        curves = {
            labels[run.run_id]: histories[run.run_id][key]
            for run in runs
            if key in histories.get(run.run_id, {})
        }
        figures.append(_figure(f"curve: {key}", "image/png", curve_png(key, curves), key))
    return f'<h2>Curves</h2><div class="figures">{"".join(figures)}</div>'


def _figure(alt: str, mime: str, data: bytes, caption: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<figure><img alt="{escape(alt)}" src="data:{mime};base64,{encoded}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _params_table(runs: list[RunRecord], labels: dict[str, str]) -> str:
    names = sorted({name for run in runs for name in run.params})
    if not names:
        return ""
    differing, same = [], []
    for name in names:
        values = [run.params.get(name, "") for run in runs]
        (differing if len(set(values)) > 1 else same).append((name, values))
    header = "<tr><th>param</th>" + "".join(
        f"<th>{escape(labels[run.run_id])}</th>" for run in runs
    )

    def rows(entries: list[tuple[str, list[str]]], css: str) -> str:
        return "".join(
            f'<tr class="{css}"><th>{escape(name)}</th>'
            + "".join(f"<td>{escape(value)}</td>" for value in values)
            + "</tr>"
            for name, values in entries
        )

    def table(body: str) -> str:
        return f'<div class="scroll"><table class="params">{header}</tr>{body}</table></div>'

    if len(runs) == 1:
        return "<h2>Parameters</h2>" + table(rows(same, "same"))
    parts = [
        "<h2>Parameters</h2>",
        f'<p class="meta">{len(differing)} of {len(names)} params differ between the runs'
        f"{' (highlighted)' if differing else ''}.</p>",
    ]
    if differing:
        parts.append(table(rows(differing, "differs")))
    if same:
        parts.append(
            f"<details><summary>{len(same)} params the same in every run</summary>"
            + table(rows(same, "same"))
            + "</details>"
        )
    return "".join(parts)


def _per_class_table(metrics: dict[str, float]) -> str:
    """A classifier's test scores, one row per class (``test_precision/<class>`` ...)."""
    table: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        if is_per_class_metric(key):
            head, _, name = key.partition("/")
            score = next(s for s in PER_CLASS_SCORES if head.endswith(s))
            table.setdefault(name, {})[score] = value
    if not table:
        return ""
    header = "".join(f"<th>{escape(score)}</th>" for score in PER_CLASS_SCORES)
    rows = "".join(
        f"<tr><th>{escape(name)}</th>"
        + "".join(f'<td class="number">{_number(scores.get(s))}</td>' for s in PER_CLASS_SCORES)
        + "</tr>"
        for name, scores in sorted(table.items(), key=lambda item: _class_order(item[0]))
    )
    head = f"<tr><th>class</th>{header}</tr>"
    return f'<h4>Per class (test)</h4><table class="per-class">{head}{rows}</table>'


def _class_order(name: str) -> tuple[int, int | str]:
    """Classes named by numbers in numeric order (2 before 10), others by name after them."""
    return (0, int(name)) if name.isdigit() else (1, name)


def _run_section(
    run: RunRecord,
    label: str,
    images: list[tuple[str, str, bytes | None]],
    explanation: RunExplanation | None = None,
) -> str:
    facts = [
        ("run id", run.run_id),
        ("experiment", run.experiment),
        ("state", run.state.label),
        ("started", _when(run)),
        ("duration", _duration(run.duration_s)),
    ]
    if run.trial_number is not None:
        facts.insert(2, ("trial", str(run.trial_number)))
    parts = [
        f'<section class="run" id="run-{escape(run.run_id)}"><h3>{escape(label)}</h3>',
        "<table>"
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
        + "</table>",
    ]
    if run.note.strip():
        parts.append(f'<h4>Note</h4><div class="note">{escape(run.note)}</div>')
    overall = {k: v for k, v in run.metrics.items() if not is_per_class_metric(k)}
    if overall:
        parts.append(
            "<h4>Final metrics</h4><table>"
            + "".join(
                f'<tr><th>{escape(key)}</th><td class="number">{_number(value)}</td></tr>'
                for key, value in sorted(overall.items())
            )
            + "</table>"
        )
    parts.append(_per_class_table(run.metrics))
    if images:
        figures = [
            _figure(f"artifact: {name}", mime, data, name)
            if data is not None
            else f"<p>{escape(name)}: over {MAX_IMAGE_BYTES // 2**20} MB, not embedded</p>"
            for name, mime, data in images
        ]
        parts.append(f'<h4>Images</h4><div class="figures">{"".join(figures)}</div>')
    if explanation is not None:
        parts.append(_explanation_part(explanation))
    parts.append("</section>")
    return "".join(parts)


def _explanation_part(explanation: RunExplanation) -> str:
    from engine.explain import METHOD_NAMES

    method = METHOD_NAMES.get(explanation.method, explanation.method)
    if explanation.html is None:
        return f"<h4>Explanations</h4><p>Not explained by {escape(method)}: " \
            f"{escape(explanation.reason or '')}</p>"  # fmt: skip
    what = f"the first {explanation.samples} test sample{'s' * (explanation.samples != 1)}"
    return f"<h4>Explanations: {escape(method)} on {what}</h4>{explanation.html}"

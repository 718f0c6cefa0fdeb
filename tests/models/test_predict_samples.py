"""A test sample for the app's Predict tab comes with its truth in the model's own output
columns: the class label, the forecast values in the series' units, the sorted tokens, the
next character; a generator's noise has none."""

from __future__ import annotations

import numpy as np
import pytest

from engine.models import load_run_model
from engine.models import test_samples as samples_of
from engine.tracking import open_client
from engine.workspace import Workspace


@pytest.fixture
def trained(trained_runs, tracking):
    client = open_client(tracking)
    return lambda key: load_run_model(client, trained_runs[key])[0]


def test_the_truth_of_a_sample_is_in_the_models_output_columns(trained, model_workspace):
    datasets = Workspace(model_workspace).datasets_dir
    for key in ("cnn", "rnn", "sort", "text"):
        model = trained(key)
        samples = samples_of(model, datasets, count=2, seed=3)
        test = model.run_dataset(datasets).test
        picked = [int(name.removeprefix("test #")) for name in samples.names]
        predicted = model.predict(samples.inputs)
        assert set(samples.truth) <= set(predicted), key  # columns of the same names
        spec = model.plugin.spec
        if key == "cnn":
            names = spec.class_names or [str(i) for i in range(spec.num_classes)]
            assert list(samples.truth["label"]) == [names[int(test.y[i])] for i in picked]
        elif key == "rnn":  # the forecast's truth in the series' units, not standardised
            target = [f"{spec.extra['target']}_t+{h + 1}" for h in range(spec.extra["horizon"])]
            true = np.stack([samples.truth[name] for name in target], axis=1)
            scaled = test.y[picked].numpy() * spec.extra["target_std"] + spec.extra["target_mean"]
            assert np.allclose(true, scaled, atol=1e-4)
        elif key == "sort":
            tokens = np.stack([samples.truth[f"token_{i + 1}"] for i in range(6)], axis=1)
            assert (tokens == np.sort(samples.inputs, axis=1)).all()
        else:
            alphabet = spec.extra["alphabet"]
            assert list(samples.truth["next"]) == [alphabet[int(test.y[i][-1])] for i in picked]

    generator = samples_of(trained("gan"), datasets, count=3)
    assert generator.names == ["noise 0", "noise 1", "noise 2"] and generator.truth == {}

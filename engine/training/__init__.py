"""The training engine: device choice, the step loop, evaluation, checkpoints, resume.

It reports progress as ``engine.events`` and knows nothing of Qt, Optuna or MLflow.
"""

from engine.training._checkpoint import load_checkpoint, save_checkpoint, training_done
from engine.training._device import default_threads, resolve_device
from engine.training._divergence import LossSpike
from engine.training._errors import NonFiniteLoss
from engine.training._loop import EVALUATIONS_PER_RUN, Trainer, TrainResult
from engine.training._optimization import StepOptimization
from engine.training._threads import ThreadGovernor

__all__ = [
    "StepOptimization",
    "EVALUATIONS_PER_RUN",
    "LossSpike",
    "NonFiniteLoss",
    "ThreadGovernor",
    "TrainResult",
    "Trainer",
    "default_threads",
    "load_checkpoint",
    "resolve_device",
    "save_checkpoint",
    "training_done",
]

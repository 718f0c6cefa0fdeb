"""Training options every plugin shares, declared once with the same schema types.

They are merged into each plugin's schema (a plugin may change their defaults through
``training_defaults``), so ``--set``, validation, MLflow params, the GUI form and the
Optuna search space treat them exactly like the plugin's own hyperparameters.
"""

from engine.schema import Bool, Choice, Float, Int, Schema

TRAINING_SCHEMA = Schema(
    Int("steps", 2000, low=1, high=10_000_000, help="Optimizer steps to train for."),
    Int("batch_size", 64, low=1, high=65536, log=True, help="Samples per training step."),
    Int(
        "eval_every",
        0,
        low=0,
        high=10_000_000,
        help="Evaluate on the validation split every N steps (0 = about 20 times per run).",
    ),
    Choice(
        "lr_schedule",
        "none",
        choices=("none", "cosine", "linear", "step"),
        help="Learning-rate schedule over the run (step = x0.1 at 50% and 75%).",
    ),
    Int("warmup_steps", 0, low=0, high=1_000_000, help="Linear learning-rate warm-up steps."),
    Float("grad_clip", 0.0, low=0.0, high=1e6, help="Clip the gradient norm to this (0 = off)."),
    Int(
        "patience",
        0,
        low=0,
        high=100_000,
        help="Early stopping: stop after this many evaluations without improvement (0 = off).",
    ),
    Bool(
        "restore_best",
        False,
        help="End with the weights of the best validation evaluation (test metrics and the "
        "saved model use them), not the last.",
    ),
    Bool("amp", True, help="Mixed precision on CUDA (bf16 where supported, else fp16)."),
    Int(
        "checkpoint_every",
        0,
        low=0,
        high=10_000_000,
        help="Write a resumable checkpoint every N steps (0 = only at the end or on stop).",
    ),
    Float(
        "val_fraction",
        0.1,
        low=0.02,
        high=0.5,
        help="Share of the training data held out for validation.",
    ),
    Bool(
        "deterministic",
        False,
        help="Deterministic algorithms (torch.use_deterministic_algorithms): the same seed "
        "repeats a run exactly, on a GPU too; slower there, and an op with no deterministic "
        "version fails the run.",
    ),
)

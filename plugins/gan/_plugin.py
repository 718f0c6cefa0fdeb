"""The GAN plugin's declaration. No torch import here: listing plugins stays cheap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from engine.errors import UsageError
from engine.plugin import Plugin
from engine.schema import Bool, Choice, Float, Int, Schema
from plugins.gan._loss_names import LOSSES

if TYPE_CHECKING:
    import torch

    from engine.data import Batch, Dataset, Split
    from engine.plugin import OptimizationContext

SNAPSHOT_SEED = 12345  # the same latent points at every snapshot, so the live view is steady
EVAL_SEED = 777
# Evaluation noise is seeded by the step reached and the evaluations already made at it, so
# each evaluation (validation, then test at the end) draws fresh noise, and a resumed run
# draws exactly what an uninterrupted one does.
EVALS_PER_STEP_SPACING = 16


class GANPlugin(Plugin):
    """An MLP generator against an MLP discriminator, optionally packed (PacGAN).

    Evaluation draws 2500 samples and reports ``modes`` (captured), ``high_quality`` (share
    within 3 std of the nearest mode) and ``reverse_kl`` of the mode histogram, as VEEGAN and
    PacGAN define them; on images a classifier fitted on the real images names the "mode".
    """

    id = "gan"
    name = "Generative adversarial network"
    description = (
        "MLP generator and discriminator (non-saturating, hinge or WGAN-GP loss, PacGAN "
        "packing) for 2-D point mixtures and small images."
    )
    data_kinds = ("points", "image")
    icon = "gan"
    automatic_optimization = False
    generative = True
    metrics: ClassVar = {"modes": "max", "high_quality": "max", "reverse_kl": "min"}
    monitor = "reverse_kl"
    schema = Schema(
        Int("latent_dim", 16, low=1, high=512, log=True, help="Size of the generator's noise."),
        Int("g_width", 128, low=4, high=4096, log=True, help="Units per generator layer."),
        Int("g_depth", 3, low=1, high=8, help="Hidden layers in the generator."),
        Bool("g_batch_norm", False, help="Batch normalisation in the generator's layers."),
        Float(
            "g_ema",
            0.995,
            low=0.0,
            high=0.9999,
            help="Decay of the generator's weight average that samples are drawn from (0 = off).",
        ),
        Int("d_width", 128, low=4, high=4096, log=True, help="Units per discriminator layer."),
        Int("d_depth", 3, low=1, high=8, help="Hidden layers in the discriminator."),
        Float("g_lr", 1e-3, low=1e-6, high=1.0, log=True, help="Generator learning rate."),
        Float("d_lr", 1e-3, low=1e-6, high=1.0, log=True, help="Discriminator learning rate."),
        Float("beta1", 0.5, low=0.0, high=0.999, help="Adam beta1 (both networks)."),
        Float("beta2", 0.999, low=0.0, high=0.9999, help="Adam beta2 (both networks)."),
        Int("d_steps", 5, low=1, high=10, help="Discriminator updates per generator update."),
        Choice("loss", "nonsaturating", choices=LOSSES, help="Adversarial loss."),
        Float("gp_weight", 10.0, low=0.0, high=1000.0, help="Gradient-penalty weight (wgan-gp)."),
        Int(
            "packing",
            8,
            low=1,
            high=16,
            help="Samples the discriminator judges together (PacGAN; 1 = a plain GAN).",
        ),
    )
    # A constant learning rate with samples from the generator's weight average (g_ema) gave
    # sharper samples and more modes than a cosine decay; packing 8 found every grid25 mode
    # and 80 000 steps sharpened them (docs/benchmarks.md, GAN).
    training_defaults: ClassVar = {"batch_size": 256, "steps": 80000, "lr_schedule": "none"}

    def __init__(self, hparams, spec) -> None:
        super().__init__(hparams, spec)
        self._judges: dict[int, Any] = {}
        self._step = 0
        self._evaluations_at_step = 0

    def check(self) -> None:
        if int(self.hparams["packing"]) > int(self.hparams["batch_size"]):
            raise UsageError(
                f"packing {self.hparams['packing']} is larger than batch_size "
                f"{self.hparams['batch_size']}; the discriminator needs at least one whole pack"
            )

    def build_model(self):
        from plugins.gan._model import GAN

        extra = self.spec.extra
        return GAN(
            self.spec.input_shape,
            self.hparams,
            images=self.spec.kind == "image",
            center=extra.get("center"),
            scale=float(extra.get("scale", 1.0)),
        )

    def configure_optimizers(self, model):
        from engine.plugin import make_optimizer

        # Generator first: the engine logs the first optimizer's learning rate as ``lr``.
        return [
            make_optimizer(model.generator.parameters(), self.hparams, prefix="g_"),
            make_optimizer(model.discriminator.parameters(), self.hparams, prefix="d_"),
        ]

    def training_step(
        self,
        model: torch.nn.Module,
        batch: Batch,
        step: int,
        context: OptimizationContext | None = None,
    ):
        from plugins.gan._steps import adversarial_step

        assert context is not None, "the GAN steps its own optimizers"
        self._step, self._evaluations_at_step = step, 0
        return adversarial_step(model, batch, context, self.hparams)

    def evaluate(self, model: torch.nn.Module, split: Split) -> dict[str, float]:
        coverage = self._coverage(model, split)
        return coverage.as_metrics() if coverage is not None else {}

    def _coverage(self, model, split: Split):
        from plugins.gan._evaluation import ImageJudge, draw_samples, judge_possible, point_coverage

        seed = EVAL_SEED + EVALS_PER_STEP_SPACING * self._step + self._evaluations_at_step
        self._evaluations_at_step += 1
        samples = draw_samples(model, seed)
        if self.spec.kind == "points":
            return point_coverage(self.spec, samples)
        if not judge_possible(self.spec, split):
            return None
        # One judge per split, fitted the first time the split is evaluated.
        judge = self._judges.get(id(split))
        if judge is None:
            judge = self._judges[id(split)] = ImageJudge(split, int(self.spec.num_classes))
        return judge.coverage(samples)

    def snapshot(self, model: torch.nn.Module, dataset: Dataset) -> dict[str, Any] | None:
        import torch

        from plugins.gan import _artifacts

        noise = torch.Generator().manual_seed(SNAPSHOT_SEED)
        if self.spec.kind == "points":
            samples = model.sample(_artifacts.SNAPSHOT_POINTS, noise).float().cpu().numpy()
            return _artifacts.points_snapshot(samples, self.spec.extra.get("modes"))
        images = model.sample(_artifacts.SNAPSHOT_IMAGES, noise).float().cpu().numpy()
        return _artifacts.images_snapshot(images)

    def write_artifacts(self, model: torch.nn.Module, dataset: Dataset, out_dir: Path) -> None:
        import numpy as np

        from plugins.gan import _artifacts
        from plugins.gan._evaluation import draw_samples, point_coverage

        samples = draw_samples(model, EVAL_SEED)
        if self.spec.kind == "points":
            modes = self.spec.extra.get("modes")
            _artifacts.write_samples_csv(samples, out_dir / "samples.csv")
            coverage = point_coverage(self.spec, samples)
            title = f"{dataset.id}: {len(samples)} samples"
            if coverage is not None:
                title += (
                    f", {coverage.modes}/{len(modes)} modes, "
                    f"{coverage.high_quality:.1%} high quality"
                )
            true_modes = None if modes is None else np.asarray(modes)
            _artifacts.scatter_png(samples, true_modes, title, out_dir / "samples.png")
        else:
            grid = samples[: _artifacts.GRID_IMAGES]
            _artifacts.image_grid_png(grid, f"{dataset.id}: generated", out_dir / "samples.png")

    # -- using the trained model: a latent batch in, samples out ----------------------------
    def input_shape(self) -> tuple[int, ...]:
        return (int(self.hparams["latent_dim"]),)

    def example_inputs(self, dataset: Dataset):
        import numpy as np

        noise = np.random.default_rng(SNAPSHOT_SEED)
        return noise.standard_normal((2, *self.input_shape())).astype(np.float32)

    def inference_module(self, model: torch.nn.Module) -> torch.nn.Module:
        from plugins.gan._model import Sampler

        return Sampler(model)

    def outputs(self, result: torch.Tensor) -> dict[str, Any]:
        """Points as coordinates ``x0, x1``; images as pixels ``px_C_Y_X`` in [0, 1]."""
        flat = result.float().cpu().numpy().reshape(result.shape[0], -1)
        if self.spec.kind == "points":
            return {f"x{i}": flat[:, i] for i in range(flat.shape[1])}
        shape = tuple(self.spec.input_shape)
        names = ["px_" + "_".join(str(i) for i in index) for index in _indices(shape)]
        return {name: flat[:, i] for i, name in enumerate(names)}


def _indices(shape: tuple[int, ...]):
    import itertools

    return itertools.product(*(range(n) for n in shape))

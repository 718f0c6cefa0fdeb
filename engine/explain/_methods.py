"""The attribution methods, and which of them apply to a model.

Gradients with respect to an input need real-valued inputs: a token model (a vocabulary) is
explained by integrated gradients over its token embeddings only. Grad-CAM needs a
convolutional network: a convolution layer to read the gradients at and no self-attention
(the Transformer's signal embedding is a convolution, but not a feature map worth a map).
A generator has no input to explain.
"""

from __future__ import annotations

from engine.errors import UsageError

SALIENCY = "saliency"
INTEGRATED_GRADIENTS = "integrated_gradients"
OCCLUSION = "occlusion"
GRADCAM = "gradcam"
METHODS = (SALIENCY, INTEGRATED_GRADIENTS, OCCLUSION, GRADCAM)
METHOD_NAMES = {  # as a user reads them
    SALIENCY: "Saliency",
    INTEGRATED_GRADIENTS: "Integrated gradients",
    OCCLUSION: "Occlusion",
    GRADCAM: "Grad-CAM",
}


def last_convolution(network):
    """The last ``Conv1d``/``Conv2d`` of ``network`` (Grad-CAM's layer), or None."""
    from torch import nn

    layers = [m for m in network.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    return layers[-1] if layers else None


def embedding(network):
    """The first ``nn.Embedding`` of ``network``: where a token model's inputs become numbers."""
    from torch import nn

    return next((m for m in network.modules() if isinstance(m, nn.Embedding)), None)


def _has_attention(network) -> bool:
    return any("Attention" in type(m).__name__ for m in network.modules())


def applicable_methods(trained) -> tuple[str, ...]:
    """The methods that explain ``trained`` (a ``TrainedModel``), in ``METHODS`` order."""
    plugin = trained.plugin
    if plugin.generative:
        return ()
    network = trained.module
    if plugin.spec.vocab_size:
        return (INTEGRATED_GRADIENTS,) if embedding(network) is not None else ()
    methods = [SALIENCY, INTEGRATED_GRADIENTS, OCCLUSION]
    if last_convolution(network) is not None and not _has_attention(network):
        methods.append(GRADCAM)
    return tuple(methods)


def check_method(trained, method: str) -> None:
    """One ``UsageError`` naming the methods that apply when ``method`` is not one of them."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    plugin = trained.plugin
    methods = applicable_methods(trained)
    if not methods:
        raise UsageError(
            f"plugin {plugin.id!r} generates from noise: it has no input to explain "
            f"(explanations take a classifier, a forecaster or a token model)"
        )
    if method not in methods:
        what = f"{plugin.id} model ({plugin.spec.kind}, {plugin.spec.task})"
        raise UsageError(
            f"method {method!r} does not apply to this {what}; use "
            f"{' or '.join(methods) if len(methods) < 3 else ', '.join(methods)}"
        )

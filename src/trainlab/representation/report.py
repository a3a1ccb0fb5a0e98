"""The end-of-run evaluation of a representation task: scores in representation.json and the summary, and pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from trainlab._io import write_json_atomic
from trainlab.data import DataBundle
from trainlab.models._coders import first_layer_filters
from trainlab.representation import pictures
from trainlab.representation.evaluation import evaluate_representation, split_tensors

REPORT_FILE = "representation.json"
PICTURES_DIR = "representation"


class RepresentationReport:
    """On the run's end, scores the representation on the test split (else validation) and draws it.

    The scores (``evaluate_representation``) join the test split's metrics in summary.json and are
    written to ``representation.json``; the pictures go to ``representation/*.png`` in the run directory.

    Args:
        bundle: The run's data; its labels, unused in training, score the codes.
        importance_samples: Samples of the VAE's importance-weighted bound.
        draw: Draw the pictures (they need matplotlib).
    """

    def __init__(self, bundle: DataBundle, *, importance_samples: int = 64, draw: bool = True):
        self.bundle = bundle
        self.importance_samples = importance_samples
        self.draw = draw

    def on_fit_end(self, trainer: Any) -> None:
        test_split = "test" if self.bundle.test is not None else "val"
        test = self.bundle.split(test_split)
        if test is None or not trainer.process.is_main:
            return
        scores = evaluate_representation(
            trainer.model,
            self.bundle.train,
            test,
            classification=self.bundle.task == "classification",
            importance_samples=self.importance_samples,
        )
        trainer.last_eval.setdefault(test_split, {}).update(scores)
        if trainer.checkpoints is None:
            return
        run_dir = trainer.checkpoints.directory.parent
        write_json_atomic(run_dir / REPORT_FILE, {"split": test_split, **scores})
        if self.draw:
            draw_representation(trainer.model, test, run_dir / PICTURES_DIR)


def draw_representation(model: Any, dataset: Any, directory: Path) -> list[Path]:
    """Every picture that fits the model, in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    inputs, labels = split_tensors(dataset)
    shape = tuple(inputs.shape[1:])
    was_training = model.training
    model.eval()
    drawn = []
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(0)
            drawn.append(pictures.reconstructions_picture(model, inputs, directory / "reconstructions.png"))
            drawn.append(
                pictures.latent_picture(model, inputs[:2000], labels[:2000], directory / "latent.png")
            )
            if hasattr(model, "layers"):  # an RBM stack
                filters = model.layers[0].weight.detach()
                samples = model.sample(2 * pictures.SHOWN, steps=500)
                drawn.append(
                    pictures.samples_picture(samples, shape, "Gibbs sample", directory / "samples.png")
                )
            else:
                filters = first_layer_filters(model.encoder)
            drawn.append(pictures.filters_picture(filters, shape, directory / "filters.png"))
            if hasattr(model, "decode_mean"):  # a VAE
                samples = model.sample(2 * pictures.SHOWN).reshape(-1, *shape)
                drawn.append(
                    pictures.samples_picture(samples, shape, "prior sample", directory / "samples.png")
                )
                drawn.append(
                    pictures.interpolation_picture(
                        model, inputs[0], inputs[1], directory / "interpolation.png"
                    )
                )
    finally:
        model.train(was_training)
    return drawn

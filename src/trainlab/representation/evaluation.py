"""How good a learned representation is: reconstruction error, linear probe, code sparsity, likelihood bounds."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from trainlab.models.rbm import RBMStack
from trainlab.train.evaluator import iterate_in_order


def split_tensors(dataset: Dataset, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """A split's inputs and labels as two tensors."""
    inputs, labels = zip(*iterate_in_order(dataset, batch_size), strict=True)
    return torch.cat(inputs), torch.cat(labels)


@torch.no_grad()
def codes_of(model: Any, inputs: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """``model.encode`` over ``inputs`` in eval mode, on the model's device, returned on the CPU."""
    device = next(model.parameters()).device
    return torch.cat(
        [model.encode(inputs[i : i + batch_size].to(device)).cpu() for i in range(0, len(inputs), batch_size)]
    )


@torch.no_grad()
def reconstructions_of(model: Any, inputs: torch.Tensor) -> torch.Tensor:
    """Reconstructions in input units; a VAE decodes its posterior mean, so the result is deterministic."""
    device = next(model.parameters()).device
    if hasattr(model, "decode_mean"):
        return model.decode_mean(model.encode(inputs.to(device))).cpu()
    return model(inputs.to(device)).mean_reconstruction().reshape(inputs.shape).cpu()


def linear_probe_accuracy(
    train_codes: torch.Tensor, train_labels: torch.Tensor, test_codes: torch.Tensor, test_labels: torch.Tensor
) -> float:
    """Test accuracy of a logistic regression fitted on the frozen train codes (standardized)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    # One BLAS thread: the problem is small, and on a busy machine more threads only contend.
    with threadpool_limits(limits=1):
        probe.fit(train_codes.double().numpy(), train_labels.numpy())
        return float(probe.score(test_codes.double().numpy(), test_labels.numpy()))


def evaluate_representation(
    model: Any,
    train: Dataset,
    test: Dataset,
    *,
    classification: bool,
    importance_samples: int = 64,
) -> dict[str, Any]:
    """The representation's scores on ``test`` (codes for the probe fitted on ``train``).

    Returns ``reconstruction_mse``; ``probe_accuracy`` (classification data); ``code_mean_activation``
    and, for a model with a sparsity target, ``sparsity_target``; for a VAE ``elbo`` and ``iw_log_likelihood``
    (nats per sample, ``importance_samples`` samples) and ``nll_iw_bound``; for an RBM ``pseudo_log_likelihood``
    (Bernoulli visible units) and ``free_energy``. Random draws use a fixed seed and leave torch's
    global generator as it was.
    """
    was_training = model.training
    model.eval()
    train_inputs, train_labels = split_tensors(train)
    test_inputs, test_labels = split_tensors(test)
    device = next(model.parameters()).device
    results: dict[str, Any] = {}
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(0)
            reconstruction = reconstructions_of(model, test_inputs)
            results["reconstruction_mse"] = torch.mean(
                (reconstruction - test_inputs.reshape(reconstruction.shape)) ** 2
            ).item()
            test_codes = codes_of(model, test_inputs)
            if classification:
                train_codes = codes_of(model, train_inputs)
                results["probe_accuracy"] = linear_probe_accuracy(
                    train_codes, train_labels, test_codes, test_labels
                )
            results["code_mean_activation"] = test_codes.mean().item()
            target = getattr(getattr(model, "code_penalty", None), "kl", None)
            if target is not None and getattr(model.code_penalty, "kind", None) == "kl":
                results["sparsity_target"] = target.target
            inputs = test_inputs.to(device)
            if hasattr(model, "importance_weighted_log_likelihood"):
                terms = model(inputs).loss_terms().terms
                results["elbo"] = terms["elbo"].item()
                bound = model.importance_weighted_log_likelihood(inputs, importance_samples).mean().item()
                results["iw_log_likelihood"] = bound
                results["nll_iw_bound"] = -bound
                results["importance_samples"] = importance_samples
            if isinstance(model, RBMStack):
                bottom = model.rbms[0]
                flat = inputs.flatten(1)
                results["free_energy"] = bottom.free_energy(flat).mean().item()
                if bottom.visible_kind == "bernoulli":
                    results["pseudo_log_likelihood"] = bottom.pseudo_log_likelihood(flat).mean().item()
    finally:
        model.train(was_training)
    return results

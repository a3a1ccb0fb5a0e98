"""H(p, q) = H(p) + KL(p || q), and minimizing cross-entropy is maximum likelihood, computed on data and a run.

:func:`decompose` checks the identity for any pair of distributions. :func:`categorical_fit` fits
a categorical distribution to labels by minimizing cross-entropy with gradient-based optimization
and compares it with the closed-form maximum-likelihood estimate, the class frequencies.
:func:`run_identities` does both on a trained classification run: on the label marginal against
the model's mean prediction, per sample with smoothed targets against the model's softmax, and
shows that the run's mean cross-entropy is its mean negative log-likelihood of the labels.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from trainlab.errors import TrainlabError
from trainlab.metrics.functional import cross_entropy, entropy, kl_divergence


def decompose(p: torch.Tensor, q: torch.Tensor) -> dict[str, float]:
    """H(p, q), H(p) and KL(p || q) (means over leading dims) and the identity's gap |H(p,q) - H(p) - KL|.

    Args:
        p: Target distributions along the last dim.
        q: Model distributions along the last dim (same shape).
    """
    p, q = p.double(), q.double()
    crossed, own, divergence = cross_entropy(p, q), entropy(p), kl_divergence(p, q)
    return {
        "cross_entropy": float(crossed.mean()),
        "entropy": float(own.mean()),
        "kl_divergence": float(divergence.mean()),
        "gap": float((crossed - own - divergence).abs().max()),
    }


def categorical_fit(labels: torch.Tensor, num_classes: int) -> dict[str, Any]:
    """Fit q = softmax(θ) to labels by minimizing their mean cross-entropy; compare with the MLE, the frequencies.

    The mean cross-entropy -1/N Σ log q(y_i) is the negative log-likelihood of the labels divided
    by N, so its minimizer is the maximum-likelihood estimate; for a categorical distribution that
    is the class frequencies n_k / N.

    Returns:
        ``fitted`` (q after L-BFGS), ``frequencies``, ``max_difference``, the cross-entropy at the fit,
        and the log-likelihood of the labels under the frequencies.
    """
    counts = torch.bincount(labels.long(), minlength=num_classes).double()
    frequencies = counts / counts.sum()
    logits = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [logits],
        lr=1,
        max_iter=200,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )
    targets = labels.long()

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits.expand(len(targets), -1), targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    fitted = torch.softmax(logits.detach(), 0)
    loss = -(counts * fitted.log()).sum() / counts.sum()
    observed = counts > 0
    return {
        "fitted": fitted.tolist(),
        "frequencies": frequencies.tolist(),
        "max_difference": float((fitted - frequencies).abs().max()),
        "cross_entropy": float(loss),
        "log_likelihood_at_frequencies": float((counts[observed] * frequencies[observed].log()).sum()),
        "samples": int(counts.sum()),
    }


def run_identities(
    run_dir: str | os.PathLike[str], *, split: str = "test", smoothing: float = 0.1, trust_code: bool = False
) -> dict[str, Any]:
    """The identities on a trained classification run's split and on its training labels.

    Args:
        run_dir: A directory written by ``fit`` (a classification run).
        split: The split whose predictions are used.
        smoothing: Label smoothing of the per-sample targets p_i = (1 - ε) onehot + ε / K, so that
            H(p_i) is not zero and the identity has three non-trivial terms.
        trust_code: Consent to run the code the run's recipe references.

    Returns:
        ``marginal`` and ``per_sample`` decompositions, ``likelihood`` (mean cross-entropy against
        mean negative log-likelihood), and ``categorical_fit`` on the training labels.
    """
    from trainlab.theory._run import first_samples, load_run

    if not 0 <= smoothing < 1:
        raise TrainlabError(f"--smoothing {smoothing}: use a label smoothing in [0, 1), such as 0.1")
    parts = load_run(run_dir, trust_code=trust_code)
    classes = parts.bundle.num_classes
    if parts.bundle.task != "classification" or classes is None:
        raise TrainlabError(
            f"the run in '{run_dir}' is a {parts.bundle.task} run; cross-entropy and likelihood need class labels"
        )
    inputs, labels = first_samples(parts, split)
    with torch.no_grad():
        logits = parts.model(inputs).double()
    q = torch.softmax(logits, -1)
    one_hot = torch.nn.functional.one_hot(labels.long(), classes).double()
    smoothed = (1 - smoothing) * one_hot + smoothing / classes
    label_marginal = one_hot.mean(0)
    log_likelihood = torch.log_softmax(logits, -1).gather(1, labels.long().unsqueeze(1)).sum()
    _, train_labels = first_samples(parts, "train")
    return {
        "split": split,
        "samples": len(labels),
        "marginal": decompose(label_marginal, q.mean(0)),
        "per_sample": decompose(smoothed, q),
        "likelihood": {
            "mean_cross_entropy": float(torch.nn.functional.cross_entropy(logits, labels.long())),
            "negative_log_likelihood_per_sample": float(-log_likelihood / len(labels)),
        },
        "categorical_fit": categorical_fit(train_labels, classes),
    }

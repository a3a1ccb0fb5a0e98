"""A loss made of named terms (reconstruction, KL, sparsity, one per task head): minimised as one, logged term by term."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LossTerms:
    """What a loss returns when its parts are worth watching one by one.

    The trainer minimises ``total`` and logs each term as ``loss.<name>`` in metrics.jsonl, the
    way it logs a regularizer as ``penalty.<name>``; the evaluator reports them the same way.
    A term need not be part of ``total``: a monitored quantity (an RBM's reconstruction error
    beside its contrastive-divergence surrogate) is logged without being minimised.

    Attributes:
        total: The scalar that is backpropagated.
        terms: Named scalars, logged (detached) beside ``total``.
    """

    total: torch.Tensor
    terms: dict[str, torch.Tensor] = field(default_factory=dict)

"""Cost curves (Drummond & Holte): a binary classifier's expected cost over every cost ratio and class prior."""

from __future__ import annotations

from typing import Any

import torch


def cost_curve(scores: torch.Tensor, positives: torch.Tensor, points: int = 101) -> dict[str, torch.Tensor]:
    """The cost curve of a binary scorer: the lower envelope of its ROC points' cost lines.

    Drummond & Holte 2006, Cost curves: An improved method for visualizing classifier performance
    (Machine Learning 65). Each threshold, with its false-positive rate FPR and false-negative rate
    FNR, is the line NE(PC) = FNR·PC + FPR·(1 − PC) over the probability cost
    PC = p(+)C(−|+) / (p(+)C(−|+) + p(−)C(+|−)); the normalized expected cost of the classifier at
    each PC, choosing the best threshold for it, is the lowest line there. The trivial classifiers
    (always negative, always positive) are the thresholds above and below every score.

    Args:
        scores: Higher means more likely positive, one per sample.
        positives: Booleans, True for the positive class.
        points: PC values on [0, 1].

    Returns:
        ``probability_cost`` (points,), ``normalized_cost`` (points,) the envelope, ``fpr`` and ``fnr``
        of every threshold (the lines).
    """
    positives = positives.bool()
    order = torch.argsort(scores.double(), descending=True)
    sorted_scores, sorted_positives = scores.double()[order], positives[order]
    # Thresholds between distinct scores: predict positive for the top i samples, i = 0..N.
    last_of_tie = torch.ones_like(sorted_scores, dtype=torch.bool)
    last_of_tie[:-1] = sorted_scores[:-1] != sorted_scores[1:]
    true_positives = torch.cat([torch.zeros(1), torch.cumsum(sorted_positives.double(), 0)[last_of_tie]])
    false_positives = torch.cat([torch.zeros(1), torch.cumsum((~sorted_positives).double(), 0)[last_of_tie]])
    total_positive, total_negative = float(positives.sum()), float((~positives).sum())
    fpr = false_positives / max(total_negative, 1.0)
    fnr = 1 - true_positives / max(total_positive, 1.0)
    probability_cost = torch.linspace(0, 1, points, dtype=torch.float64)
    lines = fnr.unsqueeze(1) * probability_cost + fpr.unsqueeze(1) * (1 - probability_cost)
    return {
        "probability_cost": probability_cost,
        "normalized_cost": lines.min(0).values,
        "fpr": fpr,
        "fnr": fnr,
    }


def plot_cost_curve(curve: dict[str, torch.Tensor], out: Any, title: str = "cost curve") -> None:
    """Draw every threshold's cost line (grey), the envelope (black) and the trivial classifiers' lines."""
    from trainlab.playground.figures import check_figure_path, pyplot, save_figure

    check_figure_path(out)
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(6, 5))
    pc = curve["probability_cost"].numpy()
    for fpr, fnr in zip(curve["fpr"].tolist(), curve["fnr"].tolist(), strict=True):
        axes.plot([0, 1], [fpr, fnr], color="lightgrey", linewidth=0.5)
    axes.plot([0, 1], [0, 1], "--", color="tab:red", linewidth=1, label="always negative")
    axes.plot([0, 1], [1, 0], "--", color="tab:blue", linewidth=1, label="always positive")
    axes.plot(pc, curve["normalized_cost"].numpy(), color="black", linewidth=2, label="classifier (envelope)")
    axes.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="probability cost PC(+)",
        ylabel="normalized expected cost",
        title=title,
    )
    axes.legend(loc="upper right", fontsize=8)
    save_figure(figure, out)

"""Decision-threshold tuning, checked against scikit-learn's F1 at every candidate cut-off."""

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from trainlab.metrics import tune_threshold


def test_threshold_tuning_finds_the_best_f1_cut_by_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = rng.normal(size=200) + labels
    threshold, value = tune_threshold(torch.from_numpy(scores), torch.from_numpy(labels))
    best = max(f1_score(labels, scores >= t) for t in np.unique(scores))
    assert value == pytest.approx(best)
    assert f1_score(labels, scores >= threshold) == pytest.approx(best)

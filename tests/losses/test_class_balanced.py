"""Class-balanced loss: the paper's effective-number weights, and the re-weighted bases."""

import torch
import torch.nn.functional as F

import trainlab
from trainlab.data import effective_number_weights, inverse_frequency_weights

COUNTS = [500, 120, 30, 5]


def test_weights_are_the_papers_effective_numbers():
    beta = 0.99
    raw = torch.tensor([(1 - beta) / (1 - beta**n) for n in COUNTS], dtype=torch.float64)
    expected = raw / raw.sum() * len(COUNTS)
    torch.testing.assert_close(
        effective_number_weights(COUNTS, beta).double(), expected, rtol=1e-6, atol=1e-7
    )


def test_beta_zero_is_uniform_and_inverse_frequency_matches_sklearn_balanced():
    torch.testing.assert_close(effective_number_weights(COUNTS, 0.0), torch.ones(4))
    from sklearn.utils.class_weight import compute_class_weight

    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(COUNTS)]).numpy()
    expected = compute_class_weight("balanced", classes=torch.arange(4).numpy(), y=labels)
    torch.testing.assert_close(
        inverse_frequency_weights(COUNTS).double(), torch.from_numpy(expected), rtol=1e-6, atol=0
    )


def test_class_balanced_cross_entropy_is_weighted_ce():
    torch.manual_seed(0)
    logits, labels = torch.randn(20, 4, dtype=torch.float64), torch.randint(0, 4, (20,))
    loss = trainlab.create("loss", "class_balanced", class_counts=COUNTS, base="cross_entropy", beta=0.99)
    weights = effective_number_weights(COUNTS, 0.99).double()
    # The paper's CB loss is the per-sample weighted mean (not torch's weight-normalized mean).
    expected = (weights[labels] * F.cross_entropy(logits, labels, reduction="none")).mean()
    torch.testing.assert_close(loss(logits, labels), expected)


def test_class_balanced_sigmoid_weights_each_samples_terms_by_its_class():
    torch.manual_seed(1)
    logits, labels = torch.randn(12, 4, dtype=torch.float64), torch.randint(0, 4, (12,))
    loss = trainlab.create("loss", "class_balanced", class_counts=COUNTS, base="sigmoid", gamma=0.0, beta=0.9)
    weights = effective_number_weights(COUNTS, 0.9).double()
    per_term = F.binary_cross_entropy_with_logits(logits, F.one_hot(labels, 4).double(), reduction="none")
    torch.testing.assert_close(loss(logits, labels), (per_term * weights[labels][:, None]).mean())


def test_cross_entropy_class_weights_from_the_recipe_option():
    loss = trainlab.create("loss", "cross_entropy", class_weights="inverse_frequency", class_counts=COUNTS)
    torch.testing.assert_close(loss.weight, inverse_frequency_weights(COUNTS))

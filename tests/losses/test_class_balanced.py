"""Class-balanced loss: the paper's effective-number weights, the re-weighted bases, and weighted CE."""

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.errors import ConfigError
from trainlab.losses import effective_number_weights, inverse_frequency_weights

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


def _papers_weights(beta):
    """(1 - beta) / (1 - beta^n_c), normalised to sum to the number of classes (Cui et al., Eq. 4-5)."""
    raw = torch.tensor([(1 - beta) / (1 - beta**n) for n in COUNTS], dtype=torch.float64)
    return raw / raw.sum() * len(COUNTS)


def test_both_class_balanced_routes_give_the_papers_mean_of_weighted_losses():
    torch.manual_seed(2)
    logits, labels = torch.randn(16, 4, dtype=torch.float64), torch.tensor([0] * 12 + [1, 2, 3, 3])
    per_sample = -torch.log_softmax(logits, dim=1).gather(1, labels[:, None]).squeeze(1)
    weights = _papers_weights(0.99)[labels]
    mean_of_weighted = (weights * per_sample).sum() / len(labels)
    weighted_mean = (weights * per_sample).sum() / weights.sum()

    class_balanced = trainlab.create(
        "loss", "class_balanced", class_counts=COUNTS, base="cross_entropy", beta=0.99
    )
    options = {"class_weights": "effective_number", "beta": 0.99, "class_counts": COUNTS}
    by_batch = trainlab.create("loss", "cross_entropy", normalize_by="batch", **options)
    by_weights = trainlab.create("loss", "cross_entropy", **options)

    torch.testing.assert_close(class_balanced(logits, labels), mean_of_weighted)
    torch.testing.assert_close(by_batch(logits, labels), mean_of_weighted)
    # The default is torch's CrossEntropyLoss(weight=...): the weighted mean, whose scale does not
    # depend on which classes the batch holds.
    torch.testing.assert_close(by_weights(logits, labels), weighted_mean)
    assert not torch.isclose(mean_of_weighted, weighted_mean)


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("normalize_by", ["weights", "batch"])
def test_cross_entropy_class_weights_follow_the_logits_dtype(dtype, normalize_by):
    torch.manual_seed(3)
    logits, labels = torch.randn(10, 4).to(dtype), torch.randint(0, 4, (10,))
    loss = trainlab.create(
        "loss",
        "cross_entropy",
        class_weights="inverse_frequency",
        class_counts=COUNTS,
        label_smoothing=0.1,
        normalize_by=normalize_by,
    )
    weight = inverse_frequency_weights(COUNTS).to(dtype)
    if normalize_by == "weights":
        expected = F.cross_entropy(logits, labels, weight=weight, label_smoothing=0.1)
    else:
        expected = F.cross_entropy(logits, labels, weight=weight, label_smoothing=0.1, reduction="sum") / 10
    value = loss(logits, labels)
    assert value.dtype == dtype
    torch.testing.assert_close(value, expected, rtol=0, atol=0)


def test_a_weight_scheme_without_class_counts_is_an_error_not_an_unweighted_loss():
    with pytest.raises(ConfigError, match="class_weights: 'effective_number' is computed from"):
        trainlab.create("loss", "cross_entropy", class_weights="effective_number")

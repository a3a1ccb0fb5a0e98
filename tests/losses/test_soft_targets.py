"""Which losses take mixed labels (class probabilities), and the recipe check built on that flag."""

import pytest
import torch
import torch.nn.functional as F

from trainlab.errors import ConfigError
from trainlab.losses import adapt_loss
from trainlab.recipe import validate_recipe
from trainlab.registry import LOSSES

CLASSIFICATION = [e.name for e in LOSSES if e.flags.get("task") == "classification" and e.name != "kd"]
REFUSING = [name for name in CLASSIFICATION if not LOSSES.get(name).flags.get("soft_targets", True)]


# Losses whose value is linear in the target distribution: a mixed label costs the mixture of the
# two labels' losses, the identity mixup relies on (Zhang et al. 2018, Eq. 1).
LINEAR_IN_TARGET = ["cross_entropy", "focal", "class_balanced", "bce"]


def _built(name):
    entry = LOSSES.get(name)
    facts = {"class_counts": [10, 5, 2], "num_classes": 3}
    options = {name: value for name, value in facts.items() if name in entry.parameters()}
    # As the trainer calls it: a loss on dense targets gets labels one-hot (TaskLoss).
    return adapt_loss(entry, entry.build(**options), task="classification", num_classes=3, target_shape=())


def _batch(seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(8, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    return (
        logits,
        torch.randint(0, 3, (8,), generator=generator),
        torch.randint(0, 3, (8,), generator=generator),
    )


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_the_soft_targets_flag_says_what_the_loss_does(name):
    loss = _built(name)
    logits, labels, _ = _batch()
    one_hot = F.one_hot(labels, 3).double()
    if not LOSSES.get(name).flags.get("soft_targets", True):
        with pytest.raises(RuntimeError):
            loss(logits, one_hot)
        return
    # A one-hot distribution is the same target as its class index.
    value = loss(logits, one_hot)
    torch.testing.assert_close(value, loss(logits, labels))
    (gradient,) = torch.autograd.grad(value, logits)
    assert torch.isfinite(gradient).all() and gradient.abs().sum() > 0


@pytest.mark.parametrize("name", LINEAR_IN_TARGET)
def test_a_mixed_label_costs_the_mixture_of_the_two_losses(name):
    loss = _built(name)
    logits, first, second = _batch(1)
    mixed = 0.3 * F.one_hot(first, 3).double() + 0.7 * F.one_hot(second, 3).double()
    expected = 0.3 * loss(logits, first) + 0.7 * loss(logits, second)
    torch.testing.assert_close(loss(logits, mixed), expected)


def test_the_losses_that_need_class_indices_are_flagged():
    assert set(REFUSING) == {
        "nll",
        "multiclass_hinge",
        "triplet",
        "contrastive",
        "cosine_embedding",
        "hinge_embedding",
        # margins on the true class's angle, pulls to its centre or proxy, pairs mined by class, top-k by loss
        "arcface",
        "cosface",
        "sphereface",
        "center",
        "n_pair",
        "lifted_structure",
        "proxy_nca",
        "multi_similarity",
        "ohem",
        "multitask",
    }


@pytest.mark.parametrize("name", REFUSING)
def test_mixup_and_cutmix_with_a_class_index_loss_fail_validation(name):
    recipe = {
        "data": "iris",
        "model": "mlp",
        "loss": name,
        "augment": ["noise", "mixup", {"name": "cutmix"}],
        "train": {"steps": 1},
    }
    with pytest.raises(ConfigError) as caught:
        validate_recipe(recipe)
    keys = [problem.key for problem in caught.value.problems]
    assert keys == ["augment[1]", "augment[2]"]
    assert f"loss '{name}'" in str(caught.value)


def test_mixup_with_cross_entropy_is_fine():
    validate_recipe(
        {"data": "iris", "model": "mlp", "loss": "cross_entropy", "augment": ["mixup"], "train": {"steps": 1}}
    )

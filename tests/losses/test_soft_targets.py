"""Which losses take mixed labels (class probabilities), and the recipe check built on that flag."""

import pytest
import torch

from trainlab.errors import ConfigError
from trainlab.recipe import validate_recipe
from trainlab.registry import LOSSES

CLASSIFICATION = [e.name for e in LOSSES if e.flags.get("task") == "classification" and e.name != "kd"]
REFUSING = [name for name in CLASSIFICATION if not LOSSES.get(name).flags.get("soft_targets", True)]


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_the_soft_targets_flag_says_what_the_loss_does(name):
    entry = LOSSES.get(name)
    options = {"class_counts": [10, 5, 2]} if "class_counts" in entry.parameters() else {}
    loss = entry.build(**options)
    logits = torch.randn(8, 3)
    probabilities = torch.softmax(torch.randn(8, 3), dim=1)
    if entry.flags.get("soft_targets", True):
        assert torch.isfinite(loss(logits, probabilities)).all()
    else:
        with pytest.raises(RuntimeError):
            loss(logits, probabilities)


def test_the_losses_that_need_class_indices_are_flagged():
    assert set(REFUSING) == {"nll", "multiclass_hinge", "triplet", "contrastive", "cosine_embedding"}


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

"""data.label_noise: exactly the asked share of training labels flipped, as the kind says; val and test untouched."""

from __future__ import annotations

import pytest
import torch

import trainlab
from trainlab.build import build_data
from trainlab.data.transforms.label_noise import inject_label_noise
from trainlab.errors import ConfigError
from trainlab.recipe import Recipe


def test_symmetric_noise_flips_round_rate_n_labels_to_uniformly_chosen_other_classes():
    labels = torch.arange(10).repeat(2000)
    noisy, flipped = inject_label_noise(labels, 10, 0.3, torch.Generator().manual_seed(0))
    assert len(flipped) == 6000 and torch.equal(flipped, torch.nonzero(noisy != labels).flatten())
    assert torch.all(noisy[flipped] != labels[flipped])
    offsets = (noisy[flipped] - labels[flipped]) % 10  # 1..9, each about 1/9 of the flips
    shares = torch.bincount(offsets, minlength=10)[1:].double() / len(flipped)
    assert torch.all((shares - 1 / 9).abs() < 0.02), shares


def test_asymmetric_noise_follows_the_mapping_and_defaults_to_the_next_class():
    labels = torch.arange(4).repeat(250)
    noisy, flipped = inject_label_noise(labels, 4, 0.4, torch.Generator().manual_seed(1), kind="asymmetric")
    assert torch.equal(noisy[flipped], (labels[flipped] + 1) % 4) and len(flipped) == 400
    noisy, flipped = inject_label_noise(
        labels, 4, 0.4, torch.Generator().manual_seed(1), kind="asymmetric", mapping={3: 0}
    )
    assert set(labels[flipped].tolist()) == {3} and torch.all(noisy[flipped] == 0)


def test_the_recipe_corrupts_only_the_training_split_and_records_the_flips():
    clean = build_data(Recipe.model_validate({"data": "digits", "train": {"steps": 1}}))
    noisy = build_data(
        Recipe.model_validate(
            {"data": {"name": "digits", "label_noise": {"rate": 0.2}}, "train": {"steps": 1}}
        )
    )
    flipped = torch.tensor(noisy.info["label_noise"]["flipped"])
    changed = torch.nonzero(noisy.train.tensors[1] != clean.train.tensors[1]).flatten()
    assert torch.equal(changed, flipped) and len(flipped) == round(0.2 * clean.size("train"))
    for split in ("val", "test"):
        assert torch.equal(getattr(noisy, split).tensors[1], getattr(clean, split).tensors[1])


def test_a_mapping_with_an_unknown_class_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"data\.label_noise\.mapping: classes \[12\]"):
        trainlab.fit(
            {
                "data": {
                    "name": "iris",
                    "label_noise": {"rate": 0.1, "kind": "asymmetric", "mapping": {0: 12}},
                },
                "train": {"steps": 1},
            },
            save=False,
            verbose=0,
        )

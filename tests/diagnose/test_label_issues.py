"""Confident learning against its definition written out here and against cleanlab, and the label-issues command."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trainlab.cli import main
from trainlab.diagnose.label_issues import confident_learning, find_label_issues


def _noisy_probabilities(seed=0, n=600, k=4):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    labels = truth.copy()
    flipped = rng.choice(n, n // 5, replace=False)
    labels[flipped] = (truth[flipped] + rng.integers(1, k, len(flipped))) % k
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), truth] += 2.5
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return labels, probabilities, flipped


def test_suspects_are_the_off_diagonal_of_the_confident_joint_as_defined():
    labels, probabilities, _ = _noisy_probabilities()
    issues = confident_learning(labels, probabilities)
    k = probabilities.shape[1]
    thresholds = [
        np.mean([p[j] for p, y in zip(probabilities, labels, strict=True) if y == j]) for j in range(k)
    ]
    expected, joint = set(), np.zeros((k, k), dtype=int)
    for i, (p, y) in enumerate(zip(probabilities, labels, strict=True)):
        candidates = [j for j in range(k) if p[j] >= thresholds[j] - 1e-6]
        if not candidates:
            continue
        likely = max(candidates, key=lambda j: p[j])
        joint[y, likely] += 1
        if likely != y:
            expected.add(i)
    assert set(issues.indices.tolist()) == expected
    np.testing.assert_array_equal(issues.confident_joint, joint)
    assert np.all(
        np.diff(issues.self_confidence) >= 0
    )  # most suspicious (least confident in its label) first


def test_agrees_with_cleanlab_and_finds_most_flipped_labels():
    filter_module = pytest.importorskip("cleanlab.filter")
    labels, probabilities, flipped = _noisy_probabilities(seed=1)
    issues = confident_learning(labels, probabilities)
    reference = set(
        np.flatnonzero(
            filter_module.find_label_issues(labels, probabilities, filter_by="confident_learning")
        ).tolist()
    )
    ours = set(issues.indices.tolist())
    # cleanlab takes the overall argmax where several classes pass their thresholds, the paper the argmax among
    # them; the two differ only for samples whose most probable class misses its own threshold.
    assert len(ours & reference) / len(ours | reference) > 0.95
    scores = issues.scores_against(flipped)
    assert scores["recall"] > 0.6 and scores["precision"] > 0.6


def test_find_label_issues_scores_the_flips_a_recipe_injected(tmp_path):
    recipe = {
        "data": {"name": "iris", "label_noise": {"rate": 0.2, "seed": 3}},
        "model": {"name": "mlp", "width": 16},
        "optimizer": {"name": "adam", "lr": 0.01},
        "train": {"steps": 150, "batch_size": 32},
    }
    issues, bundle = find_label_issues(recipe, folds=3)
    scores = issues.scores_against(bundle.info["label_noise"]["flipped"])
    assert scores["flipped"] == round(0.2 * bundle.size("train"))
    assert scores["recall"] >= 0.5 and scores["precision"] >= 0.5, scores


def test_the_command_writes_every_suspect_and_the_scores(tmp_path, capsys):
    recipe = tmp_path / "noisy.yaml"
    recipe.write_text(
        "data: {name: iris, label_noise: {rate: 0.2}}\nmodel: {name: mlp, width: 16}\n"
        "optimizer: {name: adam, lr: 0.01}\ntrain: {steps: 100, batch_size: 32}\n"
    )
    assert main(["label-issues", str(recipe), "--folds", "3", "--out", str(tmp_path / "out")]) == 0
    scores = json.loads((tmp_path / "out" / "label_issues.json").read_text())
    rows = (tmp_path / "out" / "label_issues.csv").read_text().splitlines()
    assert rows[0] == "index,given,likely,p_given" and len(rows) == scores["suspects"] + 1
    assert 0 <= scores["precision"] <= 1 and "precision" in capsys.readouterr().out


def test_one_fold_is_refused_with_exit_code_2(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: iris\n")
    assert main(["label-issues", str(recipe), "--folds", "1"]) == 2
    output = "".join(capsys.readouterr())
    assert "--folds 1" in output and "Traceback" not in output

"""SMOTE and borderline-SMOTE against imbalanced-learn's counts, and every synthetic sample on its segment."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

import trainlab
from trainlab.data.loading import SmoteSampler, synthesize
from trainlab.errors import ConfigError


@pytest.fixture(scope="module")
def imbalanced():
    x, y = make_classification(
        n_samples=400,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        weights=[0.75, 0.18, 0.07],
        class_sep=0.8,
        random_state=0,
    )
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def _counts(labels):
    return np.bincount(np.asarray(labels), minlength=3)


@pytest.mark.parametrize(
    ("kind", "reference"),
    [("regular", "SMOTE"), ("borderline-1", "BorderlineSMOTE"), ("borderline-2", "BorderlineSMOTE")],
)
def test_class_counts_match_imbalanced_learn(imbalanced, kind, reference):
    imblearn = pytest.importorskip("imblearn.over_sampling")
    x, y = imbalanced
    options = {} if kind == "regular" else {"kind": kind}
    _, y_reference = getattr(imblearn, reference)(random_state=0, **options).fit_resample(
        x.numpy(), y.numpy()
    )
    synthetic = synthesize(x, y, torch.Generator().manual_seed(0), kind=kind)
    np.testing.assert_array_equal(_counts(y) + _counts(synthetic.labels), _counts(y_reference))


def _nearest_same_class(x, y, index, k):
    same = np.flatnonzero(y == y[index])
    distances = np.linalg.norm(x[same] - x[index], axis=1)
    return set(same[np.argsort(distances, kind="stable")[1 : k + 1]].tolist())


def test_every_regular_sample_lies_between_a_sample_and_one_of_its_k_same_class_neighbours(imbalanced):
    x, y = imbalanced
    synthetic = synthesize(x, y, torch.Generator().manual_seed(1), k_neighbors=5)
    xs, ys = x.double().numpy(), y.numpy()
    assert len(synthetic.labels) == 2 * _counts(y).max() - _counts(y)[1] - _counts(y)[2]
    for new, label, source, partner, gap in zip(
        synthetic.inputs.double().numpy(),
        synthetic.labels,
        synthetic.sources,
        synthetic.partners,
        synthetic.gaps,
        strict=True,
    ):
        source, partner = int(source), int(partner)
        assert ys[source] == ys[partner] == int(label) and 0 <= gap <= 1
        assert partner in _nearest_same_class(xs, ys, source, 5)
        np.testing.assert_allclose(new, xs[source] + float(gap) * (xs[partner] - xs[source]), atol=1e-5)


def test_borderline_samples_start_only_from_minority_samples_in_danger(imbalanced):
    x, y = imbalanced
    xs, ys = x.double().numpy(), y.numpy()
    synthetic = synthesize(x, y, torch.Generator().manual_seed(2), kind="borderline-1", m_neighbors=10)
    assert len(synthetic.sources) > 0
    for source in set(synthetic.sources.tolist()):
        distances = np.linalg.norm(xs - xs[source], axis=1)
        around = np.argsort(distances, kind="stable")[1:11]
        others = int((ys[around] != ys[source]).sum())
        assert 5 <= others < 10, f"sample {source} has {others} of 10 neighbours in other classes"


def test_borderline_2_steps_at_most_halfway_towards_another_class(imbalanced):
    x, y = imbalanced
    synthetic = synthesize(x, y, torch.Generator().manual_seed(3), kind="borderline-2")
    towards_other = y[synthetic.partners] != synthetic.labels
    assert towards_other.any() and (~towards_other).any()
    assert float(synthetic.gaps[towards_other].max()) <= 0.5


def test_a_class_with_one_sample_is_refused_with_the_fix():
    x = torch.randn(12, 3)
    y = torch.tensor([0] * 11 + [1])
    with pytest.raises(
        ConfigError, match=r"sampler\.k_neighbors: class 1 has 1 training sample;.*oversample"
    ):
        synthesize(x, y, torch.Generator().manual_seed(0))


def test_the_sampler_is_reproducible_from_its_seed_and_trains_from_a_recipe(imbalanced):
    x, y = imbalanced
    first = SmoteSampler(torch.utils.data.TensorDataset(x, y), 32, seed=4)
    second = SmoteSampler(torch.utils.data.TensorDataset(x, y), 32, seed=4)
    torch.testing.assert_close(first.synthetic.inputs, second.synthetic.inputs)
    assert first.size == 3 * int(_counts(y).max())
    result = trainlab.fit(
        {
            "data": {"name": "wine", "imbalance": {"ratio": 5}},
            "model": "mlp",
            "sampler": {"name": "smote", "k_neighbors": 3},
            "train": {"steps": 5},
        },
        save=False,
        verbose=0,
    )
    assert result.history


def test_the_cli_refuses_a_class_too_small_with_exit_code_2_and_writes_nothing(tmp_path, capsys):
    from trainlab.cli import main

    recipe = tmp_path / "smote.yaml"
    recipe.write_text(
        "data: {name: wine, imbalance: {ratio: 50}}\nmodel: mlp\nsampler: {name: smote}\ntrain: {steps: 3}\n"
    )
    code = main(["fit", str(recipe), "--out", str(tmp_path / "run")])
    output = "".join(capsys.readouterr())
    assert code == 2 and "Traceback" not in output and output.count("error:") == 1
    assert "sampler.k_neighbors" in output and "oversample" in output
    assert not (tmp_path / "run").exists()

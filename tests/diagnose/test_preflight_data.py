"""Pre-flight data checks: each passes on clean data and flags the broken case, with a fix."""

import pytest
import torch
from preflight_data import RECIPE, bundle, healthy, separable

from trainlab.diagnose import preflight
from trainlab.errors import TrainlabError


def run(data, checks=("data",), **kwargs):
    return preflight(RECIPE, data=data, checks=list(checks), **kwargs)


def test_clean_data_passes_every_data_row():
    report = run(healthy())
    assert [r.check for r in report.results] == [
        "data.finite",
        "data.constant_features",
        "data.scaling",
        "data.labels",
        "data.imbalance",
        "data.input_shape",
    ]
    assert all(r.status == "pass" for r in report.results), report.rows()
    counts = torch.bincount(healthy().train.tensors[1], minlength=3).tolist()
    assert ", ".join(map(str, counts)) in report.result("data.labels").measured
    assert report.passed and report.exit_code == 0


def test_nan_and_inf_rows_fail_naming_the_split():
    train, val = separable(100), separable(50, seed=1)
    train[0][5, 2] = float("nan")
    train[0][7, 0] = float("nan")
    val[0][3, 1] = float("inf")
    report = run(bundle(train, val))
    row = report.result("data.finite")
    assert row.status == "fail"
    assert "2 train rows with NaN/Inf inputs" in row.measured and "1 val rows" in row.measured
    assert row.fix and not report.passed and report.exit_code == 1


def test_a_constant_column_warns_on_tabular_data_only():
    inputs, targets = separable(100)
    inputs[:, 3] = 7.0
    row = run(bundle((inputs, targets))).result("data.constant_features")
    assert row.status == "warn" and row.measured.startswith("1 of 6")
    image = bundle((inputs.view(100, 1, 2, 3), targets), input_shape=(1, 2, 3))
    # Constant pixels at an image's border are common; the model may still not fit this shape.
    assert run(image).result("data.constant_features").status == "pass"


@pytest.mark.parametrize(
    ("scale", "shift", "status"), [(1.0, 0.0, "pass"), (1000.0, 0.0, "warn"), (1.0, 50.0, "warn")]
)
def test_unscaled_inputs_warn_with_the_standardize_fix(scale, shift, status):
    inputs, targets = separable(200)
    inputs[:, 0] = inputs[:, 0] * scale + shift
    row = run(bundle((inputs, targets))).result("data.scaling")
    assert row.status == status
    if status == "warn":
        assert row.fix == "--set data.scaling=standardize"


def test_the_scaling_numbers_are_the_features_statistics():
    inputs, targets = separable(200)
    inputs[:, 0] = inputs[:, 0] * 30.0
    std = inputs.double().std(0)
    spread = float(std.max() / std.median())
    row = run(bundle((inputs, targets))).result("data.scaling")
    assert f"feature std spread {spread:.3g}×" in row.measured


def test_labels_outside_the_classes_fail_and_missing_classes_warn():
    inputs, targets = separable(100)
    bad = targets.clone()
    bad[:4] = 5
    assert run(bundle((inputs, bad))).result("data.labels").status == "fail"
    only_two = targets.clamp(max=1)
    row = run(bundle((inputs, only_two))).result("data.labels")
    assert row.status == "warn" and "[2]" in row.measured


def test_imbalance_warns_above_the_threshold_and_the_threshold_is_tunable():
    inputs = torch.randn(210, 6)
    targets = torch.tensor([0] * 200 + [1] * 10)
    data = bundle((inputs, targets), classes=2)
    row = run(data).result("data.imbalance")
    assert row.status == "warn" and "20×" in row.measured
    assert "class_balanced" in row.fix
    relaxed = run(data, checks=[{"name": "data", "max_imbalance": 25}])
    assert relaxed.result("data.imbalance").status == "pass"


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ({"loss": {"name": "class_balanced"}}, "loss class_balanced"),
        ({"sampler": "class_balanced"}, "sampler class_balanced"),
        ({"loss": {"name": "cross_entropy", "class_weights": "inverse_frequency"}}, "loss.class_weights"),
    ],
)
def test_imbalance_the_recipe_already_counters_passes_naming_the_remedy(setting, named):
    data = bundle((torch.randn(210, 6), torch.tensor([0] * 200 + [1] * 10)), classes=2)
    row = preflight({**RECIPE, **setting}, data=data, checks=["data"]).result("data.imbalance")
    assert row.status == "pass" and named in row.measured


def test_a_model_that_does_not_fit_the_input_fails_and_the_model_checks_skip():
    wrong_width = torch.nn.Linear(4, 3)  # the data has 6 features
    report = preflight(
        RECIPE, data=healthy(), model=wrong_width, checks=["data", "init_loss", "overfit_batch"]
    )
    assert report.result("data.input_shape").status == "fail"
    assert report.result("init_loss").status == "skip"
    assert report.result("overfit_batch").status == "skip"


def test_an_unknown_check_or_threshold_is_a_usage_error():
    with pytest.raises(TrainlabError, match="did you mean 'duplicates'"):
        run(healthy(), checks=["duplicate"])
    with pytest.raises(TrainlabError, match="max_imbalance"):
        run(healthy(), checks=[{"name": "data", "max_imbalanse": 3}])

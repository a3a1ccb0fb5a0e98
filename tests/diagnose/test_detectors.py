"""Each detector on hand-written records: it fires on its pathology with the measured numbers, stays
quiet on a healthy run, and its thresholds are tunable."""

from __future__ import annotations

import math
import statistics

import pytest
from doctor_records import (
    STEPS,
    activation_rows,
    eval_record,
    falling_losses,
    healthy_evidence,
    param_rows,
    recipe,
    summary,
)

from trainlab.diagnose.doctor import build_detectors, diagnose
from trainlab.registry import DETECTORS


def found(evidence, name, **options):
    return DETECTORS.create(name, **options).check(evidence)


@pytest.mark.parametrize("name", DETECTORS.names())
def test_every_detector_is_quiet_on_a_healthy_run(name):
    assert found(healthy_evidence(), name) == []


@pytest.mark.parametrize("entry", DETECTORS.list(), ids=lambda e: e.name)
def test_every_threshold_is_documented_with_its_reason(entry):
    docs = entry.option_docs()
    assert entry.reference
    for option in entry.parameters():
        assert len(docs.get(option, "")) > 20, f"{entry.name}.{option} is undocumented"


def test_healthy_run_has_no_findings_and_reports_its_measurements():
    diagnosis = diagnose(healthy_evidence())
    assert diagnosis.healthy and diagnosis.findings == []
    assert diagnosis.measurements["median_update_ratio"] == pytest.approx(1e-3)
    assert diagnosis.measurements["median_grad_norm"] == pytest.approx(math.sqrt(3))
    assert diagnosis.measurements["final_val_accuracy"] == 0.93


# --- gradients ---------------------------------------------------------------------------------


def test_vanishing_gradients_from_the_first_last_ratio():
    evidence = healthy_evidence(
        records=param_rows(first_last=1e-4), recipe=recipe(model={"activation": "sigmoid"})
    )
    (finding,) = found(evidence, "vanishing_gradients")
    assert finding.evidence[0].value == pytest.approx(1e-4)
    assert finding.steps == (STEPS[len(STEPS) // 2], STEPS[-1])  # the settled half
    assert finding.fix == ("model.activation=relu", "model.init=kaiming_normal")
    assert found(evidence, "vanishing_gradients", max_first_last_ratio=1e-5) == []


def test_vanishing_gradients_computes_the_ratio_from_parameters_without_a_model_row():
    rows = [r for r in param_rows(grad_norm=[1e-6, 1e-2, 1.0]) if r["kind"] == "param"]
    (finding,) = found(healthy_evidence(records=rows), "vanishing_gradients")
    assert finding.evidence[0].value == pytest.approx(1e-6 / 1.0)


def test_exploding_gradients_from_the_global_norm_and_the_ratio():
    (finding,) = found(
        healthy_evidence(records=param_rows(grad_norm=[3e3, 4e3, 12.0], first_last=250.0)),
        "exploding_gradients",
    )
    expected_norm = math.sqrt(3e3**2 + 4e3**2 + 12.0**2)
    assert finding.evidence[0].value == pytest.approx(expected_norm)
    assert finding.evidence[1].value == pytest.approx(250.0)
    assert finding.layers[0] == "net.2.weight" and finding.severity == "error"
    assert "train.grad_clip_norm=1.0" in finding.fix


# --- activations -------------------------------------------------------------------------------


def test_dead_relu_names_the_layers_and_their_fraction():
    (finding,) = found(healthy_evidence(records=activation_rows(dead=0.7)), "dead_relu")
    assert finding.layers == ("net.1", "net.3") or set(finding.layers) == {"net.1", "net.3"}
    assert finding.evidence[0].value == pytest.approx(0.7)
    assert finding.fix == ("model.activation=leaky_relu",)
    assert (
        found(healthy_evidence(records=activation_rows(dead=0.7)), "dead_relu", max_dead_fraction=0.8) == []
    )


def test_dead_fraction_of_non_relu_modules_and_unfilled_windows_is_ignored():
    assert found(healthy_evidence(records=activation_rows("GELU", dead=0.9)), "dead_relu") == []
    assert found(healthy_evidence(records=activation_rows(dead=None)), "dead_relu") == []


def test_saturated_tanh_suggests_scaling_when_the_inputs_are_not_scaled():
    evidence = healthy_evidence(
        records=activation_rows("Tanh", saturated=0.8, dead=None),
        recipe=recipe(data={"scaling": "none"}, model={"activation": "tanh"}),
    )
    (finding,) = found(evidence, "saturated_activations")
    assert finding.evidence[0].value == pytest.approx(0.8) and finding.fix == ("data.scaling=standardize",)
    scaled = healthy_evidence(records=evidence.records, recipe=recipe(model={"activation": "tanh"}))
    assert found(scaled, "saturated_activations")[0].fix == ("model.init=xavier_normal",)


def test_activation_scale_shows_the_std_per_layer():
    stds = [1.0, 0.1, 0.01, 0.001]
    (finding,) = found(healthy_evidence(records=activation_rows(std=stds)), "activation_scale")
    assert finding.evidence[0].value == pytest.approx(stds[-1] / stds[0])
    assert list(finding.details["std_per_layer"].values()) == stds
    assert finding.steps == (STEPS[0], STEPS[0]) and finding.fix == ("model.init=kaiming_normal",)
    (exploding,) = found(
        healthy_evidence(records=activation_rows(std=[1.0, 30.0, 900.0])), "activation_scale"
    )
    assert exploding.evidence[0].comparison == ">" and "explodes" in exploding.title


# --- learning rate -----------------------------------------------------------------------------


def test_lr_too_high_from_the_update_ratio_suggests_a_tenth():
    (finding,) = found(healthy_evidence(records=param_rows(update_ratio=0.4)), "lr_too_high")
    assert finding.evidence[0].value == pytest.approx(0.4)
    assert finding.fix == ("optimizer.lr=0.0003",)


def test_lr_too_high_from_a_loss_that_climbs_without_instruments():
    losses = [2.0 + 0.1 * i for i in range(len(STEPS))]
    climbing = [
        {"type": "step", "step": s, "split": "train", "loss": v} for s, v in zip(STEPS, losses, strict=True)
    ]
    (finding,) = found(healthy_evidence(history=climbing, records=None), "lr_too_high")
    assert finding.evidence[0].value == pytest.approx(statistics.median(losses[-5:]) / 2.0)


def test_lr_too_low_scales_the_lr_towards_the_target_ratio():
    losses = [2.3 - 1e-4 * i for i in range(len(STEPS))]
    flat = [
        {"type": "step", "step": s, "split": "train", "loss": v} for s, v in zip(STEPS, losses, strict=True)
    ]
    (finding,) = found(healthy_evidence(history=flat, records=param_rows(update_ratio=1e-7)), "lr_too_low")
    assert finding.evidence[0].value == pytest.approx(1e-7)
    assert finding.evidence[1].value == pytest.approx(1 - losses[-1] / losses[0])
    assert finding.fix == ("optimizer.lr=3",)  # 3e-3 x min(1e-3 / 1e-7, 1000)


# --- fit quality -------------------------------------------------------------------------------


def test_not_learning_at_ln_c_and_chance_accuracy():
    stuck = [{"type": "step", "step": s, "split": "train", "loss": math.log(10) + 0.01} for s in STEPS]
    evidence = healthy_evidence(history=[*stuck, eval_record(200, 2.31, 0.1)], summary=summary(0.11, 0.1))
    (finding,) = found(evidence, "not_learning")
    assert finding.evidence[0].value == pytest.approx(0.01 / math.log(10))
    assert finding.evidence[1].value == pytest.approx(0.1) and finding.evidence[1].threshold == pytest.approx(
        0.19
    )
    assert finding.severity == "error"


def test_not_learning_stays_quiet_when_accuracy_is_above_chance():
    stuck = [{"type": "step", "step": s, "split": "train", "loss": math.log(10)} for s in STEPS]
    assert (
        found(
            healthy_evidence(history=[*stuck, eval_record(200, 2.3, 0.6)], summary=summary(0.6, 0.6)),
            "not_learning",
        )
        == []
    )


def test_overfitting_when_validation_loss_rises_while_training_loss_falls():
    history = [
        *falling_losses(),
        eval_record(50, 0.5, 0.9),
        eval_record(100, 0.4, 0.9),
        eval_record(150, 0.5, 0.89),
        eval_record(200, 0.6, 0.88),
    ]
    (finding,) = found(healthy_evidence(history=history), "overfitting")
    assert finding.evidence[0].value == pytest.approx(0.6 / 0.4 - 1)
    assert finding.steps == (100, 200)
    assert finding.fix == ("model.dropout=0.3", "optimizer.weight_decay=0.1")
    assert "variance" in finding.title
    assert found(healthy_evidence(history=history), "overfitting", patience=3) == []


def test_one_noisy_evaluation_after_the_best_is_no_overfitting():
    history = [
        *falling_losses(),
        eval_record(50, 0.5, 0.9),
        eval_record(150, 0.4, 0.9),
        eval_record(200, 0.6, 0.88),
    ]
    assert found(healthy_evidence(history=history), "overfitting") == []


def test_not_learning_suggests_a_random_init_when_the_weights_start_equal():
    stuck = [{"type": "step", "step": s, "split": "train", "loss": math.log(10)} for s in STEPS]
    evidence = healthy_evidence(
        history=[*stuck, eval_record(200, 2.3, 0.1)],
        recipe=recipe(model={"init": "zeros"}),
        summary=summary(0.1, 0.1),
    )
    assert found(evidence, "not_learning")[0].fix == ("model.init=kaiming_normal",)


def test_overfitting_from_the_accuracy_gap():
    (finding,) = found(healthy_evidence(summary=summary(1.0, 0.7)), "overfitting")
    assert finding.evidence[0].value == pytest.approx(0.3)


def test_underfitting_is_high_training_error_named_bias():
    (finding,) = found(healthy_evidence(summary=summary(0.6, 0.58)), "underfitting")
    assert finding.evidence[0].value == pytest.approx(0.4) and "bias" in finding.title
    assert finding.fix == ("model.width=512", "train.steps=400")


# --- stability ---------------------------------------------------------------------------------


def test_loss_spike_matches_the_z_score_formula():
    losses = [1.0 + 0.01 * ((-1) ** i) for i in range(30)]
    losses[20] = 5.0
    history = [
        {"type": "step", "step": 10 * (i + 1), "split": "train", "loss": v} for i, v in enumerate(losses)
    ]
    (finding,) = found(healthy_evidence(history=history), "loss_spikes")
    window = losses[10:20]
    expected = (5.0 - statistics.fmean(window)) / statistics.pstdev(window)
    assert finding.evidence[0].value == pytest.approx(expected)
    assert finding.steps == (210, 210)


def test_non_finite_names_the_tensor_the_trainer_recorded():
    error = (
        "step 37: the loss is nan (train.nan_policy: raise); first non-finite tensor: output of layer "
        "'net.2' (Linear). Lower optimizer.lr, set train.grad_clip_norm, or use train.nan_policy: skip | rollback\n"
    )
    (finding,) = found(healthy_evidence(error=error), "non_finite")
    assert finding.layers == ("output of layer 'net.2' (Linear)",) and finding.steps == (37, 37)
    assert finding.fix == ("optimizer.lr=0.0003", "train.grad_clip_norm=1.0")


def test_non_finite_finds_the_first_record_and_skipped_steps():
    rows = param_rows()
    rows[5] = {**rows[5], "grad_norm": float("inf")}
    log = "step 12: the loss is nan; skipped the batch (train.nan_policy: skip)\n"
    (finding,) = found(healthy_evidence(records=rows, log=log), "non_finite")
    assert finding.steps == (12, 12)
    assert finding.layers == (f"param statistics of '{rows[5]['layer']}'",)
    assert finding.details["handled_steps"] == [12]


# --- outputs and recipe ------------------------------------------------------------------------


def test_class_collapse_with_the_imbalance_hint():
    matrix = [[90, 0], [9, 1]]  # 99 of 100 predictions are class 0; labels are 90 / 10
    evidence = healthy_evidence(
        history=[*falling_losses(), eval_record(200, 0.3, 0.91, matrix)], summary=summary(classes=2)
    )
    assert found(evidence, "class_collapse") == []  # 0.99 is within 0.2 of the 0.9 label share
    matrix = [[50, 0], [48, 2]]
    evidence = healthy_evidence(
        history=[*falling_losses(), eval_record(200, 0.7, 0.52, matrix)], summary=summary(classes=2)
    )
    (finding,) = found(evidence, "class_collapse")
    assert finding.evidence[0].value == pytest.approx(98 / 100)
    assert finding.fix == ()  # balanced labels: no class weights to suggest
    matrix = [[300, 0], [20, 10]]
    evidence = healthy_evidence(
        history=[*falling_losses(), eval_record(200, 0.7, 0.9, matrix)], summary=summary(classes=2)
    )
    assert found(evidence, "class_collapse", min_excess=0.05)[0].fix == (
        "loss.class_weights=inverse_frequency",
    )


def test_class_collapse_takes_the_imbalance_from_the_recipe_when_the_evaluated_split_is_balanced():
    matrix = [[50, 0], [48, 2]]
    evidence = healthy_evidence(
        history=[*falling_losses(), eval_record(200, 0.7, 0.52, matrix)],
        summary=summary(classes=2),
        recipe=recipe(data={"imbalance": {"ratio": 50}}),
    )
    (finding,) = found(evidence, "class_collapse")
    assert finding.fix == ("loss.class_weights=inverse_frequency",) and "50x" in finding.cause


def test_batchnorm_with_tiny_batches():
    evidence = healthy_evidence(recipe=recipe(model={"norm": "batch"}, train={"batch_size": 2}))
    (finding,) = found(evidence, "batchnorm_tiny_batch")
    assert finding.evidence[0].value == 2 and finding.fix == ("model.norm=layer",)
    assert found(healthy_evidence(recipe=recipe(model={"norm": "batch"})), "batchnorm_tiny_batch") == []


def test_adam_without_warmup_is_info_from_the_recipe_and_warn_when_the_loss_rises_early():
    no_warmup = recipe(optimizer={"lr": 0.05}, schedule={"warmup_steps": 0})
    (info,) = found(healthy_evidence(recipe=no_warmup), "adam_no_warmup")
    assert info.severity == "info" and info.fix == ("schedule.warmup_steps=10",)
    rising = falling_losses()
    rising[2] = {**rising[2], "loss": 4.0}
    (warn,) = found(healthy_evidence(recipe=no_warmup, history=rising), "adam_no_warmup")
    assert warn.severity == "warn" and warn.evidence[1].value == pytest.approx(4.0 / math.log(10) - 1)


# --- options -----------------------------------------------------------------------------------


def test_detectors_are_tuned_and_turned_off_by_dotted_options():
    detectors = build_detectors(["dead_relu.max_dead_fraction=0.9", "loss_spikes.enabled=false"])
    assert detectors["dead_relu"].max_dead_fraction == 0.9 and "loss_spikes" not in detectors


def test_bad_options_are_all_reported_naming_the_key():
    from trainlab.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        build_detectors(
            ["dead_relu.max_dead=0.9", "lr_to_high.max_update_ratio=1", "dead_relu.max_dead_fraction=x"]
        )
    message = str(caught.value)
    assert "dead_relu.max_dead" in message and "max_dead_fraction" in message
    assert "lr_to_high" in message and "lr_too_high" in message
    assert "3 problems" in message


def test_lr_too_low_ignores_layers_whose_gradient_is_exactly_zero():
    dead = [
        {**row, "grad_norm": 0.0, "update_ratio": 0.0} if row["layer"] == "net.0.weight" else row
        for row in param_rows(update_ratio=1e-3)
    ]
    assert found(healthy_evidence(records=dead), "lr_too_low") == []

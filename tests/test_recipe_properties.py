"""Property-based bad input: every malformed recipe gets a validation message naming the key, never a traceback."""

import copy

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trainlab.cli import main
from trainlab.errors import ConfigError
from trainlab.recipe import Recipe, TrainSettings, validate_recipe

BASE = {
    "data": {"name": "mnist1d"},
    "model": {"name": "mlp"},
    "optimizer": {"name": "adam"},
    "train": {"steps": 10},
}

TRAIN_FIELDS = sorted(set(TrainSettings.model_fields) - {"steps"})
# (field, a value below its range); integer counts start at 1, spike_window at 2, factors are in (0, 1].
OUT_OF_RANGE = st.sampled_from(
    [
        ("train.steps", 0),
        ("train.epochs", -1),
        ("train.batch_size", 0),
        ("train.eval_batch_size", -8),
        ("train.grad_accum_steps", 0),
        ("train.eval_every", 0),
        ("train.log_every", -5),
        ("train.threads", 0),
        ("train.checkpoint_every", 0),
        ("train.keep_last", 0),
        ("train.spike_window", 1),
        ("train.grad_clip_norm", 0.0),
        ("train.grad_clip_value", -1.0),
        ("train.spike_zscore", -3.0),
        ("train.rollback_lr_factor", 0.0),
        ("train.rollback_lr_factor", 1.5),
        ("data.val_fraction", 1.0),
        ("data.test_fraction", 0.0),
    ]
)
WRONG_TYPE_VALUES = st.sampled_from([[1, 2], {"nested": 1}, "not-a-value", [], {}])
# (overrides, the key the message must name)
CONTRADICTIONS = st.sampled_from(
    [
        ({"train.epochs": 2}, "train.steps"),
        ({"train.grad_clip_norm": 1.0, "train.grad_clip_value": 1.0}, "train.grad_clip_value"),
        ({"train.resume": "auto"}, "out"),
        ({"train.nan_policy": "rollback"}, "train.checkpoint_every"),
        ({"train.eval_every": 5, "data.val_fraction": 0.0}, "data.val_fraction"),
    ]
)
KEY_NAME = st.from_regex(r"[a-z][a-z_]{2,14}", fullmatch=True)


def valid_after_all(key, value):
    """Whether a WRONG_TYPE_VALUES value is valid for this key: an empty train.loggers means no extra loggers."""
    return key == "train.loggers" and value == []


def with_values(pairs):
    raw = copy.deepcopy(BASE)
    for dotted, value in pairs.items():
        section, _, key = dotted.rpartition(".")
        (raw.setdefault(section, {}) if section else raw)[key] = value
    return raw


def assert_names(raw, key):
    with pytest.raises(ConfigError) as caught:
        validate_recipe(raw)
    assert key in str(caught.value), str(caught.value)


@given(field=st.sampled_from(TRAIN_FIELDS), value=WRONG_TYPE_VALUES)
def test_wrong_types_name_the_key(field, value):
    assume(not valid_after_all(f"train.{field}", value))
    assert_names(with_values({f"train.{field}": value}), f"train.{field}")


@given(section=st.sampled_from(["", "train"]), key=KEY_NAME)
def test_unknown_keys_name_the_key(section, key):
    known = Recipe.model_fields if section == "" else TrainSettings.model_fields
    if key in known:
        return
    dotted = f"{section}.{key}" if section else key
    assert_names(with_values({dotted: 1}), dotted)


@given(case=OUT_OF_RANGE)
def test_out_of_range_values_name_the_key(case):
    key, value = case
    raw = with_values({key: value})
    if key == "train.epochs":
        del raw["train"]["steps"]
    assert_names(raw, key)


@given(case=CONTRADICTIONS)
def test_contradictory_settings_name_the_keys(case):
    overrides, key = case
    assert_names(with_values(overrides), key)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mutation=st.one_of(
        st.tuples(st.sampled_from(TRAIN_FIELDS).map(lambda f: f"train.{f}"), WRONG_TYPE_VALUES),
        OUT_OF_RANGE,
        KEY_NAME.filter(lambda k: k not in TrainSettings.model_fields).map(lambda k: (f"train.{k}", 3)),
    )
)
def test_the_cli_prints_one_message_and_exits_2(tmp_path, capsys, mutation):
    key, value = mutation
    assume(not valid_after_all(key, value))
    raw = with_values({key: value})
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and key.rpartition(".")[2] in err

"""The generic registry: lookup, suggestions, option checks, re-registration, listing."""

from typing import Annotated, Literal

import pytest
from pydantic import Field

import trainlab
from trainlab.errors import ConfigError, UnknownNameError
from trainlab.registry import Registry


@pytest.fixture
def registry():
    reg = Registry("widget")

    @reg.register("adamw", aliases=("adam_w",), reference="paper", flags={"has_betas": True})
    def adamw(
        params, lr: Annotated[float, Field(gt=0)] = 1e-3, mode: Literal["a", "b"] = "a", steps: int = 1
    ):
        """Decoupled decay."""
        return {"params": params, "lr": lr, "mode": mode, "steps": steps}

    @reg.register("sgd")
    def sgd(params, lr: float):
        """Plain SGD."""
        return ("sgd", lr)

    return reg


def test_lookup_by_name_and_alias(registry):
    assert registry.get("adamw").name == "adamw"
    assert registry.get("ADAM_W").name == "adamw"
    assert "adam_w" in registry and "nope" not in registry


def test_unknown_name_suggests_closest(registry):
    with pytest.raises(UnknownNameError) as info:
        registry.get("adamw2", key="optimizer.name")
    assert str(info.value) == "optimizer.name: 'adamw2' is not a registered widget; did you mean 'adamw'?"


def test_unknown_name_without_close_match_points_to_catalog(registry):
    with pytest.raises(UnknownNameError, match="trainlab catalog widgets"):
        registry.get("zzzzzz")


def test_description_comes_from_docstring(registry):
    entry = registry.get("sgd")
    assert entry.description == "Plain SGD."
    assert registry.get("adamw").flags["has_betas"] is True


def test_reregistering_is_an_error_unless_replace(registry):
    with pytest.raises(ValueError, match="already registered"):
        registry.add("sgd", lambda params: None, description="x")
    with pytest.raises(ValueError, match="already registered"):
        registry.add("other", lambda params: None, description="x", aliases=("adam_w",))
    registry.add("sgd", lambda params, lr=1.0: ("new", lr), description="replaced", replace=True)
    assert registry.create("sgd", None) == ("new", 1.0)


def test_names_must_be_lower_case_and_described(registry):
    with pytest.raises(ValueError, match="lower case"):
        registry.add("SGD2", lambda: None, description="x")
    with pytest.raises(ValueError, match="description"):
        registry.add("nodoc", lambda: None)


def test_list_filters_by_pattern(registry):
    assert [e.name for e in registry.list()] == ["adamw", "sgd"]
    assert [e.name for e in registry.list("adam*")] == ["adamw"]
    assert [e.name for e in registry.list("*_w")] == ["adamw"]


def test_kwargs_are_checked_before_the_factory_runs(registry):
    calls = []
    registry.add("spy", lambda params, lr=1.0: calls.append(lr), description="spy")
    with pytest.raises(ConfigError) as info:
        registry.create("spy", None, lrr=2.0)
    assert "lrr: unknown option; did you mean 'lr'?" in str(info.value)
    assert calls == []


def test_check_kwargs_reports_every_problem_with_keys(registry):
    converted, problems = registry.get("adamw").check_kwargs(
        {"lr": -1.0, "mode": "c", "stepz": 3, "params": 1}, provided={"params"}, key="optimizer"
    )
    messages = {p.key: p.message for p in problems}
    assert "greater than 0" in messages["optimizer.lr"]
    assert "'a' or 'b'" in messages["optimizer.mode"]
    assert "did you mean 'steps'" in messages["optimizer.stepz"]
    assert "set by trainlab" in messages["optimizer.params"]
    assert converted == {}


def test_check_kwargs_converts_types_and_reports_missing_required(registry):
    converted, problems = registry.get("adamw").check_kwargs({"lr": "0.5", "steps": 3}, provided={"params"})
    assert problems == [] and converted == {"lr": 0.5, "steps": 3}
    _, problems = registry.get("sgd").check_kwargs({}, provided={"params"}, key="optimizer")
    assert [str(p) for p in problems] == ["optimizer.lr: is required by widget 'sgd'"]


def test_describe_is_json_ready(registry):
    described = registry.get("adamw").describe()
    assert described["options"]["lr"] == {"default": 1e-3, "required": False, "doc": ""}
    assert described["aliases"] == ["adam_w"]


def test_global_create_and_catalog():
    loss = trainlab.create("loss", "cross_entropy", label_smoothing=0.1)
    assert loss.label_smoothing == 0.1
    kinds = {e.kind for e in trainlab.catalog()}
    assert {"dataset", "model", "loss", "optimizer", "schedule", "metric"} <= kinds
    assert all(e.kind == "loss" for e in trainlab.catalog("losses"))
    with pytest.raises(UnknownNameError, match="did you mean 'optimizers'"):
        trainlab.catalog("optimizerz")


def test_option_docs_come_from_the_google_args_section():
    from trainlab.registry import Registry

    registry = Registry("thing")

    class Thing:
        """A thing.

        Args:
            size: How big it is,
                in metres.
            colour: Its colour.

        Raises:
            ValueError: never listed as an option.
        """

        def __init__(self, size: float = 1.0, colour: str = "red"):
            self.size, self.colour = size, colour

    registry.add("thing", Thing)
    options = registry.get("thing").describe()["options"]
    assert options["size"]["doc"] == "How big it is, in metres."
    assert options["colour"]["doc"] == "Its colour."
    assert "ValueError" not in options

"""load_user_model and build_model with "package.module:factory" references."""

import contextvars
import sys
import textwrap
import uuid

import pytest
import torch
from torch import nn

from trainlab.errors import ConfigError, ModelError
from trainlab.models import build_model, load_user_model
from trainlab.references import CodeReferenceError, trusting_code

SOURCE = """
import torch
from torch import nn


def make_net(input_shape, num_outputs, hidden: int = 4):
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[-1], hidden), nn.ReLU(), nn.Linear(hidden, num_outputs))


def make_any(**options):
    return nn.Linear(options["input_shape"][0], options["num_outputs"])


class FixedNet(nn.Module):
    def __init__(self, width: int = 3):
        super().__init__()
        self.linear = nn.Linear(5, width)

    def forward(self, x):
        return self.linear(x)


class Builders:
    @staticmethod
    def small(num_outputs):
        return nn.Linear(5, num_outputs)


def not_a_model(input_shape, num_outputs):
    return [nn.Linear(5, num_outputs)]


NOT_CALLABLE = 3
"""


@pytest.fixture(autouse=True)
def consent():
    """These tests are about resolving references, which needs the user's consent to run code."""
    with trusting_code():
        yield


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """The name of a fresh module defining SOURCE, importable from a temporary directory."""
    name = f"user_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_factory_gets_the_data_arguments_and_options(user_module):
    model = build_model(f"{user_module}:make_net", (5,), 3, hidden=7)
    assert model[1].out_features == 7
    assert model(torch.randn(2, 5)).shape == (2, 3)


def test_factory_taking_kwargs_gets_the_data_arguments(user_module):
    model = load_user_model(f"{user_module}:make_any", (5,), 2)
    assert (model.in_features, model.out_features) == (5, 2)


def test_class_without_data_arguments_gets_only_the_options(user_module):
    model = build_model(f"{user_module}:FixedNet", (5,), 3, width=2)
    assert isinstance(model, nn.Module) and model.linear.out_features == 2


def test_dotted_attribute_is_followed(user_module):
    assert load_user_model(f"{user_module}:Builders.small", (5,), 4).out_features == 4


def test_unknown_option_is_a_config_error_under_the_users_key(user_module):
    with pytest.raises(ConfigError) as info:
        build_model(f"{user_module}:make_net", (5,), 3, hiden=7)
    (problem,) = info.value.problems
    assert problem.key == "model.hiden"
    assert "did you mean 'hidden'" in problem.message


def test_option_of_the_wrong_type_is_a_config_error(user_module):
    with pytest.raises(ConfigError, match="model.hidden"):
        build_model(f"{user_module}:make_net", (5,), 3, hidden="many")


def test_missing_module_names_the_spec_and_the_fix():
    with pytest.raises(CodeReferenceError) as info:
        build_model("no_such_module_xyz.models:make", (5,), 3)
    message = str(info.value)
    assert message.startswith("model.name: cannot import module 'no_such_module_xyz.models'")
    assert "no_such_module_xyz.models:make" in message and "PYTHONPATH" in message


def test_module_with_a_missing_dependency_says_which(tmp_path, monkeypatch):
    name = f"user_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("import not_installed_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CodeReferenceError, match="needs the module 'not_installed_dependency_xyz'"):
        build_model(f"{name}:make", (5,), 3)


def test_missing_attribute_suggests_the_closest(user_module):
    with pytest.raises(CodeReferenceError) as info:
        build_model(f"{user_module}:make_nett", (5,), 3)
    message = str(info.value)
    assert f"'{user_module}' has no attribute 'make_nett'" in message
    assert "did you mean 'make_net'" in message


def test_missing_nested_attribute_names_its_owner(user_module):
    with pytest.raises(
        CodeReferenceError, match=f"'{user_module}:Builders' has no attribute 'smal'.*did you mean 'small'"
    ):
        build_model(f"{user_module}:Builders.smal", (5,), 3)


def test_result_that_is_not_a_module_is_a_model_error(user_module):
    with pytest.raises(ModelError, match="returned list, not a torch.nn.Module"):
        build_model(f"{user_module}:not_a_model", (5,), 3)


def test_attribute_that_is_not_callable_is_refused(user_module):
    with pytest.raises(CodeReferenceError, match="is a int, not a function or class"):
        build_model(f"{user_module}:NOT_CALLABLE", (5,), 3)


@pytest.mark.parametrize("spec", ["module:", ":factory", "a:b:c"])
def test_malformed_reference_shows_the_expected_form(spec):
    with pytest.raises(CodeReferenceError, match="write 'package.module:factory'"):
        load_user_model(spec, (5,), 3)


def test_data_arguments_cannot_be_user_options(user_module):
    with pytest.raises(ConfigError, match="model.input_shape: is set by trainlab"):
        build_model(f"{user_module}:make_net", (5,), 3, input_shape=(4,))


def test_without_consent_no_reference_is_imported(user_module):
    def build():
        with pytest.raises(
            CodeReferenceError, match=f"model.name: '{user_module}:make_net' names Python code"
        ):
            build_model(f"{user_module}:make_net", (5,), 3)
        assert user_module not in sys.modules  # refused before importing anything

    # The autouse fixture consented in this test's context; a fresh context has no consent.
    contextvars.Context().run(build)


def test_a_factory_that_raises_is_one_message_naming_where(tmp_path, monkeypatch):
    name = f"user_models_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "def make(input_shape, num_outputs):\n    raise ValueError('width must be even')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CodeReferenceError) as info:
        build_model(f"{name}:make", (5,), 3)
    message = str(info.value)
    assert f"model.name: '{name}:make' raised ValueError while calling it: width must be even" in message
    assert f"{name}.py:2, in make" in message

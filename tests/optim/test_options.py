"""Catalog-wide options: param groups by name, no decay on biases and norms, weight_decay_mode, implementation."""

import pytest
import torch

import trainlab
from trainlab.errors import ConfigError
from trainlab.optim import chosen_implementation
from trainlab.registry import OPTIMIZERS


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Linear(4, 6)
        self.norm = torch.nn.LayerNorm(6)
        self.head = torch.nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.norm(self.body(x)))


def groups_by_name(optimizer, model):
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(p)]: g for g in optimizer.param_groups for p in g["params"]}


def test_biases_and_norm_parameters_are_not_decayed_by_default():
    model = Net()
    optimizer = OPTIMIZERS.create("adamw", list(model.named_parameters()), weight_decay=0.1)
    decay = {n: g["weight_decay"] for n, g in groups_by_name(optimizer, model).items()}
    assert decay == {
        "body.weight": 0.1,
        "body.bias": 0.0,
        "norm.weight": 0.0,
        "norm.bias": 0.0,
        "head.weight": 0.1,
        "head.bias": 0.0,
    }
    everything = OPTIMIZERS.create(
        "adamw", list(model.named_parameters()), weight_decay=0.1, decay_norm_and_bias=True
    )
    assert {g["weight_decay"] for g in everything.param_groups} == {0.1}


def test_param_groups_by_pattern_set_their_own_options():
    model = Net()
    optimizer = OPTIMIZERS.create(
        "lion", list(model.named_parameters()), lr=1e-4, param_groups=[{"pattern": "head.*", "lr": 1e-2}]
    )
    lrs = {n: g["lr"] for n, g in groups_by_name(optimizer, model).items()}
    assert lrs["head.weight"] == lrs["head.bias"] == 1e-2
    assert lrs["body.weight"] == 1e-4


def test_recipe_param_groups_reach_the_optimizer():
    recipe = {
        "data": "iris",
        "model": "mlp",
        "train": {"steps": 2},
        "optimizer": {
            "name": "adamw",
            "lr": 1e-3,
            "weight_decay": 0.05,
            "param_groups": [{"pattern": "linear2.*", "lr": 1e-2}],
        },
    }
    result = trainlab.fit(recipe, save=False)
    assert 1e-2 in {g["lr"] for g in result.summary["optimizer"]["param_groups"]}


def test_bad_param_group_options_name_the_key():
    bad = {
        "data": "iris",
        "model": "mlp",
        "train": {"steps": 1},
        "optimizer": {"name": "adamw", "param_groups": [{"pattern": "x", "lrr": 1}]},
    }
    with pytest.raises(ConfigError, match=r"optimizer\.param_groups"):
        trainlab.fit(bad, save=False)
    unmatched = {
        "data": "iris",
        "model": "mlp",
        "train": {"steps": 1},
        "optimizer": {"name": "adamw", "param_groups": [{"pattern": "nothing.*"}]},
    }
    with pytest.raises(
        ConfigError, match=r"optimizer\.param_groups\[0\]\.pattern: 'nothing\.\*' matches no parameter"
    ):
        trainlab.fit(unmatched, save=False)


def test_bad_mode_and_implementation_name_the_key():
    bad = {
        "data": "iris",
        "model": "mlp",
        "train": {"steps": 1},
        "optimizer": {"name": "sgd", "weight_decay_mode": "l3", "implementation": "fast"},
    }
    with pytest.raises(ConfigError) as caught:
        trainlab.fit(bad, save=False)
    assert "optimizer.weight_decay_mode" in str(caught.value) and "optimizer.implementation" in str(
        caught.value
    )


# ---- weight_decay_mode ------------------------------------------------------------------------------


def one_step(name, mode, weight=2.0, grad=0.5, **options):
    w = torch.tensor([[weight]], dtype=torch.float64, requires_grad=True)  # 2-D: a weight, so it is decayed
    optimizer = OPTIMIZERS.create(name, [w], weight_decay=0.1, weight_decay_mode=mode, **options)
    w.grad = torch.tensor([[grad]], dtype=torch.float64)
    optimizer.step()
    return w.item()


def test_sgd_decoupled_shrinks_the_weight_and_l2_adds_to_the_gradient():
    assert one_step("sgd", "l2", lr=0.1) == pytest.approx(2.0 - 0.1 * (0.5 + 0.1 * 2.0))
    assert one_step("sgd", "decoupled", lr=0.1) == pytest.approx(2.0 * (1 - 0.1 * 0.1) - 0.1 * 0.5)


def test_adam_decoupled_is_adamw_and_adamw_l2_is_adam():
    # Adam's first step is lr·sign(g̃): with l2 the decay only enters g̃; decoupled shrinks the weight.
    assert one_step("adam", "l2", lr=0.1) == pytest.approx(2.0 - 0.1, rel=1e-6)
    assert one_step("adam", "decoupled", lr=0.1) == pytest.approx(2.0 * (1 - 0.01) - 0.1, rel=1e-6)
    assert one_step("adamw", "l2", lr=0.1) == pytest.approx(one_step("adam", "l2", lr=0.1))


@pytest.mark.parametrize("name", [e.name for e in OPTIMIZERS if "weight_decay_mode" in e.parameters()])
def test_every_mode_of_every_decaying_optimizer_builds_and_steps(name):
    for mode in ("l2", "decoupled"):
        assert one_step(name, mode) != 2.0


# ---- implementation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adam", "adamw", "amsgrad", "adagrad"])
def test_default_on_cpu_is_fused_where_torch_has_a_kernel(name):
    assert chosen_implementation(OPTIMIZERS.create(name, [torch.zeros(2, requires_grad=True)])) == "fused"


@pytest.mark.parametrize(
    "name", ["rmsprop", "nadam", "radam", "adamax", "adadelta", "lion", "lamb", "adabelief"]
)
def test_default_without_a_fused_kernel_is_foreach(name):
    assert chosen_implementation(OPTIMIZERS.create(name, [torch.zeros(2, requires_grad=True)])) == "foreach"


@pytest.mark.parametrize(
    ("name", "implementation", "expected"),
    [
        ("adam", "foreach", "foreach"),
        ("adam", "loop", "loop"),
        ("lion", "loop", "loop"),
        ("rmsprop", "loop", "loop"),
    ],
)
def test_implementation_can_be_overridden(name, implementation, expected):
    optimizer = OPTIMIZERS.create(name, [torch.zeros(2, requires_grad=True)], implementation=implementation)
    assert chosen_implementation(optimizer) == expected


@pytest.mark.parametrize("name", ["rmsprop", "lion", "nadam"])
def test_impossible_fused_is_a_config_error(name):
    with pytest.raises(ConfigError, match=r"optimizer\.implementation: .*fused"):
        OPTIMIZERS.create(name, [torch.zeros(2, requires_grad=True)], implementation="fused")


def test_fused_and_loop_give_the_same_adamw_steps():
    results = []
    for implementation in ("fused", "foreach", "loop"):
        w = torch.linspace(-1, 1, 7, requires_grad=True)
        optimizer = OPTIMIZERS.create("adamw", [w], lr=0.1, implementation=implementation)
        for _ in range(5):
            optimizer.zero_grad()
            (w**3).sum().backward()
            optimizer.step()
        results.append(w.detach())
    torch.testing.assert_close(results[0], results[2])
    torch.testing.assert_close(results[1], results[2])

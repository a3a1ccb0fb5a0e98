"""arcface, cosface and sphereface against their papers' formulas in angles, the cosine head, and the refusal of a plain head."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.cli import main
from trainlab.losses.margin_softmax import ArcFace, CosFace, SphereFace
from trainlab.models import build_model
from trainlab.nn import CosineLinear


def _cosines(n=64, k=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    cosine = torch.rand(n, k, generator=generator, dtype=torch.float64) * 2 - 1
    target = torch.randint(k, (n,), generator=generator)
    return cosine, target


def _reference_loss(cosine, target, scale, true_logit):
    logits = scale * cosine.clone()
    for i, y in enumerate(target.tolist()):
        logits[i, y] = scale * true_logit(math.acos(float(cosine[i, y])))
    return F.cross_entropy(logits, target)


def test_cosface_subtracts_the_margin_from_the_true_cosine():
    cosine, target = _cosines()
    loss = CosFace(scale=10.0, margin=0.35)(cosine, target)
    expected = _reference_loss(cosine, target, 10.0, lambda theta: math.cos(theta) - 0.35)
    torch.testing.assert_close(loss, expected)


def test_arcface_adds_the_margin_to_the_true_angle_and_stays_monotone_past_pi_minus_m():
    cosine, target = _cosines(seed=1)
    m = 0.5

    def true_logit(theta):
        if theta + m <= math.pi:
            return math.cos(theta + m)
        return math.cos(theta) - m * math.sin(m)  # the official code's continuation past the turn

    loss = ArcFace(scale=8.0, margin=m)(cosine, target)
    torch.testing.assert_close(loss, _reference_loss(cosine, target, 8.0, true_logit))
    angles = torch.linspace(0.01, math.pi - 0.01, 400, dtype=torch.float64)
    logits = ArcFace(margin=m).target_logit(torch.cos(angles))
    assert torch.all(logits[1:] < logits[:-1])  # a worse angle always costs more


def test_sphereface_psi_is_the_monotone_extension_of_cos_m_theta():
    cosine, target = _cosines(seed=2)

    def psi(theta, m=4):
        k = math.floor(theta * m / math.pi)
        return (-1) ** k * math.cos(m * theta) - 2 * k

    loss = SphereFace(scale=6.0, margin=4)(cosine, target)
    torch.testing.assert_close(loss, _reference_loss(cosine, target, 6.0, psi))
    angles = torch.linspace(0.0, math.pi, 500, dtype=torch.float64)
    values = SphereFace(margin=4).target_logit(torch.cos(angles))
    assert torch.all(values[1:] <= values[:-1] + 1e-9)


def test_a_zero_margin_is_normalized_softmax():
    cosine, target = _cosines(seed=3)
    for loss in (CosFace(scale=5.0, margin=0.0), ArcFace(scale=5.0, margin=0.0)):
        torch.testing.assert_close(loss(cosine, target), F.cross_entropy(5.0 * cosine, target))


def test_the_cosine_head_outputs_cosines_between_normalized_features_and_weights():
    model = build_model("mlp", (6,), 4, head="cosine", width=8)
    assert isinstance(model.head, CosineLinear)
    x = torch.randn(10, 6)
    features = model[:-1](x)
    expected = F.normalize(features, dim=1) @ F.normalize(model.head.weight, dim=1).T
    torch.testing.assert_close(model(x), expected)


@pytest.mark.parametrize("loss", ["arcface", "cosface", "sphereface"])
def test_each_trains_from_a_recipe_on_a_cosine_head(loss):
    result = trainlab.fit(
        {
            "data": "iris",
            "model": {"name": "mlp", "head": "cosine", "width": 16},
            "loss": loss,
            "optimizer": {"name": "adam", "lr": 0.01},
            "train": {"steps": 60, "batch_size": 32},
        },
        save=False,
        verbose=0,
    )
    assert result.summary["test"]["accuracy"] > 0.6


def test_cross_entropy_temperature_divides_the_logits():
    logits, target = torch.randn(8, 3), torch.randint(3, (8,))
    loss = trainlab.registry.get_registry("loss").get("cross_entropy").build(temperature=0.25)
    torch.testing.assert_close(loss(logits, target), F.cross_entropy(logits * 4, target))


def test_a_margin_loss_on_a_plain_linear_head_is_refused_with_the_fix(tmp_path, capsys):
    recipe = tmp_path / "arc.yaml"
    recipe.write_text("data: iris\nmodel: mlp\nloss: arcface\ntrain: {steps: 2}\n")
    assert main(["fit", str(recipe), "--out", str(tmp_path / "run")]) == 2
    output = "".join(capsys.readouterr())
    assert "loss.name: arcface" in output and "model.head: cosine" in output and "Traceback" not in output
    assert not (tmp_path / "run").exists()

"""time_stretch, elastic and contrast against the coordinates and statistics they should produce."""

from __future__ import annotations

import pytest
import torch

import trainlab
from trainlab.data.transforms import ContrastJitter, ElasticDeform, TimeStretch


def test_time_stretch_maps_a_ramp_to_the_ramp_scaled_about_the_centre():
    torch.manual_seed(0)
    length = 41
    ramp = torch.linspace(-1, 1, length).repeat(64, 1, 1)  # (N, 1, L): value = grid coordinate
    stretched, _ = TimeStretch(amount=0.3)(ramp, torch.zeros(64))
    torch.manual_seed(0)
    factors = 1 + 0.3 * (2 * torch.rand(64) - 1)  # the same draw
    expected = (torch.linspace(-1, 1, length)[None, :] / factors[:, None]).clamp(-1, 1)
    torch.testing.assert_close(stretched[:, 0], expected, atol=1e-5, rtol=0)


def test_time_stretch_of_zero_amount_and_of_feature_vectors_keeps_shapes_and_values():
    signals = torch.randn(5, 2, 30)
    torch.testing.assert_close(TimeStretch(amount=0.0)(signals, torch.zeros(5))[0], signals)
    features = torch.randn(5, 12)
    assert TimeStretch(amount=0.2)(features, torch.zeros(5))[0].shape == (5, 12)


def test_elastic_moves_each_pixel_by_its_smoothed_displacement():
    torch.manual_seed(1)
    height, width = 12, 10
    ramp_x = torch.arange(width, dtype=torch.float32).expand(height, width)
    images = ramp_x.repeat(4, 1, 1, 1)  # value = the pixel's x coordinate
    deform = ElasticDeform(alpha=1.5, sigma=2.0)
    warped, _ = deform(images, torch.zeros(4))
    torch.manual_seed(1)
    field = deform.displacement(4, height, width, images)
    source_x = ramp_x[None] + field[:, 0]
    source_y = torch.arange(height, dtype=torch.float32)[:, None] + field[:, 1]
    inside = (source_x >= 0) & (source_x <= width - 1) & (source_y >= 0) & (source_y <= height - 1)
    torch.testing.assert_close(warped[:, 0][inside], source_x[inside], atol=1e-4, rtol=0)
    # Smoothing makes neighbours move together: adjacent displacements correlate strongly.
    dx = field[:, 0]
    correlation = torch.corrcoef(torch.stack([dx[:, :, :-1].flatten(), dx[:, :, 1:].flatten()]))[0, 1]
    assert correlation > 0.8


def test_elastic_with_zero_alpha_is_the_identity():
    images = torch.randn(3, 1, 8, 8)
    torch.testing.assert_close(ElasticDeform(alpha=0.0)(images, torch.zeros(3))[0], images, atol=1e-6, rtol=0)


def test_contrast_keeps_each_images_mean_and_scales_its_spread():
    images = torch.randn(16, 3, 8, 8) + 5
    torch.manual_seed(2)
    jittered, _ = ContrastJitter(amount=0.5)(images, torch.zeros(16))
    torch.manual_seed(2)
    factors = 1 + 0.5 * (2 * torch.rand(16) - 1)
    torch.testing.assert_close(jittered.mean(dim=(1, 2, 3)), images.mean(dim=(1, 2, 3)), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        jittered.std(dim=(1, 2, 3)), factors * images.std(dim=(1, 2, 3)), rtol=1e-4, atol=0
    )


@pytest.mark.parametrize(
    ("data", "augment"),
    [
        ("mnist1d", {"name": "time_stretch"}),
        ("digits", {"name": "elastic"}),
        ("digits", {"name": "contrast"}),
    ],
)
def test_each_trains_from_a_recipe(data, augment):
    model = "cnn1d" if data == "mnist1d" else "cnn2d"
    result = trainlab.fit(
        {"data": data, "model": model, "augment": [augment], "train": {"steps": 3, "batch_size": 16}},
        save=False,
        verbose=0,
    )
    assert result.history and all(torch.isfinite(p).all() for p in result.model.parameters())

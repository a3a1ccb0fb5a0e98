"""Augmentations and mixup/cutmix: what each does to a batch, soft targets, odd and last batches."""

import pytest
import torch

import trainlab
from trainlab.data import CutMix, Mixup


def test_shift_rolls_each_sample_by_at_most_max_shift():
    torch.manual_seed(0)
    x = torch.arange(10.0).repeat(6, 1, 1)
    shifted, _ = trainlab.create("augmentation", "shift", max_shift=2)(x, torch.zeros(6))
    for row in shifted[:, 0]:
        offsets = [k for k in range(-2, 3) if torch.equal(row, torch.roll(x[0, 0], k))]
        assert offsets


def test_scale_noise_flip_crop_rotate_keep_shapes_and_do_what_they_say():
    torch.manual_seed(0)
    signal = torch.ones(4, 1, 20)
    scaled, _ = trainlab.create("augmentation", "scale", amount=0.2)(signal, torch.zeros(4))
    factors = scaled[:, 0, 0]
    assert torch.all((factors >= 0.8) & (factors <= 1.2)) and torch.all(scaled == factors[:, None, None])
    noisy, _ = trainlab.create("augmentation", "noise", std=0.5)(torch.zeros(1000, 10), torch.zeros(1000))
    assert noisy.std().item() == pytest.approx(0.5, rel=0.05)
    image = torch.randn(8, 1, 5, 5)
    flipped, _ = trainlab.create("augmentation", "flip", p=1.0)(image, torch.zeros(8))
    torch.testing.assert_close(flipped, image.flip(-1))
    cropped, _ = trainlab.create("augmentation", "crop", padding=1)(image, torch.zeros(8))
    assert cropped.shape == image.shape
    rotated, _ = trainlab.create("augmentation", "rotate", degrees=0.0)(image, torch.zeros(8))
    torch.testing.assert_close(rotated, image, atol=1e-5, rtol=0)


def test_crop_is_a_translation_with_zero_fill():
    torch.manual_seed(1)
    image = torch.arange(16.0).reshape(1, 1, 4, 4).repeat(20, 1, 1, 1)
    cropped, _ = trainlab.create("augmentation", "crop", padding=1)(image, torch.zeros(20))
    padded = torch.nn.functional.pad(image[0], (1, 1, 1, 1))
    for out in cropped:
        assert any(
            torch.equal(out, padded[:, dy : dy + 4, dx : dx + 4]) for dy in range(3) for dx in range(3)
        )


def test_mixup_mixes_inputs_and_one_hot_labels_with_the_same_lambda():
    torch.manual_seed(0)
    x, y = torch.randn(7, 3), torch.arange(7)  # odd-sized batch; distinct labels reveal the partners
    mixed_x, mixed_y = Mixup(alpha=0.4, p=1.0, num_classes=7)(x, y)
    assert mixed_y.shape == (7, 7)
    torch.testing.assert_close(mixed_y.sum(1), torch.ones(7))
    lam = mixed_y.diagonal().min()  # a sample paired with itself keeps weight 1
    for i in range(7):
        partner = i if mixed_y[i, i] == 1 else int((mixed_y[i] - lam * torch.eye(7)[i]).argmax())
        torch.testing.assert_close(mixed_x[i], lam * x[i] + (1 - lam) * x[partner])


def test_mixup_of_a_single_sample_is_unchanged():
    x, y = torch.randn(1, 5), torch.tensor([2])
    mixed_x, mixed_y = Mixup(num_classes=3, alpha=0.2, p=1.0)(x, y)
    torch.testing.assert_close(mixed_x, x)
    torch.testing.assert_close(mixed_y, torch.tensor([[0.0, 0.0, 1.0]]))


@pytest.mark.parametrize("shape", [(5, 1, 8, 8), (5, 1, 40), (5, 12)])
def test_cutmix_labels_mix_by_the_pasted_area(shape):
    torch.manual_seed(3)
    x = torch.zeros(shape)
    x[1:] = 1.0  # sample 0 is zeros, the rest ones
    y = torch.arange(5)
    mixed_x, mixed_y = CutMix(alpha=1.0, p=1.0, num_classes=5)(x, y)
    assert mixed_x.shape == x.shape
    for i in range(5):
        own = mixed_y[i, i].item()
        other = 1 - own
        # The share of a sample's values that changed equals the label weight moved to its partner.
        changed = (mixed_x[i] != x[i]).float().mean().item()
        assert changed <= other + 1e-6
    torch.testing.assert_close(mixed_y.sum(1), torch.ones(5))


def test_augmentation_on_the_wrong_input_kind_is_a_config_error():
    recipe = {"data": "iris", "model": "mlp", "train": {"steps": 1}, "augment": ["flip"]}
    with pytest.raises(trainlab.errors.ConfigError, match=r"augment\[0\]: 'flip' augments image inputs"):
        trainlab.fit(recipe, save=False)


def test_mixup_trains_with_dense_and_class_index_losses():
    for loss in ("cross_entropy", "focal", "mse", "bce"):
        recipe = {
            "data": "iris",
            "model": "mlp",
            "loss": loss,
            "augment": [{"name": "mixup"}],
            "train": {"steps": 2, "batch_size": 7},
        }
        assert trainlab.fit(recipe, save=False).summary["run"]["steps"] == 2


@pytest.mark.parametrize(
    ("name", "options"),
    [("shift", {"max_shift": -1}), ("scale", {"amount": 1.0}), ("flip", {"p": 1.5}), ("mixup", {"alpha": 0})],
)
def test_options_are_checked_against_the_class_signature(name, options):
    option = next(iter(options))
    with pytest.raises(trainlab.errors.ConfigError, match=option):
        trainlab.create("augmentation", name, **options)

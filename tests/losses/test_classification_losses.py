"""BCE with pos_weight, NLL, KL divergence and the hinge losses against their definitions."""

import torch
import torch.nn.functional as F

import trainlab


def test_bce_pos_weight_matches_the_formula():
    logits, targets = torch.randn(6, 3, dtype=torch.float64), torch.randint(0, 2, (6, 3)).double()
    p = torch.sigmoid(logits)
    expected = -(3.0 * targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()
    torch.testing.assert_close(trainlab.create("loss", "bce", pos_weight=3.0)(logits, targets), expected)


def test_nll_of_log_softmax_is_cross_entropy():
    logits, labels = torch.randn(9, 4, dtype=torch.float64), torch.randint(0, 4, (9,))
    torch.testing.assert_close(
        trainlab.create("loss", "nll")(logits, labels), F.cross_entropy(logits, labels)
    )


def test_kl_div_matches_the_formula():
    logits = torch.randn(5, 3, dtype=torch.float64)
    target = torch.softmax(torch.randn(5, 3, dtype=torch.float64), 1)
    q = torch.softmax(logits, 1)
    expected = (target * torch.log(target / q)).sum(1).mean()
    torch.testing.assert_close(trainlab.create("loss", "kl_div")(logits, target), expected)


def test_binary_hinge_and_squared_hinge():
    scores, targets = torch.randn(7, 2, dtype=torch.float64), torch.randint(0, 2, (7, 2)).double()
    y = 2 * targets - 1
    margins = torch.clamp(1 - y * scores, min=0)
    torch.testing.assert_close(trainlab.create("loss", "hinge")(scores, targets), margins.mean())
    torch.testing.assert_close(trainlab.create("loss", "squared_hinge")(scores, targets), (margins**2).mean())


def test_multiclass_hinge_is_weston_watkins():
    scores, labels = torch.randn(6, 4, dtype=torch.float64), torch.randint(0, 4, (6,))
    true = scores.gather(1, labels[:, None])
    terms = torch.clamp(1 - true + scores, min=0).scatter(1, labels[:, None], 0.0)
    torch.testing.assert_close(
        trainlab.create("loss", "multiclass_hinge")(scores, labels), (terms.sum(1) / 4).mean()
    )


def test_ldam_subtracts_the_class_margin_before_scaled_ce():
    counts = [100, 10, 1]
    logits, labels = torch.randn(8, 3, dtype=torch.float64), torch.randint(0, 3, (8,))
    margins = torch.tensor([n**-0.25 for n in counts], dtype=torch.float64)
    margins = margins * 0.5 / margins.max()
    shifted = logits - F.one_hot(labels, 3) * margins
    loss = trainlab.create("loss", "ldam", class_counts=counts, scale=10.0)
    torch.testing.assert_close(loss(logits, labels), F.cross_entropy(10.0 * shifted, labels))


def test_distillation_matches_hinton_et_al():
    from trainlab.losses import distillation_loss

    student, teacher = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
    labels, t = torch.randint(0, 4, (6,)), 3.0
    p_teacher = torch.softmax(teacher / t, 1)
    soft = (p_teacher * (torch.log(p_teacher) - torch.log_softmax(student / t, 1))).sum(1).mean()
    expected = 0.7 * t**2 * soft + 0.3 * F.cross_entropy(student, labels)
    torch.testing.assert_close(distillation_loss(student, labels, teacher, t, 0.7), expected)

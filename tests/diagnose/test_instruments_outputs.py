"""The outputs instrument against softmax statistics computed with numpy."""

import numpy as np
import pytest
import torch
from instrument_loops import batch, one_intra_op_thread, tiny_classifier  # noqa: F401 (an autouse fixture)

from trainlab.diagnose import Monitor
from trainlab.diagnose.instruments.outputs import output_statistics


def test_logit_scale_confidence_entropy_and_class_histogram_match_numpy():
    model = tiny_classifier()
    inputs, _ = batch(0, size=64)
    logits = model(inputs).detach().numpy().astype(np.float64)
    monitor = Monitor(model, None, instruments=["outputs"])
    model(inputs).sum().backward()
    monitor.after_backward()
    monitor.after_step()
    (row,) = monitor.flush()
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    assert row["layer"] == "output"
    assert row["logit_scale"] == pytest.approx(logits.std(ddof=1), rel=1e-5)
    assert row["max_prob"] == pytest.approx(probs.max(axis=1).mean(), rel=1e-5)
    assert row["entropy"] == pytest.approx(-(probs * np.log(probs)).sum(axis=1).mean(), rel=1e-5)
    assert row["class_hist"] == np.bincount(logits.argmax(axis=1), minlength=3).tolist()


def test_uniform_logits_have_entropy_ln_c():
    stats = output_statistics(torch.zeros(5, 10))
    assert stats["entropy"].item() == pytest.approx(np.log(10))
    assert stats["max_prob"].item() == pytest.approx(0.1)


def test_per_position_outputs_count_every_position():
    logits = torch.randn(2, 4, 7)  # (N, C, L): a prediction per position
    stats = output_statistics(logits)
    assert stats["class_hist"].sum().item() == 14
    assert (
        stats["class_hist"].tolist() == np.bincount(logits.argmax(1).flatten().numpy(), minlength=4).tolist()
    )


def test_a_regression_output_gets_no_row():
    model = torch.nn.Linear(3, 1)
    monitor = Monitor(model, None, instruments=["outputs"])
    model(torch.randn(4, 3)).sum().backward()
    monitor.after_backward()
    monitor.after_step()
    assert monitor.flush() == []

"""The size facts of every run's summary.json: parameters, non-zero parameters, format, bytes on disk."""

import json

import pytest
import torch
from torch import nn

from trainlab.compress.size import model_facts


def test_facts_count_parameters_zeros_and_formats_by_hand(tmp_path):
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2, bias=False).to(torch.float64))
    with torch.no_grad():
        model[0].weight[0].zero_()  # 4 zeros
        model[1].bias.zero_()  # 3 zeros (BatchNorm's bias starts at 0 anyway)
    facts = model_facts(model)
    parameters = 4 * 3 + 3 + 3 + 3 + 3 * 2
    assert facts["parameters"] == parameters
    assert facts["nonzero_parameters"] == parameters - 4 - 3
    assert facts["sparsity"] == pytest.approx((4 + 3) / parameters)
    # running mean and var are float32 too; num_batches_tracked is int64
    assert facts["dtypes"] == {"float32": 12 + 3 + 3 + 3 + 3 + 3, "float64": 6, "int64": 1}
    assert facts["dtype"] == "float32"
    assert facts["weights_bytes"] is None


def test_a_fit_run_records_its_weights_file_size(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    facts = summary["model"]
    assert facts["weights_bytes"] == (tiny_run / "model.safetensors").stat().st_size
    assert facts["parameters"] == summary["run"]["parameters"] == 40 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10
    assert facts["nonzero_parameters"] == facts["parameters"]  # nothing trained is exactly zero
    assert facts["dtype"] == "float32"

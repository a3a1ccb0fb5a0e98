"""Muon takes the 2-D weights; everything else is routed to AdamW, and the run summary says so."""

import torch

import trainlab
from trainlab.optim import MuonWithAdamW


def test_routes_by_tensor_rank():
    model = torch.nn.Sequential(torch.nn.Conv1d(1, 4, 3), torch.nn.Flatten(), torch.nn.Linear(8, 3))
    optimizer = MuonWithAdamW(model.parameters(), lr=0.02, adamw_lr=1e-3)
    muon, adamw = optimizer.inner
    assert [p.ndim for g in muon.param_groups for p in g["params"]] == [2]
    assert sorted(p.ndim for g in adamw.param_groups for p in g["params"]) == [1, 1, 3]
    assert optimizer.routing == {
        "muon": {"tensors": 1, "parameters": 24},
        "adamw": {"tensors": 3, "parameters": 19},
    }
    assert {g["lr"] for g in adamw.param_groups} == {1e-3}


def test_run_summary_shows_the_routing():
    result = trainlab.fit(
        {"data": "iris", "model": "mlp", "optimizer": "muon", "train": {"steps": 2}}, save=False
    )
    routing = result.summary["optimizer"]["routing"]
    assert set(routing) == {"muon", "adamw"}
    assert (
        routing["muon"]["parameters"] + routing["adamw"]["parameters"] == result.summary["run"]["parameters"]
    )

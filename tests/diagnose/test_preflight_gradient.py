"""The gradient check as a pre-flight row, and the report as a whole (order, counts, exit code)."""

import torch
from preflight_data import RECIPE, healthy
from test_gradcheck import CubeNet, WrongCube

from trainlab.diagnose import preflight
from trainlab.diagnose.preflight import CHECK_ORDER


def test_the_recipes_model_passes_the_gradient_check():
    report = preflight(RECIPE, data=healthy(), checks=["gradcheck"])
    assert report.result("gradcheck").status == "pass"


def test_a_wrong_backward_fails_the_row_naming_the_tensor():
    torch.manual_seed(0)
    model = CubeNet(WrongCube)
    model.hidden = torch.nn.Linear(6, 6)  # the data's 6 features
    row = preflight(RECIPE, data=healthy(), model=model, checks=["gradcheck"]).result("gradcheck")
    assert row.status == "fail" and "hidden.weight" in row.measured


def test_checks_run_in_checklist_order_whatever_order_they_are_named_in():
    report = preflight(RECIPE, data=healthy(), checks=["batch_independence", "init_loss", "duplicates"])
    assert [r.check.split(".")[0] for r in report.results] == ["duplicates"] * 3 + [
        "init_loss",
        "batch_independence",
    ]
    assert (
        CHECK_ORDER.index("duplicates")
        < CHECK_ORDER.index("init_loss")
        < CHECK_ORDER.index("batch_independence")
    )
    assert report.counts() == {"pass": 5, "warn": 0, "fail": 0, "skip": 0}

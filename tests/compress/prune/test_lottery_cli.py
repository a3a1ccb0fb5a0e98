"""trainlab lottery: the three models' scores printed and written, and a bad sparsity refused."""

import json

import pytest
import yaml

RECIPE = {
    "data": "mnist1d",
    "model": {"name": "mlp", "width": 16, "depth": 1},
    "train": {"steps": 12, "batch_size": 64, "progress": False},
}


@pytest.mark.slow  # three short trainings
def test_the_command_prints_and_writes_dense_ticket_and_control(tmp_path, cli):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    code, output = cli("lottery", recipe, "--sparsity", "0.5", "--rounds", "1", "--out", tmp_path / "out")
    assert code == 0, output
    assert "winning ticket" in output and "random re-init" in output
    result = json.loads((tmp_path / "out" / "lottery.json").read_text())
    assert set(result) >= {"dense", "ticket", "random_reinit", "sparsity", "rounds"}
    assert result["sparsity"] == pytest.approx(0.5, abs=0.01)


def test_a_sparsity_of_one_is_refused_before_any_training(tmp_path, cli, one_message):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    code, output = cli("lottery", recipe, "--sparsity", "1.0", "--out", tmp_path / "out")
    one_message(code, output, "sparsity")
    assert not (tmp_path / "out").exists()

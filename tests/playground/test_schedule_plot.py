"""``trainlab schedule plot``: the curve it draws is the schedule's, and bad specs are one clear error."""

import json

from trainlab.cli import main
from trainlab.playground.schedule_plot import schedule_curve


def test_plot_writes_a_png(tmp_path):
    out = tmp_path / "curve.png"
    assert main(["schedule", "plot", "{name: one_cycle}", "--steps", "50", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_json_curve_has_momentum_only_when_it_changes(capsys):
    assert main(["schedule", "plot", "{name: cosine, warmup_steps: 5}", "--steps", "20", "--json"]) == 0
    curve = json.loads(capsys.readouterr().out)
    assert len(curve["lr"]) == 20 and "momentum" not in curve
    assert "momentum" in schedule_curve({"name": "one_cycle"}, 20)


def test_unknown_schedule_is_a_user_error(capsys):
    assert main(["schedule", "plot", "cosin"]) == 2
    assert "did you mean 'cosine'" in capsys.readouterr().err

"""trainlab report: the HTML of a run and of an experiment, its numbers checked against scipy and sklearn."""

import base64
import math
import re

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import precision_recall_fscore_support

from report.run_dirs import CLASSES, FINDING, confusion, make_experiment, make_run
from trainlab.cli import main
from trainlab.experiment.statistics import holm
from trainlab.report import write_report
from trainlab.report.figures import figure_data_uri, new_figure
from trainlab.report.run_data import per_class_metrics

IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def images(html: str) -> list[bytes]:
    return [base64.b64decode(match) for match in IMAGE.findall(html)]


def assert_self_contained(html: str) -> None:
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html
    for png in images(html):
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_figure_data_uri_is_a_png():
    figure, (axes,) = new_figure()
    axes.plot([0, 1], [1, 0])
    uri = figure_data_uri(figure)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG")
    assert figure_data_uri(figure, "svg").startswith("data:image/svg+xml;base64,")


def test_per_class_metrics_match_sklearn():
    matrix = [[8, 2, 0], [1, 6, 3], [0, 0, 0]]
    truth = [i for i, row in enumerate(matrix) for j, count in enumerate(row) for _ in range(count)]
    predicted = [j for row in matrix for j, count in enumerate(row) for _ in range(count)]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=[0, 1, 2], zero_division=np.nan
    )
    rows = per_class_metrics(matrix, CLASSES)
    assert [row["class"] for row in rows] == CLASSES
    for k in range(3):  # the third class has no samples: recall and F1 are undefined, not 0
        assert rows[k]["precision"] == pytest.approx(precision[k], nan_ok=True)
        assert rows[k]["recall"] == pytest.approx(recall[k], nan_ok=True)
        assert rows[k]["f1"] == pytest.approx(f1[k], nan_ok=True)
        assert rows[k]["support"] == support[k]
    assert math.isnan(rows[2]["recall"])


def test_run_report(tmp_path):
    run = make_run(tmp_path / "run", accuracy=0.85, diagnosis=[FINDING])
    written = write_report(run)
    assert written == run / "report.html"
    html = written.read_text()
    assert_self_contained(html)
    assert len(images(html)) == 3  # learning curves, LR schedule, confusion matrix
    assert (
        "0.85" in html and "dead ReLU units in 2 layer(s)" in html and "model.activation=leaky_relu" in html
    )
    f1_fox = per_class_metrics(confusion(0.85), CLASSES)[2]["f1"]
    assert f"{f1_fox:.4g}" in html
    assert "statistics" not in html.lower()


def test_run_report_of_a_diverged_run(tmp_path, unrendered_figures):
    html = write_report(make_run(tmp_path / "run", diverged=True)).read_text()
    assert "NonFiniteLossError" in html and "The run has no final evaluation" in html
    assert len(images(html)) == 2  # curves and lr; no confusion matrix without a final evaluation


def test_experiment_report_statistics(tmp_path, unrendered_figures):
    accuracies = {
        "base": [0.80, 0.82, 0.79, 0.81, 0.80],
        "better": [0.83, 0.86, 0.81, 0.85, 0.82],
        "noisy": [0.90, 0.70, 0.85, 0.75, 0.82],
    }
    directory = make_experiment(tmp_path / "exp", accuracies, "base", diverged={"noisy": [4]})
    html = write_report(directory).read_text()
    assert_self_contained(html)
    # final metric, curves, lr, and one confusion matrix per variant
    assert len(images(html)) == 3 + 3
    base = np.array(accuracies["base"])
    p_better = stats.ttest_rel(accuracies["better"], base).pvalue
    p_noisy = stats.ttest_rel(accuracies["noisy"][:4], base[:4]).pvalue
    adjusted = holm([p_better, p_noisy])
    gain = 100 * (np.mean(accuracies["better"]) - base.mean())
    assert f"better by {gain:.3g} points [" in html
    assert f"p = {adjusted[0]:.2g}, 5 seeds, Holm-adjusted" in html
    assert f"{adjusted[1]:.2g}" in html and "not resolved by 4 seeds" in html
    assert "+1 diverged" in html and "noisy diverged (NaN/inf) on 1 seed (4)" in html
    assert f"{base.mean():.4g}" in html
    assert "dead ReLU units" in html and "base: seed 0" in html


def test_experiment_report_has_a_section_per_compared_metric(tmp_path, unrendered_figures):
    metrics = [{"name": "accuracy", "direction": "maximize"}, {"name": "loss", "direction": "minimize"}]
    accuracies = {"base": [0.80, 0.82, 0.79, 0.81, 0.80], "better": [0.83, 0.86, 0.81, 0.85, 0.82]}
    html = write_report(make_experiment(tmp_path / "exp", accuracies, "base", metrics=metrics)).read_text()
    assert "accuracy on the test split" in html and "loss on the test split" in html
    assert "(lower is better)" in html
    # loss = 1 - accuracy here: 0.03 lower, in the loss's own units (no percentage points for a loss)
    loss_gain = np.mean(accuracies["better"]) - np.mean(accuracies["base"])
    assert f"better by {loss_gain:.3g} [" in html


def test_experiment_report_with_too_few_seeds(tmp_path, unrendered_figures):
    directory = make_experiment(tmp_path / "exp", {"a": [0.8, 0.7], "b": [0.9, 0.8]}, "a")
    html = write_report(directory).read_text()
    assert "too few seeds to tell" in html and "a paired test needs at least 3" in html


def test_report_cli_writes_the_page(tmp_path, unrendered_figures):
    run = make_run(tmp_path / "run")
    out = tmp_path / "elsewhere" / "page.html"
    assert main(["report", str(run), "--out", str(out)]) == 0
    assert out.is_file() and not (run / "report.html").exists()


@pytest.mark.parametrize("make", ["missing", "empty", "recipe_only"])
def test_report_cli_bad_directory(tmp_path, capsys, make):
    target = tmp_path / "thing"
    if make != "missing":
        target.mkdir()
    if make == "recipe_only":
        (target / "recipe.yaml").write_text("name: x\n")
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(target) in err and "trainlab fit" in err
    assert not (target / "report.html").exists()


def test_report_cli_bad_split(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    assert main(["report", str(run), "--split", "holdout"]) == 2
    assert "--split 'holdout'" in capsys.readouterr().err
    assert not (run / "report.html").exists()

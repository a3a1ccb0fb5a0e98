"""`trainlab experiment` on bad input: one message naming the key or URL, exit code 2, nothing written."""

import pytest
import yaml

BASE = {"data": "digits", "model": {"name": "mlp", "width": 8}, "train": {"steps": 3}}


def write_spec(tmp_path, **fields):
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "cli", "base": BASE, "variants": {"a": {}, "b": {}}, **fields}))
    return path


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"seedz": 3}, ["seedz: unknown key; did you mean 'seeds'?"]),
        (
            {"variants": {"a": {}, "b": {"optimizer.lrr": 0.1}}},
            ["variants.b.optimizer.lrr", "did you mean 'lr'?"],
        ),
        (
            {"variants": {"a": {}, "b": {"train.stepz": 9}}},
            ["variants.b.train.stepz", "did you mean 'steps'?"],
        ),
        ({"baseline": "c"}, ["baseline: 'c' is not a variant", "variants: a, b"]),
    ],
)
def test_a_bad_spec_is_one_message_naming_the_key_and_nothing_is_written(
    tmp_path, fields, named, cli, one_message
):
    out = tmp_path / "out"
    code, output = cli("experiment", "run", str(write_spec(tmp_path, **fields)), "--out", str(out))
    one_message(code, output, "exp.yaml", *named)
    assert not out.exists()


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("postgresql://me:secret@127.0.0.1:1/experiments", "postgresql://me:***@127.0.0.1:1/experiments"),
        ("not-a-url", "--storage not-a-url is not a database URL"),
    ],
)
def test_an_unreachable_storage_is_one_message_naming_the_url(tmp_path, url, named, cli, one_message):
    out = tmp_path / "out"
    code, output = cli("experiment", "run", str(write_spec(tmp_path)), "--out", str(out), "--storage", url)
    one_message(code, output, named)
    assert "secret" not in output and "sqlalchemy" not in output.lower()
    assert not out.exists()


def test_status_of_a_folder_without_an_experiment_is_one_message(tmp_path, cli, one_message):
    code, output = cli("experiment", "status", str(tmp_path))
    one_message(code, output, "not an experiment directory")


def test_a_missing_spec_file_is_one_message(tmp_path, cli, one_message):
    code, output = cli("experiment", "run", str(tmp_path / "nope.yaml"))
    one_message(code, output, "nope.yaml")

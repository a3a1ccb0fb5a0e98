"""Cells in a real PostgreSQL storage: two runner processes claim a grid's cells, none twice.

Skips where PostgreSQL's server binaries or the psycopg driver are absent; as root, the throwaway
server runs as the `postgres` user (initdb refuses root)."""

import glob
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

from trainlab.experiment import storage as cells

pytestmark = pytest.mark.slow
pytest.importorskip("psycopg")
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb")]
if INITDB[-1] is None:
    pytest.skip("PostgreSQL is not installed (apt-get install postgresql)", allow_module_level=True)
BIN = os.path.dirname(INITDB[-1])
CELLS = [f"v{v}/seed-{s}" for v in range(6) for s in range(2)]

RUNNER = f"""
import sys, time
from trainlab.experiment import storage as cells
study = cells.ExperimentStudy(cells.open_storage(sys.argv[1]), "pg")
study.queue({CELLS!r})
while (claim := study.claim()) is not None:
    time.sleep(0.05)
    study.finish(claim, {{"status": "finished"}}, 1.0)
"""


@pytest.fixture
def server():
    as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Not under pytest's tmp_path, whose parents the postgres user may not enter.
    root = tempfile.mkdtemp(prefix="trainlab-pg-")
    os.chmod(root, 0o755)
    data = pathlib.Path(root) / "pg"
    data.mkdir()
    if as_server:
        shutil.chown(data, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subprocess.run(
        [*as_server, f"{BIN}/initdb", "-D", f"{data}/data", "-A", "trust", "-U", "trainlab"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_server,
            f"{BIN}/pg_ctl",
            "-D",
            f"{data}/data",
            "-l",
            f"{data}/log",
            "-w",
            "-o",
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [f"{BIN}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "trainlab", "cells"], check=True
        )
        yield f"postgresql://trainlab@127.0.0.1:{port}/cells"
    finally:
        subprocess.run(
            [*as_server, f"{BIN}/pg_ctl", "-D", f"{data}/data", "-m", "immediate", "stop"],
            capture_output=True,
        )


def test_two_runners_on_postgresql_claim_every_cell_once(server):
    runners = [
        subprocess.Popen([sys.executable, "-c", RUNNER, server], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for runner in runners:
        assert runner.wait(timeout=300) == 0, runner.stderr.read()
    study = cells.ExperimentStudy(cells.open_storage(server), "pg", create=False)
    closed = {}
    for trial in study.trials():
        if cells.RECORD_ATTR in trial.user_attrs:
            closed.setdefault(trial.user_attrs[cells.CELL_ATTR], []).append(trial.state.name)
    assert sorted(closed) == sorted(CELLS)
    assert all(states == ["COMPLETE"] for states in closed.values())
    assert len(study.trials()) == len(
        CELLS
    )  # the advisory lock: runners started together queue each cell once

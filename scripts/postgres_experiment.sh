#!/usr/bin/env bash
# Two `trainlab experiment run` processes share a 12-run grid through a real PostgreSQL server, and every
# run is done exactly once (issue 12 §1).
#
# Installs PostgreSQL (Debian package) if it is absent, starts a throwaway server on localhost in a
# temporary directory (as the `postgres` user when run as root: initdb refuses root), runs two runners
# against it, each with its own experiment directory as if on two machines, then reads the storage:
# every cell must have exactly one closed trial, and the two directories' runs must add up to the grid
# with no cell in both. The server and its files are removed at the end.
#
#     scripts/postgres_experiment.sh            # the active virtualenv's python, else the repository's .venv
#     PYTHON=/path/to/python scripts/postgres_experiment.sh
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$REPO/.venv/bin/python" ]; then PYTHON=$REPO/.venv/bin/python; else PYTHON=python; fi
fi
"$PYTHON" -c "import trainlab" 2>/dev/null || { echo "$PYTHON cannot import trainlab; set PYTHON=.venv/bin/python" >&2; exit 2; }
"$PYTHON" -c "import psycopg" 2>/dev/null || "$PYTHON" -m pip install -q "psycopg[binary]"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update
    apt-get install -y postgresql
fi
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")

WORK=$(mktemp -d)
chmod 755 "$WORK"
mkdir -p "$WORK/pg"
if [ "$(id -u)" = 0 ]; then
    chown postgres "$WORK/pg"
    AS_SERVER=(runuser -u postgres --)
else
    AS_SERVER=()
fi
PORT=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")

stop() {
    "${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap stop EXIT

"${AS_SERVER[@]}" "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U trainlab >/dev/null
"${AS_SERVER[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
    -o "-p $PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U trainlab experiments
URL="postgresql://trainlab@127.0.0.1:$PORT/experiments"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on $URL"

cat >"$WORK/grid.yaml" <<'YAML'
name: postgres-grid
base:
  data: digits
  model: {name: mlp, width: 32}
  train: {steps: 150, checkpoint_every: 50}
grid:
  optimizer.name: [adam, sgd]
  optimizer.lr: [0.001, 0.01, 0.1]
seeds: 2
YAML

# Two runners started together, each with its own directory: as on two machines that share only the URL.
"$PYTHON" -m trainlab experiment run "$WORK/grid.yaml" --storage "$URL" --out "$WORK/machine-a" >"$WORK/a.log" 2>&1 &
A=$!
"$PYTHON" -m trainlab experiment run "$WORK/grid.yaml" --storage "$URL" --out "$WORK/machine-b" >"$WORK/b.log" 2>&1 &
B=$!
wait $A || { cat "$WORK/a.log"; exit 1; }
wait $B || { cat "$WORK/b.log"; exit 1; }

"$PYTHON" - "$URL" "$WORK" <<'PY'
import sys
from pathlib import Path

from trainlab.experiment import storage as cells

url, work = sys.argv[1], Path(sys.argv[2])
study = cells.ExperimentStudy(cells.open_storage(url), "postgres-grid", create=False)
closed = {}
for trial in study.trials():
    if cells.RECORD_ATTR in trial.user_attrs:
        closed.setdefault(trial.user_attrs[cells.CELL_ATTR], []).append(trial)
ran = {name: {f"{p.parent.parent.name}/{p.parent.name}" for p in (work / name).glob("runs/*/*/summary.json")}
       for name in ("machine-a", "machine-b")}
print(f"{'cell':<32} {'trials':>6}  state     ran in")
for cell in sorted(closed):
    where = [name for name, done in ran.items() if cell in done]
    print(f"{cell:<32} {len(closed[cell]):>6}  {closed[cell][0].state.name:<8}  {', '.join(where)}")
both = ran["machine-a"] & ran["machine-b"]
ok = len(closed) == 12 and all(len(t) == 1 for t in closed.values()) and not both
ok = ok and len(ran["machine-a"] | ran["machine-b"]) == 12
print(f"runner a ran {len(ran['machine-a'])}, runner b ran {len(ran['machine-b'])}, in both: {len(both)}; "
      f"{len(study.trials())} trials in the storage")
print("every run done exactly once" if ok else "FAIL: a cell was run twice or not at all")
sys.exit(0 if ok else 1)
PY
"$PYTHON" -m trainlab experiment status "$WORK/machine-a" --storage "$URL" | tail -2

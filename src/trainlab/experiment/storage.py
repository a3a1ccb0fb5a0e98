"""The experiment's cells in Optuna storage: one trial per cell, claimed atomically, kept alive by heartbeats.

The storage is an Optuna ``RDBStorage`` (SQLite in the experiment directory by default; any SQLAlchemy URL,
e.g. ``postgresql://user@host/db``, for runners on several machines), so ``optuna-dashboard URL`` reads it.
The experiment is the study ``trainlab-experiment:<name>``; each cell is a trial whose user attribute
``trainlab.cell`` is ``<variant>/seed-<k>``:

- **queued**: every runner enqueues (``WAITING``) the cells that have no live or finished trial;
- **claimed**: a runner moves a ``WAITING`` trial to ``RUNNING``; the storage does this under a row lock
  (``SELECT ... FOR UPDATE``), so two runners never get the same trial. Queueing and claiming are also
  serialized between runners (a file lock beside a SQLite database, which has no row locks; an advisory
  lock on PostgreSQL), so runners started together queue each cell once. Should two trials of one cell
  exist anyway (another server), only the lowest-numbered live one runs; the other is closed as a duplicate;
- **alive**: the runner records a heartbeat for each trial it runs. A trial whose heartbeat is older than
  the grace period is failed by Optuna's ``fail_stale_trials`` (its runner died) and the cell is queued
  again; on the same machine a runner whose process is gone is noticed at once;
- **done**: ``COMPLETE`` with the primary metric as its value (finished), ``PRUNED`` (diverged: no valid
  value) or ``FAIL`` with an error (failed). The user attribute ``trainlab.record`` holds the result.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import socket
import time
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage

STUDY_PREFIX = "trainlab-experiment:"
CELL_ATTR = "trainlab.cell"
RECORD_ATTR = "trainlab.record"
OWNER_ATTR = "trainlab.owner"
DUPLICATE_ATTR = "trainlab.duplicate_of"
# Failed cells of trials numbered below this study attribute were re-queued by `--retry-failed`.
RETRY_BEFORE_ATTR = "trainlab.retry_failed_before"
HEARTBEAT_S = 5
# A runner on another machine counts as dead after this long without a heartbeat.
GRACE_S = 30
STORAGE_FILE = "optuna.db"


def default_storage_url(directory: str | os.PathLike[str]) -> str:
    return f"sqlite:///{(Path(directory) / STORAGE_FILE).resolve()}"


def shown_url(url: str) -> str:
    """The URL with its password masked, for messages and for experiment.yaml."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say it as given
        return url


def open_storage(url: str) -> RDBStorage:
    """Connect to an Optuna RDB storage, with heartbeats.

    Raises:
        TrainlabError: an unknown URL, a missing database driver, or a server that does not answer,
            in one message naming the URL and the fix.
    """
    import optuna
    import sqlalchemy.exc

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    shown = shown_url(url)
    sqlite = url.startswith("sqlite")
    engine_kwargs: dict[str, Any] = (
        {"connect_args": {"timeout": 60}}
        if sqlite
        else {"pool_pre_ping": True, "connect_args": _timeout(url)}
    )
    fix = (
        "check that the server runs and that the URL's host, port, user, password and database are right "
        "(postgresql://USER:PASSWORD@HOST:5432/DATABASE), or leave out --storage to use DIR/optuna.db"
    )
    try:
        # Runners started together would race to create the tables (SQLite: one at a time; a server: retry).
        with file_lock(sqlite_lock_path(url)), warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: experimental
            for attempt in range(3):
                try:
                    return optuna.storages.RDBStorage(
                        url, engine_kwargs=engine_kwargs, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S
                    )
                except sqlalchemy.exc.IntegrityError:
                    if attempt == 2:
                        raise
                    time.sleep(1.0 + attempt)
            raise AssertionError("unreachable")
    except ImportError as exc:
        missing = getattr(exc.__cause__, "name", None) or exc.name or "for this URL"
        raise TrainlabError(
            f"--storage {shown}: the database driver '{missing}' is not installed; "
            "pip install 'trainlab[postgres]' for PostgreSQL (psycopg), or use a sqlite:/// URL"
        ) from None
    except sqlalchemy.exc.ArgumentError:
        raise TrainlabError(
            f"--storage {shown} is not a database URL; use e.g. postgresql://USER@HOST:5432/DATABASE "
            "or sqlite:///path/to/optuna.db"
        ) from None
    except (sqlalchemy.exc.SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise TrainlabError(f"--storage {shown}: cannot connect ({reason}); {fix}") from None


def sqlite_lock_path(url: str) -> Path | None:
    """For a SQLite file, the file whose lock serializes claims (SQLite has no row locks); None for a server."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix + ":memory:":
        return None
    return Path(url[len(prefix) :]).with_suffix(".lock")


@contextlib.contextmanager
def file_lock(path: Path | None) -> Iterator[None]:
    """An exclusive lock on ``path`` for the block (none when ``path`` is None)."""
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _timeout(url: str) -> dict[str, Any]:
    return {"connect_timeout": 10} if url.startswith("postgres") else {}


@dataclass(frozen=True)
class Claim:
    """A cell this runner holds: the trial's storage id and number, and the cell key."""

    trial_id: int
    number: int
    cell: str


class ExperimentStudy:
    """The experiment's study in the storage: queue, claim, keep alive and close its cells.

    Args:
        storage: An Optuna RDB storage (see :func:`open_storage`).
        name: The experiment's name.
        maximize: Direction of the primary metric, for the study's value.
        create: Create the study when it does not exist; otherwise :class:`TrainlabError`.
        serialize: Take a lock around queueing and claiming (a file lock for SQLite, which has no row
            locks; an advisory lock on PostgreSQL); tests of the bare row-lock path turn it off.
    """

    def __init__(
        self,
        storage: RDBStorage,
        name: str,
        *,
        maximize: bool = True,
        create: bool = True,
        serialize: bool = True,
    ):
        import optuna

        self.storage = storage
        self.study_name = STUDY_PREFIX + name
        self.serialize = serialize
        self.lock_path = sqlite_lock_path(str(storage.url)) if serialize else None
        try:
            if create:
                study = optuna.create_study(
                    storage=storage,
                    study_name=self.study_name,
                    direction="maximize" if maximize else "minimize",
                    load_if_exists=True,
                )
            else:
                study = optuna.load_study(storage=storage, study_name=self.study_name)
        except KeyError:
            raise TrainlabError(
                f"the storage holds no experiment '{name}' (study {self.study_name}); run it first"
            ) from None
        self.study = study
        self.study_id = study._study_id
        self.owner = _owner()

    # -- reading -----------------------------------------------------------------------------

    def trials(self) -> list[optuna.trial.FrozenTrial]:
        return self.storage.get_all_trials(self.study_id, deepcopy=False)

    def latest_by_cell(self) -> dict[str, optuna.trial.FrozenTrial]:
        """For each cell, the trial that speaks for it: a finished one, else a live one, else the newest."""
        retry_before = self._retry_before()
        best: dict[str, optuna.trial.FrozenTrial] = {}
        for trial in self.trials():
            cell = trial.user_attrs.get(CELL_ATTR)
            if cell is None or trial.user_attrs.get(DUPLICATE_ATTR) is not None:
                continue
            if cell not in best or _rank(trial, retry_before) >= _rank(best[cell], retry_before):
                best[cell] = trial
        return best

    # -- the queue -----------------------------------------------------------------------------

    def queue(self, cells: Iterable[str]) -> int:
        """Enqueue every cell without a live or finished trial; returns how many were enqueued."""
        with self._lock():
            retry_before = self._retry_before()
            covered = {
                cell for cell, trial in self.latest_by_cell().items() if _rank(trial, retry_before) >= 2
            }
            missing = [cell for cell in cells if cell not in covered]
            for cell in missing:
                self.study.enqueue_trial({}, user_attrs={CELL_ATTR: cell})
        return len(missing)

    def retry_failed(self) -> None:
        """Let the cells that failed with an error run again (diverged cells stay: divergence is a result)."""
        self.storage.set_study_system_attr(self.study_id, RETRY_BEFORE_ATTR, len(self.trials()))

    def claim(self) -> Claim | None:
        """Take a queued cell for this runner, or None when none is queued."""
        from optuna.trial import TrialState

        with self._lock():
            waiting = self.storage.get_all_trials(self.study_id, deepcopy=False, states=(TrialState.WAITING,))
            for trial in sorted(waiting, key=lambda t: t.number):
                if not self.storage.set_trial_state_values(trial._trial_id, TrialState.RUNNING):
                    continue  # another runner took it first
                # A runner killed right here leaves a trial without heartbeat: fail_dead_runners sees to it.
                self.storage.record_heartbeat(trial._trial_id)
                self.storage.set_trial_system_attr(trial._trial_id, OWNER_ATTR, self.owner)
                cell = trial.user_attrs[CELL_ATTR]
                original = self._trial_for(cell)
                if original.number != trial.number:
                    self._close_duplicate(trial._trial_id, original.number)
                    continue
                return Claim(trial._trial_id, trial.number, cell)
        return None

    def heartbeat(self, claims: Iterable[Claim]) -> None:
        for claim in claims:
            self.storage.record_heartbeat(claim.trial_id)

    def finish(self, claim: Claim, record: dict[str, Any], value: float | None) -> None:
        """Close the claim with its result: COMPLETE with ``value``, PRUNED when diverged, FAIL when failed."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        status = record.get("status")
        try:
            self.storage.set_trial_user_attr(claim.trial_id, RECORD_ATTR, record)
            if status == "finished" and value is not None:
                self.storage.set_trial_state_values(claim.trial_id, TrialState.COMPLETE, values=[value])
            elif status in ("finished", "diverged"):
                self.storage.set_trial_state_values(claim.trial_id, TrialState.PRUNED)
            else:
                self.storage.set_trial_state_values(claim.trial_id, TrialState.FAIL)
        except UpdateFinishedTrialError:
            pass  # failed as stale while it ran (a long pause); its cell was queued again and will find the run done

    def release(self, claim: Claim) -> None:
        """Give a claimed cell back (this runner stops before it ran): FAIL it and queue the cell again."""
        from optuna.exceptions import UpdateFinishedTrialError
        from optuna.trial import TrialState

        with contextlib.suppress(UpdateFinishedTrialError):
            self.storage.set_trial_state_values(claim.trial_id, TrialState.FAIL)

    def fail_dead_runners(self) -> None:
        """FAIL the running trials of runners that are gone: stale heartbeats, or a dead process on this machine."""
        import optuna
        from optuna.exceptions import ExperimentalWarning, UpdateFinishedTrialError
        from optuna.trial import TrialState

        from trainlab.experiment.workers import process_alive

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            optuna.storages.fail_stale_trials(self.study)
        host = self.owner.rsplit(":", 1)[0]
        running = self.storage.get_all_trials(self.study_id, deepcopy=False, states=(TrialState.RUNNING,))
        for trial in running:
            owner = str(trial.system_attrs.get(OWNER_ATTR, ""))
            owner_host, _, pid = owner.rpartition(":")
            dead = owner_host == host and pid.isdigit() and not process_alive(int(pid))
            # Claimed by a runner killed before it could sign the claim (and maybe before its first heartbeat).
            unsigned = not owner and _age_s(trial.datetime_start) > GRACE_S
            if dead or unsigned:
                with contextlib.suppress(UpdateFinishedTrialError):
                    self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)

    def running_elsewhere(self) -> int:
        """Cells other runners hold now (this runner waits for them: one may die and need taking over)."""
        return sum(
            1
            for trial in self.latest_by_cell().values()
            if trial.state.name == "RUNNING" and trial.system_attrs.get(OWNER_ATTR) != self.owner
        )

    # -- helpers -------------------------------------------------------------------------------

    def _retry_before(self) -> int:
        return int(self.storage.get_study_system_attrs(self.study_id).get(RETRY_BEFORE_ATTR, -1))

    def _trial_for(self, cell: str) -> optuna.trial.FrozenTrial:
        """The trial that speaks for ``cell``: a done one, else the lowest-numbered queued or running one."""
        retry_before = self._retry_before()
        trials = [
            t
            for t in self.trials()
            if t.user_attrs.get(CELL_ATTR) == cell and t.user_attrs.get(DUPLICATE_ATTR) is None
        ]
        done = [t for t in trials if _rank(t, retry_before) == 3]
        return (
            done[0]
            if done
            else min((t for t in trials if _rank(t, retry_before) == 2), key=lambda t: t.number)
        )

    def _close_duplicate(self, trial_id: int, original: int | None) -> None:
        from optuna.trial import TrialState

        self.storage.set_trial_user_attr(trial_id, DUPLICATE_ATTR, original)
        self.storage.set_trial_state_values(trial_id, TrialState.FAIL)

    def _lock(self) -> contextlib.AbstractContextManager[None]:
        """Serializes queueing and claiming among runners: a file lock for SQLite, an advisory lock on
        PostgreSQL (so runners started together queue each cell once); other servers rely on row locks
        and on closing duplicates."""
        if self.lock_path is not None:
            return file_lock(self.lock_path)
        if self.serialize and self.storage.engine.dialect.name == "postgresql":
            return _advisory_lock(self.storage.engine, zlib.crc32(self.study_name.encode()))
        return contextlib.nullcontext()


@contextlib.contextmanager
def _advisory_lock(engine: Any, key: int) -> Iterator[None]:
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def _rank(trial: optuna.trial.FrozenTrial, retry_before: int) -> int:
    """How much a trial says about its cell: 3 done, 2 queued or running, 1 a failed attempt to retry, 0 none."""
    state = trial.state.name
    if state in ("COMPLETE", "PRUNED"):
        return 3
    if state == "FAIL" and RECORD_ATTR in trial.user_attrs and trial.number >= retry_before:
        return 3  # failed with an error: a result, until --retry-failed
    if state in ("WAITING", "RUNNING"):
        return 2
    return 1 if state == "FAIL" else 0


def _age_s(started: datetime.datetime | None) -> float:
    """Seconds since ``started`` (Optuna stores naive local times); 0 when unknown."""
    return 0.0 if started is None else (datetime.datetime.now() - started).total_seconds()


def _owner() -> str:
    """This runner: the machine (host name and boot id, so that containers named alike differ) and the pid."""
    boot = Path("/proc/sys/kernel/random/boot_id")
    boot_id = boot.read_text().strip()[:8] if boot.exists() else "-"
    return f"{socket.gethostname()}/{boot_id}:{os.getpid()}"

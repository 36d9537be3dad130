"""Settings in one typed place: where the data lives and how status is judged."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR_ENV = "COMMERCE_BRAIN_DATA_DIR"
DATABASE_URL_ENV = "COMMERCE_BRAIN_DATABASE_URL"
# A streaming read replica of the database (PostgreSQL): the monitoring pages read their data
# from it; sessions, sign-in, CSRF and every write stay on the primary (docs/deploy.md).
REPLICA_URL_ENV = "COMMERCE_BRAIN_REPLICA_URL"
DEFAULT_DATA_DIR = Path("data")
DATABASE_FILE = "commerce_brain.sqlite3"
JUMP_FACTOR_ENV = "COMMERCE_BRAIN_IMPORT_JUMP_FACTOR"
DEFAULT_JUMP_FACTOR = 3.0  # an actual ×3 or ÷3 against the same period a year before is worth a second look


@dataclass(frozen=True)
class Settings:
    """Resolved settings. The database URL wins over the data directory."""

    data_dir: Path
    database_url: str
    # None: every read goes to ``database_url``.
    replica_url: str | None = None
    uploads: UploadLimits = field(default_factory=lambda: UploadLimits.from_env())
    # Actuals imports warn when a figure moves by more than this factor year on year.
    import_jump_factor: float = field(default_factory=lambda: jump_factor_from_env())

    @classmethod
    def from_env(cls, *, database_url: str | None = None, data_dir: Path | None = None,
                 replica_url: str | None = None) -> Settings:
        """Explicit arguments first, then the environment, then the defaults. The replica of the
        environment goes only with the environment's database: an explicit database is not
        paired with a replica of some other one."""
        directory = Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
        url = database_url or os.environ.get(DATABASE_URL_ENV)
        if not url:
            url = f"sqlite:///{(directory / DATABASE_FILE).as_posix()}"
        replica = replica_url or (None if database_url else os.environ.get(REPLICA_URL_ENV)) or None
        return cls(data_dir=directory, database_url=url, replica_url=replica)


def jump_factor_from_env() -> float:
    """``COMMERCE_BRAIN_IMPORT_JUMP_FACTOR`` (a number above 1), else ``DEFAULT_JUMP_FACTOR``."""
    given = float(os.environ.get(JUMP_FACTOR_ENV) or DEFAULT_JUMP_FACTOR)
    if not given > 1:
        raise ValueError(f"{JUMP_FACTOR_ENV} must be a number above 1, got {given}")
    return given


MB = 1024 * 1024
UPLOAD_ENV_PREFIX = "COMMERCE_BRAIN_MAX_"


@dataclass(frozen=True)
class SheetLimits:
    """How big a spreadsheet may be before it is parsed: the file itself, an XLSX's members once
    unpacked, how much a member may expand (a zip bomb expands hundreds of times; real sheets
    about ten), and the rows of one sheet or CSV file."""

    file_bytes: int
    unpacked_bytes: int
    rows: int
    expansion: int = 100


@dataclass(frozen=True)
class UploadLimits:
    """Request-body limits at the edge and spreadsheet limits before parsing, with their defaults.

    Each can be changed by an environment variable ``COMMERCE_BRAIN_MAX_<NAME>`` (bytes limits
    in MB, ``rows`` limits as a count), e.g. ``COMMERCE_BRAIN_MAX_ACTUALS_MB=50``.
    """

    actuals_mb: int = 20  # 统计数据 import: tens of thousands of rows are a few MB
    enterprise_mb: int = 200  # 企业数据 import: a million enterprise-years as CSV is ~100 MB
    claim_mb: int = 51  # a claim: 5 attachments of 10 MB each and the form
    evidence_mb: int = 11  # one evidence file of 10 MB and its form (评审核定, a warning's action)
    form_mb: int = 1  # every other request: forms and JSON
    actuals_rows: int = 200_000
    enterprise_rows: int = 2_000_000
    actuals_unpacked_mb: int = 100
    enterprise_unpacked_mb: int = 1024
    # A parse near the limits holds a few hundred MB: at most this many at once per worker
    # process; an upload waiting longer than parse_wait_seconds for its turn is answered 503.
    parallel_parses: int = 2
    parse_wait_seconds: int = 30

    @classmethod
    def from_env(cls) -> UploadLimits:
        """The defaults, each overridden by its environment variable when set."""
        given = {name: int(os.environ[UPLOAD_ENV_PREFIX + name.upper()])
                 for name in cls.__dataclass_fields__ if UPLOAD_ENV_PREFIX + name.upper() in os.environ}
        return cls(**given)

    @property
    def actuals_sheet(self) -> SheetLimits:
        return SheetLimits(self.actuals_mb * MB, self.actuals_unpacked_mb * MB, self.actuals_rows)

    @property
    def enterprise_sheet(self) -> SheetLimits:
        return SheetLimits(self.enterprise_mb * MB, self.enterprise_unpacked_mb * MB, self.enterprise_rows)

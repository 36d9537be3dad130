"""Settings in one typed place: where the data lives and how status is judged."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "COMMERCE_BRAIN_DATA_DIR"
DATABASE_URL_ENV = "COMMERCE_BRAIN_DATABASE_URL"
DEFAULT_DATA_DIR = Path("data")
DATABASE_FILE = "commerce_brain.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Resolved settings. The database URL wins over the data directory."""

    data_dir: Path
    database_url: str

    @classmethod
    def from_env(cls, *, database_url: str | None = None, data_dir: Path | None = None) -> Settings:
        """Explicit arguments first, then the environment, then the defaults."""
        directory = Path(data_dir or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
        url = database_url or os.environ.get(DATABASE_URL_ENV)
        if not url:
            url = f"sqlite:///{(directory / DATABASE_FILE).as_posix()}"
        return cls(data_dir=directory, database_url=url)

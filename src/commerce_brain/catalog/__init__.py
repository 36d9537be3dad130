"""The seeds as data: plans, indicators and org units, loaded and validated at start."""

from .catalog import OBSERVATION_SCHEMA, Catalog, empty_observations
from .load import CatalogError, default_catalog_dir, load_catalog

__all__ = [
    "OBSERVATION_SCHEMA",
    "Catalog",
    "CatalogError",
    "default_catalog_dir",
    "empty_observations",
    "load_catalog",
]

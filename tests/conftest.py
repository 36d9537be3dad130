import sys
from pathlib import Path

import pytest

# The factories module sits beside the tests; make it importable without a package.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def catalog():
    """The packaged catalog, loaded once."""
    from commerce_brain.catalog import load_catalog

    return load_catalog()

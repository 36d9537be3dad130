import sys
from pathlib import Path

import pytest

# The factories module sits beside the tests; make it importable without a package.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session", autouse=True)
def data_dir_outside_the_checkout(tmp_path_factory):
    """The default data directory (uploads awaiting confirmation, the SQLite store) is a temporary
    one for the whole run: an app or command built without one must not write into ./data."""
    import os

    from commerce_brain.settings import DATA_DIR_ENV

    before = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(tmp_path_factory.mktemp("default-data-dir"))
    yield Path(os.environ[DATA_DIR_ENV])
    if before is None:
        os.environ.pop(DATA_DIR_ENV, None)
    else:
        os.environ[DATA_DIR_ENV] = before


@pytest.fixture(scope="session")
def catalog():
    """The packaged catalog, loaded once."""
    from commerce_brain.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for the session: yours (COMMERCE_BRAIN_TEST_PG_URL) or a private one."""
    import os

    from pg_server import TemporaryPostgres

    if os.environ.get("COMMERCE_BRAIN_TEST_PG_URL"):
        yield os.environ["COMMERCE_BRAIN_TEST_PG_URL"]
        return
    server = TemporaryPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def engines_disposed_after_each_test(monkeypatch):
    """Every engine a test makes — its own and each app's — is disposed when the test ends. A web
    test's app is never shut down (TestClient without ``with`` runs no lifespan), and on PostgreSQL
    each forgotten pool keeps a connection open until the server answers “too many clients
    already” to the rest of the run. Disposing only empties the pool: an engine a longer-lived
    fixture keeps still works and opens a new connection when next used."""
    from commerce_brain.store import schema

    made = []
    real = schema.create_engine

    def recording(*args, **kwargs):
        engine = real(*args, **kwargs)
        made.append(engine)
        return engine

    monkeypatch.setattr(schema, "create_engine", recording)
    yield
    for engine in made:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each store test runs on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'store.sqlite3'}"
    from pg_server import fresh_database

    return fresh_database(request.getfixturevalue("postgres_url"), f"t_{abs(hash(request.node.nodeid)) % 10**12}")

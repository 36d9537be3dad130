"""The monitoring pages' reader: the replica while it answers, the primary while it does not,
and the replica again once it is back."""

from sqlalchemy import create_engine

from commerce_brain.web.replica import ReplicaReader


def test_falls_back_to_the_primary_and_returns_to_the_replica(tmp_path):
    primary = create_engine(f"sqlite:///{tmp_path / 'primary.sqlite3'}")
    # A replica whose folder is not there yet cannot open its database: it does not answer.
    replica = create_engine(f"sqlite:///{tmp_path / 'replica' / 'replica.sqlite3'}")
    reader = ReplicaReader(replica, primary, recheck=3600)
    assert reader.engine() is primary

    (tmp_path / "replica").mkdir()
    assert reader.engine() is primary  # not asked again before the recheck is due
    reader.ask_again()
    assert reader.engine() is replica
    assert reader.engine() is replica

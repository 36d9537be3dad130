"""The 预警中心's table by owner and level (pure: a list of warnings in, one row per owner out)."""

import polars as pl

from commerce_brain.followup import owner_level_counts


def warnings(*rows):
    return pl.DataFrame(rows, schema={"responsible_unit": pl.String, "level": pl.String, "state": pl.String,
                                      "overdue": pl.Boolean}, orient="row")


def test_each_owner_counts_its_red_and_yellow_still_to_answer():
    frame = warnings(
        ("衢江区政府", "red", "open", True),
        ("衢江区政府", "yellow", "acknowledged", False),
        ("衢江区政府", "red", "closed", False),          # closed: counted as closed, not as red
        # A joint warning is each unit's, as the scopes read it.
        ("衢江区政府、龙游县政府", "yellow", "action_taken", False),
        ("柯桥区纺织品外贸预警点", "red", "escalated", True),
        ("柯桥区纺织品外贸预警点", "red", "open", False),
        (None, "yellow", "open", False),
    )
    table = owner_level_counts(frame)
    assert table.to_dicts() == [
        {"owner": "柯桥区纺织品外贸预警点", "red": 2, "yellow": 0, "overdue": 1, "closed": 0, "total": 2},
        {"owner": "衢江区政府", "red": 1, "yellow": 2, "overdue": 1, "closed": 1, "total": 4},
        {"owner": "龙游县政府", "red": 0, "yellow": 1, "overdue": 0, "closed": 0, "total": 1},
        {"owner": None, "red": 0, "yellow": 1, "overdue": 0, "closed": 0, "total": 1},
    ]


def test_no_warnings_no_owners():
    assert owner_level_counts(warnings()).is_empty()
    assert owner_level_counts(warnings()).columns == ["owner", "red", "yellow", "overdue", "closed", "total"]

"""The cockpit's award totals are memoised per audit head (``web/cockpit_figures``): a change of
an award by another worker — here another engine on the same store, as another process has —
shows on the very next request, and nothing changes without a change of state."""

from __future__ import annotations

import re

from test_fulfilment import OFFICER, PASSWORD, data, engine, firm, proposed, sign_in  # noqa: F401 (fixtures)

from commerce_brain import fulfilment as f
from commerce_brain.catalog import load_catalog
from commerce_brain.settings import Settings
from commerce_brain.store.accounts import create_user
from commerce_brain.store.data_state import data_state
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app


def _tile(page: str, state: str) -> int:
    return int(re.search(rf'class="tile award-{state}"[^>]*><span class="n">(\d+)</span>', page).group(1))


def test_an_award_changed_by_another_worker_shows_on_the_next_cockpit_view(engine, database_url):
    f.run_batch(engine, 2023, actor="batch")
    create_user(engine, username="boss", password=PASSWORD, role="leader", display_name="领导", catalog=load_catalog())
    client, _ = sign_in(create_app(Settings.from_env(database_url=database_url)), "boss")
    awards = proposed(engine, year=2023)
    first = client.get("/?year=2023").text
    assert _tile(first, "proposed") == awards.height > 0 and _tile(first, "confirmed") == 0
    assert client.get("/?year=2023").text.count("award-proposed") == first.count("award-proposed")

    other = connect(database_url)  # another worker's engine: this app's memo does not see it
    head = data_state(other).audit_head
    award = awards.row(0, named=True)
    f.confirm(other, award["id"], user=firm(award["uscc"]))
    assert data_state(other).audit_head == head + 1  # the change wrote its audit event
    after = client.get("/?year=2023").text
    assert _tile(after, "proposed") == awards.height - 1 and _tile(after, "confirmed") == 1
    f.approve(other, award["id"], user=OFFICER)
    assert _tile(client.get("/?year=2023").text, "approved") == 1
    other.dispose()

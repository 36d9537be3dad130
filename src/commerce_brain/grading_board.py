"""亩均效益评价 over the store: run an evaluation, read the year's grading within a user's scope,
re-grade an enterprise (手动调档), publish the classes the policy engine reads, draw the
leading-50 lists, and record a competitive allocation — what the CLI, the API and the pages
call.

Every change is written with its audit event in one transaction. What a user reads keeps to
its scope: a county analyst its county's enterprises, an enterprise only itself; a record
outside the scope is answered as a missing one (``NotFound``).

Who may do what: running an evaluation and drawing the lists needs ``run_grading``; a re-grade
and a publication ``regrade_enterprises`` (a class sets money: article 5's A-class uplift);
an allocation ``allocate_funds``. Four eyes on the classes: whoever re-graded an enterprise
may not also publish the year's classes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import polars as pl
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from .access import Scope, filter_visible
from .io.enterprise_import import PolicyData
from .store import grading_tables as gt
from .store.audit import record
from .store.fulfilment_tables import FulfilmentError, NoData, NotFound, SameOfficer, WrongState, actor_name

STORE_SOURCE = "store"  # a run over the stored enterprise data (not a file given for one run)
NO_RUN = "该年度尚未运行亩均效益评价"
# The same words for an enterprise not graded and one outside the scope: nothing tells them apart.
MISSING_ENTERPRISE = "未找到：没有这家企业的评价结果，或不在您的权限范围内"


class GradingInputError(FulfilmentError):
    """A re-grade asked with a class that does not exist or without its reason."""


def settings_digest(settings) -> str:
    """SHA-256 of the settings a run used (their repr: a frozen dataclass's is deterministic and,
    unlike JSON, takes the benchmarks' mixed year/None keys), so two runs can be told apart."""
    return hashlib.sha256(repr(settings).encode()).hexdigest()


def grading_input(data: PolicyData, year: int, org_units: list[str] | None = None) -> pl.DataFrame:
    """The engine's input for ``year``: one row per enterprise with facts that year (its
    enterprise columns, then every yearly fact), within ``org_units`` when given."""
    facts = data.facts.filter(pl.col("year") == year).drop("year")
    frame = data.enterprises.join(facts, on="uscc", how="inner", maintain_order="left")
    if org_units is not None:
        frame = frame.filter(pl.col("org_unit").is_in(org_units))
    return frame


def run_evaluation(engine: Engine, *, year: int, actor, data: PolicyData | None = None,
                   org_unit: str | None = None, source: str | None = None) -> int:
    """Grade ``year``'s enterprises (the stored enterprise data unless ``data``; only
    ``org_unit`` and its subtree when given) and store the run; returns the run id. ``source``
    names where ``data`` came from (a file's name), "store" otherwise."""
    from .catalog import load_catalog
    from .fulfilment.data import load_policy_data
    from .grading.catalog import load_grading_settings
    from .grading.evaluate import evaluate

    name = actor_name(actor, "run_grading")
    units = load_catalog().subtree(org_unit) if org_unit else None
    settings = load_grading_settings()
    source = STORE_SOURCE if data is None else (source or "（程序直接提供）")
    facts = grading_input(data if data is not None else load_policy_data(engine), year, units)
    if facts.is_empty():
        raise NoData(f"{year}年度没有可评价的企业年度数据")
    graded = evaluate(facts, settings, year=year)
    return store_run(engine, graded.graded, graded.out_of_scope, year=year, actor=name, org_unit=org_unit,
                     source=source, digest=settings_digest(settings))


def store_run(engine: Engine, graded: pl.DataFrame, out_of_scope: pl.DataFrame, *, year: int, actor: str,
              org_unit: str | None, source: str, digest: str) -> int:
    """Store an evaluation's ``graded`` and ``out_of_scope`` frames as one run, audited as
    ``grading.run`` in the same transaction; returns the run id."""
    counts = graded.group_by("class").len().sort("class")
    with engine.begin() as conn:
        run_id = gt.insert_run(conn, year=year, org_unit=org_unit, source=source, settings_digest=digest,
                               actor=actor, graded=graded, out_of_scope=out_of_scope)
        record(conn, actor=actor, action="grading.run", object=f"grading_run:{run_id}",
               detail={"year": year, "org_unit": org_unit, "source": source, "settings_digest": digest,
                       "graded": graded.height, "out_of_scope": out_of_scope.height,
                       "classes": dict(zip(counts["class"].to_list(), counts["len"].to_list(), strict=True))})
    return run_id


def _covered(frame: pl.DataFrame, runs: list[dict]) -> pl.DataFrame:
    """Each row (``run_id``, ``org_unit``) kept only from the newest of ``runs`` covering its org
    unit: a county run covers its subtree, a city-wide run everything. So a county graded again
    replaces its own rows and leaves the rest of the city as the city-wide run graded it."""
    from .catalog import load_catalog

    catalog = load_catalog()
    city = max((r["id"] for r in runs if r["org_unit"] is None), default=0)
    covers = pl.DataFrame([(r["id"], unit) for r in runs if r["org_unit"] for unit in catalog.subtree(r["org_unit"])],
                          schema={"owner": pl.Int64, "org_unit": pl.String}, orient="row")
    newest = covers.group_by("org_unit").agg(pl.col("owner").max())
    owner = pl.max_horizontal(pl.col("owner").fill_null(0), pl.lit(city, pl.Int64))
    return (frame.join(newest, on="org_unit", how="left", maintain_order="left")
            .filter(pl.col("run_id") == owner).drop("owner"))


def _year_grading(conn, year: int, *, uscc: str | None = None) -> tuple[list[dict], pl.DataFrame, pl.DataFrame]:
    """``year``'s grading as stored: its runs (``gt.year_runs``), the graded rows and the
    exclusions each from the run that covers the enterprise's org unit (column ``run_id``);
    only ``uscc``'s rows when given. The re-grades are not applied here."""
    runs = gt.year_runs(conn, year)
    graded = pl.concat([gt.read_results(conn, r, uscc=uscc).with_columns(run_id=pl.lit(r["id"], pl.Int64))
                        for r in runs] or [_empty_grading()], how="diagonal_relaxed")
    excluded = pl.concat([gt.read_exclusions(conn, r["id"]).with_columns(run_id=pl.lit(r["id"], pl.Int64))
                          for r in runs] or [pl.DataFrame(schema={**gt.EXCLUSION_SCHEMA, "run_id": pl.Int64})],
                         how="diagonal_relaxed")
    if uscc is not None:
        excluded = excluded.filter(pl.col("uscc") == uscc)
    return runs, _covered(graded, runs), _covered(excluded, runs)


def _empty_grading() -> pl.DataFrame:
    return pl.DataFrame(schema={**{c: t for c, t in gt.RESULT_SCHEMA.items() if c != "detail"}, "run_id": pl.Int64})


def year_runs(engine: Engine, *, year: int) -> list[dict]:
    """The runs making up ``year``'s grading, oldest first (``gt.year_runs``)."""
    with engine.connect() as conn:
        return gt.year_runs(conn, year)


def latest_run(engine: Engine, *, year: int) -> dict | None:
    """The newest run of ``year`` (its record: who, when, source, counts), or None."""
    with engine.connect() as conn:
        return gt.newest_run(conn, year)


def _regraded(graded: pl.DataFrame, regrades: pl.DataFrame) -> pl.DataFrame:
    from .grading.evaluate import apply_regrades

    # Only the re-grades of enterprises this run graded: one graded elsewhere keeps its own.
    mine = regrades.filter(pl.col("uscc").is_in(graded["uscc"].implode()))
    return apply_regrades(graded, mine.select("uscc", pl.col("to_class").alias("class"), "reason",
                                              pl.col("regraded_by").alias("by")))


def latest_grading(engine: Engine, *, year: int, scope: Scope) -> pl.DataFrame:
    """The year's grading with the officers' re-grades applied, one row per graded enterprise
    the scope may see; empty when the year has no run. The year's grading is its newest
    city-wide run, a later county run replacing that county's rows; ``run_id`` names the run
    that graded each row, and its rank and class are within that run's industry groups."""
    with engine.connect() as conn:
        _, graded, _ = _year_grading(conn, year)
        regrades = gt.read_regrades(conn, year)
    return filter_visible(_regraded(graded, regrades), scope)


def enterprise_grading(engine: Engine, *, year: int, uscc: str, scope: Scope) -> dict:
    """One enterprise's grading of ``year`` as the scope may see it: ``{"graded": row}`` (row
    with every column) and its re-grade history, or ``{"out_of_scope": row}`` with the reason
    it was not graded. ``NotFound`` when it is neither, or outside the scope."""
    with engine.connect() as conn:
        _, graded, excluded = _year_grading(conn, year, uscc=uscc)
        graded = filter_visible(_regraded(graded, gt.read_regrades(conn, year)), scope)
        excluded = filter_visible(excluded, scope)
        history = gt.read_regrades(conn, year, newest_only=False).filter(pl.col("uscc") == uscc)
    if graded.height:
        row = graded.row(0, named=True)
        return {"year": year, "run_id": row["run_id"], "graded": row, "regrades": history.to_dicts()}
    if excluded.height:
        row = excluded.row(0, named=True)
        return {"year": year, "run_id": row["run_id"], "out_of_scope": row}
    raise NotFound(MISSING_ENTERPRISE)


def regrade(engine: Engine, *, year: int, uscc: str, to_class: str, reason: str, actor) -> int:
    """Re-grade one enterprise of ``year``'s grading to ``to_class`` with a reason (手动调档),
    stored as the next version and audited as ``grading.regrade``; returns the version."""
    name = actor_name(actor, "regrade_enterprises")
    if to_class not in gt.CLASSES:
        raise GradingInputError(f"类别只能是 {'、'.join(gt.CLASSES)}，不能是“{to_class}”")
    reason = (reason or "").strip()
    if not reason:
        raise GradingInputError("手动调档须写明理由")
    try:
        return _regrade(engine, year=year, uscc=uscc, to_class=to_class, reason=reason, name=name)
    except IntegrityError:  # another officer stored this version first: the class they saw is gone
        raise WrongState("其他人员刚刚调整了该企业的类别，请刷新后重试") from None


def _regrade(engine: Engine, *, year: int, uscc: str, to_class: str, reason: str, name: str) -> int:
    with engine.begin() as conn:
        runs, graded, _ = _year_grading(conn, year, uscc=uscc)
        if not runs:
            raise NotFound(NO_RUN)
        regrades = gt.read_regrades(conn, year)
        current = _regraded(graded, regrades)
        if current.is_empty():
            raise NotFound(MISSING_ENTERPRISE)
        row = current.row(0, named=True)
        if row["class"] == to_class:
            raise WrongState(f"该企业{year}年度已是 {to_class} 类，无需调档")
        # The next version after the one the class was read with (not after whatever is stored
        # by now): a re-grade stored in between makes this insert collide, and it is refused.
        seen = regrades.filter(pl.col("uscc") == uscc)["version"].max() or 0
        version = gt.insert_regrade(conn, year=year, uscc=uscc, version=seen + 1, from_class=row["class"],
                                    to_class=to_class, reason=reason, actor=name)
        record(conn, actor=name, action="grading.regrade", object=f"grading:{year}:{uscc}",
               detail={"year": year, "uscc": uscc, "name": row["name"], "from": row["class"], "to": to_class,
                       "initial": row["initial_class"], "version": version, "reason": reason})
    return version


def publish_classes(engine: Engine, *, year: int, actor) -> int:
    """Publish ``year``'s grading (re-grades applied) as the yearly fact ``mu_class`` the policy
    engine reads, and record the publication — one transaction: the facts (an enterprise-data
    import through ``fulfilment.data.store_fact_values``, versioned, audited as
    ``enterprise_data.save``), the publication and its ``grading.publish`` event are stored
    together or not at all. The publication replaces the year's classes: a class stored for an
    enterprise this grading does not grade (out of scope now, or no longer in the data) is
    cleared, as a new version, and counted. Only runs over the stored enterprise data may be
    published, and not by an officer who re-graded one of their enterprises. Returns the
    publication id."""
    from .fulfilment.data import store_fact_values
    from .store.fact_values import read_values

    name = actor_name(actor, "regrade_enterprises")
    with engine.begin() as conn:
        runs, graded, _ = _year_grading(conn, year)
        if not runs:
            raise NotFound(NO_RUN)
        for run in runs:
            if run["source"] != STORE_SOURCE:
                raise WrongState(f"{year}年度的评价（第 {run['id']} 次）基于文件“{run['source']}”而非已入库的企业数据，"
                                 "不能公布；请先导入企业数据再运行评价")
        regrades = gt.read_regrades(conn, year)
        classes = _regraded(graded, regrades)
        regraders = set(regrades.filter(pl.col("uscc").is_in(classes["uscc"].implode()))["regraded_by"])
        if name in regraders:
            raise SameOfficer("手动调档与公布评价类别须由不同人员办理：您调整过本年度企业的类别，请由其他经办人员公布")
        stale = read_values(conn, names=["mu_class"]).filter(
            (pl.col("year") == year) & pl.col("text").is_not_null() & ~pl.col("uscc").is_in(classes["uscc"].implode()))
        facts = pl.concat([
            classes.select("uscc", pl.lit(year, pl.Int32).alias("year"), pl.col("class").alias("mu_class")),
            stale.select("uscc", pl.lit(year, pl.Int32).alias("year"), pl.lit(None, pl.String).alias("mu_class"))])
        run_id = runs[-1]["id"]
        import_id = store_fact_values(conn, facts, actor=actor,
                                      file_name=f"{year}年度亩均效益评价结果（第 {run_id} 次评价）")
        counts = classes.group_by("class").len().sort("class")
        publication = gt.insert_publication(conn, year=year, run_id=run_id, fact_import_id=import_id,
                                            enterprises=classes.height, cleared=stale.height, actor=name)
        record(conn, actor=name, action="grading.publish", object=f"grading_publication:{publication}",
               detail={"year": year, "run_id": run_id, "runs": [r["id"] for r in runs], "fact_import_id": import_id,
                       "enterprises": classes.height, "cleared": stale.height,
                       "classes": dict(zip(counts["class"].to_list(), counts["len"].to_list(), strict=True))})
    return publication


def publication(engine: Engine, publication_id: int) -> dict:
    """One publication's record (year, the newest run it took, the fact import, how many
    enterprises it published and how many stored classes it cleared, who and when)."""
    with engine.connect() as conn:
        found = gt.read_publication(conn, publication_id)
    if found is None:
        raise NotFound("未找到该次公布")
    return found


def draw_leaders(engine: Engine, *, year: int, rules, actor, data: PolicyData | None = None,
                 size: int = 50) -> int:
    """Draw the leading and benchmark lists (article 1) from ``year``'s grading, re-grades
    applied, under the officer's ``rules`` (``grading.leaders.LeaderRules``): every candidate
    stored with its decision and reason, audited as ``grading.leaders``. Returns the list id."""
    from .fulfilment.data import load_policy_data
    from .grading.leaders import select_leaders

    name = actor_name(actor, "run_grading")
    with engine.connect() as conn:
        runs, graded, _ = _year_grading(conn, year)
        if not runs:
            raise NotFound(NO_RUN)
        graded = _regraded(graded, gt.read_regrades(conn, year))
        run = runs[-1]
    facts = grading_input(data if data is not None else load_policy_data(engine), year)
    chosen = select_leaders(graded, facts, rules, size=size)
    rows = chosen.join(graded.select("uscc", "org_unit"), on="uscc", how="left", maintain_order="left")
    plain = {**(dataclasses.asdict(rules) if dataclasses.is_dataclass(rules) else dict(rules)), "size": size}
    counts = rows.filter(pl.col("selected")).group_by("list").len().sort("list")
    with engine.begin() as conn:
        list_id = gt.insert_leader_list(conn, year=year, run_id=run["id"], rules=plain, rows=rows, actor=name)
        record(conn, actor=name, action="grading.leaders", object=f"grading_leaders:{list_id}",
               detail={"year": year, "run_id": run["id"], "size": size, "candidates": rows.height,
                       "selected": dict(zip(counts["list"].to_list(), counts["len"].to_list(), strict=True))})
    return list_id


def latest_leaders(engine: Engine, *, year: int, scope: Scope) -> dict | None:
    """The newest lists of ``year``: the record (who drew them, when, under which rules) and
    ``rows`` (every candidate: list, uscc, name, org_unit, rank, score, selected, reason) the
    scope may see; None when none were drawn."""
    with engine.connect() as conn:
        found = gt.newest_leader_list(conn, year)
    if found is None:
        return None
    head, rows = found
    return {**head, "rules": json.loads(head["rules"]), "rows": filter_visible(rows, scope)}


def record_allocation(engine: Engine, *, pot, applications: pl.DataFrame, file_name: str, sha256: str,
                      actor, pot_text: str | None = None) -> int:
    """Allocate ``pot`` among ``applications`` (``grading.allocation.allocate``: the exact
    choice and the greedy one beside it) and store the inputs and the result, audited as
    ``grading.allocate``. The result keeps the CLI contract's keys, the exact totals in fen and
    score × 10 000, the score the greedy order leaves on the table, and every application with
    both decisions. Each application is kept with its enterprise's org unit (from the stored
    enterprises), so that a scope sees its own. ``pot_text`` is the pot's YAML as given
    (default: the pot written out). Returns the allocation id."""
    from .fulfilment.data import load_policy_data
    from .grading.allocation import SCORE_SCALE, allocate, exact_json, exact_number

    name = actor_name(actor, "allocate_funds")
    chosen = allocate(pot, applications)
    result = {**chosen.to_contract(), "total_fen": chosen.total_fen, "total_score_e4": chosen.total_score_e4,
              "greedy_total_fen": chosen.greedy_total_fen, "greedy_total_score_e4": chosen.greedy_total_score_e4,
              "gap_score": exact_number(chosen.gap_e4, SCORE_SCALE), "gap_score_e4": chosen.gap_e4,
              "applications": chosen.decisions.select("id", "uscc", "industry", "kind", "requested_fen", "score_e4",
                                                      "selected", "greedy_selected", "reason").to_dicts()}
    known = load_policy_data(engine).enterprises.select("uscc", "org_unit")
    owners = chosen.decisions.select(pl.col("id").cast(pl.String), "uscc").join(known, on="uscc", how="left",
                                                                                maintain_order="left")
    visible = {r["id"]: {"uscc": r["uscc"], "org_unit": r["org_unit"]} for r in owners.iter_rows(named=True)}
    with engine.begin() as conn:
        allocation_id = gt.insert_allocation(conn, pot_name=pot.name, pot_yaml=pot_text or _pot_yaml(pot),
                                             file_name=file_name, sha256=sha256, result_json=exact_json(result),
                                             visible=visible, actor=name)
        record(conn, actor=name, action="grading.allocate", object=f"grading_allocation:{allocation_id}",
               detail={"pot": pot.name, "file": file_name, "sha256": sha256, "applications": applications.height,
                       "selected": len(result["selected"]), "total_fen": chosen.total_fen,
                       "total_score_e4": chosen.total_score_e4, "gap_score_e4": chosen.gap_e4})
    return allocation_id


def published_classes(engine: Engine, year: int) -> pl.DataFrame | None:
    """The stored 亩均效益 classes of ``year`` (``uscc``, ``mu_class``: the published grading or
    an imported class), or None when the store holds no class at all."""
    from .fulfilment.data import load_policy_data

    facts = load_policy_data(engine).facts
    if "mu_class" not in facts.columns:
        return None
    return facts.filter((pl.col("year") == year) & pl.col("mu_class").is_not_null()).select("uscc", "mu_class")


def _pot_yaml(pot) -> str:
    import yaml

    return yaml.safe_dump(dataclasses.asdict(pot), allow_unicode=True, sort_keys=False)


def allocation_view(engine: Engine, allocation_id: int, scope: Scope) -> dict:
    """A stored allocation as the scope may see it: the pot, the file, who and when, the totals
    (exact and greedy) and the decisions — all of them for a city-wide role, only the scope's
    own applications otherwise. ``NotFound`` when missing or none of it is the scope's."""
    with engine.connect() as conn:
        stored = gt.read_allocation(conn, allocation_id)
    if stored is None:
        raise NotFound("未找到：该分配结果不存在，或不在您的权限范围内")
    mine = _visible_applications(stored, scope)
    result = stored["result"]
    if mine != set(stored["visible"]):
        if not mine:
            raise NotFound("未找到：该分配结果不存在，或不在您的权限范围内")
        greedy = result.get("greedy") or {}
        result = {**result, "selected": [i for i in result["selected"] if str(i) in mine],
                  "applications": [a for a in result["applications"] if str(a["id"]) in mine],
                  "greedy": {**greedy, "selected": [i for i in greedy.get("selected", []) if str(i) in mine]},
                  "decisions": [d for d in result["decisions"] if str(d["id"]) in mine]}
    return {k: v for k, v in stored.items() if k not in ("result", "visible")} | {"result": result}


def _visible_applications(stored: dict, scope: Scope) -> set[str]:
    """The ids of a stored allocation's applications the scope may see."""
    owners = pl.DataFrame([{"id": k, **v} for k, v in stored["visible"].items()],
                          schema={"id": pl.String, "uscc": pl.String, "org_unit": pl.String})
    return set(filter_visible(owners, scope)["id"])


def list_allocations(engine: Engine, *, scope: Scope) -> list[dict]:
    """The allocations holding an application the scope may see, newest first: id, pot, file,
    who and when, how many of the scope's applications were selected, and the total score
    (None for a scoped user who sees only part of the allocation)."""
    with engine.connect() as conn:
        stored = [gt.read_allocation(conn, i) for i in gt.allocation_ids(conn)]
    listed = []
    for allocation in stored:
        mine = _visible_applications(allocation, scope)
        if not mine:
            continue
        result = allocation["result"]
        listed.append({"id": allocation["id"], "pot_name": allocation["pot_name"],
                       "file_name": allocation["applications_file"], "by": allocation["allocated_by"],
                       "allocated_at": allocation["allocated_at"],
                       "count": sum(str(i) in mine for i in result["selected"]),
                       "total_score": result["total_score"] if mine == set(allocation["visible"]) else None})
    return listed


def grading_years(engine: Engine) -> list[int]:
    """The years with a run, newest first."""
    with engine.connect() as conn:
        return gt.run_years(conn)


def latest_exclusions(engine: Engine, *, year: int, scope: Scope) -> pl.DataFrame:
    """The enterprises the year's grading left out of scope (each from the run covering its org
    unit, as ``latest_grading``), with the reason, as the scope may see them (empty when the
    year has no run)."""
    with engine.connect() as conn:
        _, _, frame = _year_grading(conn, year)
    return filter_visible(frame, scope)

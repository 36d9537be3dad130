"""Rule test cases as data (OpenFisca-style): a policy officer adds a case without Python.

A case file in ``catalog/policies/cases/`` is a YAML list of cases:

    - name: R&D at exactly 200万 and 3% qualifies (以上 includes the number)
      year: 2023
      enterprises: [{id: A, org_unit: "330800"}]
      facts:
        - {id: A, year: 2022, main_revenue: 6000万, rd_spend: 150万}
        - {id: A, year: 2023, main_revenue: 6000万, rd_spend: 200万}
      events: [{id: A, date: 2023-03-01, kind: enterprise_tech_center, level: national, subject: 中心1}]
      rules: [rd_subsidy]            # optional: compare only these rules' awards
      expect: [{id: A, rule: rd_subsidy, amount: 12.5万, payer: "330800"}]
      error: 衢政发〔2017〕46号       # instead of expect: the evaluation must be refused with this text

Money is written with its unit (元, 万, 亿), rates with % (local_share: 75%, benchmark_rate:
4.35%). Enterprises default to a manufacturing, industrial, unlisted, locally owned firm.
``expect`` lists every award of the case (of ``rules`` when given): a missing or extra award
fails the case, and so does a wrong amount, payer, payee, tranche or review flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ..catalog import Catalog
from ..catalog.load import default_catalog_dir
from .engine import PolicyYearError, evaluate
from .expr_parse import Number, parse
from .frames import ENTERPRISE_SCHEMA, EVENT_SCHEMA, FACT_SCHEMA
from .model import PolicyCatalog

ENTERPRISE_DEFAULTS = {"is_manufacturing": True, "is_industrial": True, "is_listed": False,
                       "is_provincial_or_central_owned": False, "industry": None}
MONEY = {"main_revenue", "rd_spend", "amount", "assessed_award", "already_paid"}
RATES = {"local_share", "benchmark_rate"}
COMPARED = ("amount", "payer", "payee", "tranche", "needs_review")


@dataclass(frozen=True)
class Case:
    """One scenario and the awards it must produce."""

    file: str
    name: str
    data: dict[str, Any]


def load_cases(directory: Path | None = None) -> list[Case]:
    """Every case of every file in the cases folder, in file order."""
    directory = directory or default_catalog_dir() / "policies" / "cases"
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append(Case(file=path.name, name=str(raw.get("name", "?")), data=raw))
    return cases


def money_fen(value: Any) -> int:
    """“12.5万” → 12500000 fen, exactly; a bare number is 元."""
    node = parse(str(value)) if isinstance(value, str) else None
    if isinstance(node, Number):
        amount = node.value if node.money else Fraction(str(value))
    else:
        amount = Fraction(str(value))
    fen = amount * 100
    if fen.denominator != 1:
        raise ValueError(f"{value!r} is not a whole number of fen")
    return int(fen)


def rate_ppm(value: Any) -> int:
    """“4.35%” → 43500 millionths, exactly."""
    node = parse(str(value))
    rate = node.value if isinstance(node, Number) else Fraction(str(value))
    return int(rate * 1_000_000)


def frames(data: dict[str, Any]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The case's enterprises, facts and events as engine frames."""
    enterprises = [{**ENTERPRISE_DEFAULTS, "name": e["id"], **{k: v for k, v in e.items() if k != "id"},
                    "uscc": e["id"], "org_unit": str(e.get("org_unit", "330800"))}
                   for e in data.get("enterprises", [])]
    facts = [{"uscc": f["id"], "year": f["year"], **{k: money_fen(v) for k, v in f.items() if k in MONEY}}
             for f in data.get("facts", [])]
    events = []
    for e in data.get("events", []):
        date = e["date"] if isinstance(e["date"], dt.date) else dt.date.fromisoformat(str(e["date"]))
        row = {"uscc": e["id"], "date": date, "year": date.year}
        for key, value in e.items():
            if key in ("id", "date"):
                continue
            row[key] = money_fen(value) if key in MONEY else rate_ppm(value) if key in RATES else value
        events.append(row)
    return (pl.DataFrame(enterprises, schema=ENTERPRISE_SCHEMA, orient="row") if enterprises
            else pl.DataFrame(schema=ENTERPRISE_SCHEMA),
            pl.DataFrame(facts, schema=FACT_SCHEMA) if facts else pl.DataFrame(schema=FACT_SCHEMA),
            pl.DataFrame(events, schema=EVENT_SCHEMA) if events else pl.DataFrame(schema=EVENT_SCHEMA))


def run_case(case: Case, policies: PolicyCatalog, catalog: Catalog) -> list[str]:
    """The ways the engine disagrees with the case; empty when it passes."""
    data = case.data
    enterprises, facts, events = frames(data)
    try:
        awards = evaluate(enterprises, facts, events, int(data["year"]), policies=policies, catalog=catalog)
    except PolicyYearError as exc:
        if data.get("error") and data["error"] in str(exc):
            return []
        return [f"refused: {exc}"]
    if data.get("error"):
        return [f"expected a refusal mentioning {data['error']!r}, got {awards.height} awards"]
    if data.get("rules"):
        awards = awards.filter(pl.col("rule").is_in(data["rules"]))
    got = [_award(row) for row in awards.iter_rows(named=True)]
    expected = [_expected(e) for e in data.get("expect") or []]
    problems = []
    for want in expected:
        match = next((g for g in got if all(g[k] == v for k, v in want.items() if k in ("id", "rule", "payee", "tranche", "subject"))), None)
        if match is None:
            problems.append(f"missing award {want}")
            continue
        got.remove(match)
        for key in COMPARED:
            if key in want and match[key] != want[key]:
                problems.append(f"{want['id']}/{want['rule']}: {key} is {match[key]!r}, expected {want[key]!r}")
    problems.extend(f"unexpected award {g}" for g in got)
    return problems


def _award(row: dict) -> dict:
    return {"id": row["uscc"], "rule": row["rule"], "amount": row["amount_fen"], "payer": row["payer"],
            "payee": row["payee"], "tranche": row["tranche"], "needs_review": row["needs_review"],
            "subject": row["subject"]}


def _expected(raw: dict) -> dict:
    want = {"id": raw["id"], "rule": raw["rule"], "payee": raw.get("payee", "enterprise")}
    if "amount" in raw:
        want["amount"] = money_fen(raw["amount"])
    for key in ("payer", "tranche", "needs_review", "subject"):
        if key in raw:
            want[key] = str(raw[key]) if key == "payer" else raw[key]
    return want

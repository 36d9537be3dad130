"""Competitive allocation of a pot (竞争性分配): the exact choice, the officers' greedy choice, and
why each application won or lost.

Exact: a 0/1 integer programme solved by HiGHS (``highspy``) — maximise the total expert score
subject to the budget, each limit's ``max_count`` and its ``max_per_industry`` per industry; an
award is all or nothing of the requested amount. Ties are broken deterministically in three
solves: the best total score, then among those the least money, then the earliest applications
in the file (the least sum of file positions). Scores and money are integers (score × 10 000,
fen), divided by their common divisor, so the solver's figures are exact and every total
reported is recomputed in Python integers from the chosen set.

Greedy: what officers do by hand — highest score first (file order on ties), skipping whatever
no longer fits the budget or a limit. The difference of the totals is what the greedy order
leaves on the table.

Pure: frames and a ``Pot`` in, an ``Allocation`` out; storing it is the grading board's job.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal

import highspy
import numpy as np
import polars as pl

from .pot import RATE_PLACES, Pot

SCORE_SCALE = 10_000  # scores carry at most four decimals
# One row per application, in file order (``position`` 0, 1, …).
APPLICATION_SCHEMA = {
    "position": pl.Int64,
    "id": pl.String,
    "uscc": pl.String,
    "industry": pl.String,  # "" when the pot has no use for it
    "kind": pl.String,  # "" when none
    "requested_fen": pl.Int64,
    "score_e4": pl.Int64,  # the expert score × 10 000, exactly
}
PLAIN_INTEGER = re.compile(r"^(0|[1-9][0-9]{0,17})$")
SOLVE_SECONDS = 30.0  # per solve: a thousand applications take well under a second (bench/)


class AllocationUnsolved(Exception):
    """HiGHS did not prove the optimum within ``SOLVE_SECONDS``; ``str(exc)`` says so in Chinese."""


@dataclass(frozen=True)
class Allocation:
    """The exact and the greedy choice. ``decisions``: the applications (APPLICATION_SCHEMA) with
    ``selected``, ``greedy_selected`` (Boolean) and ``reason`` (Chinese) for the exact choice."""

    pot: Pot
    decisions: pl.DataFrame
    total_score_e4: int
    total_fen: int
    greedy_total_score_e4: int
    greedy_total_fen: int

    @property
    def gap_e4(self) -> int:
        """The score the greedy order leaves on the table (× 10 000; never negative)."""
        return self.total_score_e4 - self.greedy_total_score_e4

    def selected_ids(self, *, greedy: bool = False) -> list[str]:
        """The chosen applications' ids, in file order."""
        return self.decisions.filter(pl.col("greedy_selected" if greedy else "selected"))["id"].to_list()

    def to_contract(self) -> dict:
        """The result as the CLI contract has it: ``selected``, ``total_score``, ``total_yuan``,
        ``greedy`` {``selected``, ``total_score``, ``total_yuan``}, ``decisions`` [{``id``,
        ``selected``, ``reason``}]. Ids are ints when every id is a plain integer; figures are
        int when whole, else an exact ``Decimal``."""
        ids = self.decisions["id"].to_list()
        as_int = bool(ids) and all(PLAIN_INTEGER.match(i) for i in ids)

        def shown(i: str):
            return int(i) if as_int else i

        rows = self.decisions.select("id", "selected", "reason").rows()
        return {
            "selected": [shown(i) for i in self.selected_ids()],
            "total_score": exact_number(self.total_score_e4, SCORE_SCALE),
            "total_yuan": exact_number(self.total_fen, 100),
            "greedy": {
                "selected": [shown(i) for i in self.selected_ids(greedy=True)],
                "total_score": exact_number(self.greedy_total_score_e4, SCORE_SCALE),
                "total_yuan": exact_number(self.greedy_total_fen, 100),
            },
            "decisions": [{"id": shown(i), "selected": s, "reason": r} for i, s, r in rows],
        }

    def contract_json(self) -> str:
        """``to_contract()`` as JSON text, each figure written exactly (no float in between)."""
        return exact_json(self.to_contract())


def exact_json(value) -> str:
    """JSON text of dicts, lists and scalars, a ``Decimal`` written as its exact digits (the
    json module would need a float for it)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {exact_json(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(exact_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, ensure_ascii=False)


def exact_number(units: int, scale: int) -> int | Decimal:
    """``units / scale`` as an int when whole, else an exact Decimal without trailing zeros."""
    if units % scale == 0:
        return units // scale
    places = len(str(scale)) - 1
    return Decimal(units).scaleb(-places).normalize()


def allocate(pot: Pot, applications: pl.DataFrame) -> Allocation:
    """Allocate ``pot`` among ``applications`` (APPLICATION_SCHEMA, file order; other columns,
    such as the import's investment and class, are kept in the decisions): the exact optimum by
    HiGHS, the greedy choice beside it, and every application's decision."""
    apps = applications.cast(APPLICATION_SCHEMA).sort("position")  # other columns ride along
    groups = limit_groups(pot, apps)
    score = apps["score_e4"].to_numpy()
    money = apps["requested_fen"].to_numpy()
    chosen = _exact(score, money, pot.budget_fen, groups)
    greedy = _greedy(score, money, pot.budget_fen, groups)
    for picked in (chosen, greedy):
        _assert_feasible(picked, money, pot.budget_fen, groups)
    decided = apps.with_columns(selected=pl.Series(chosen, dtype=pl.Boolean),
                                greedy_selected=pl.Series(greedy, dtype=pl.Boolean))
    decided = decided.with_columns(reason=_reasons(pot, decided))
    return Allocation(pot, decided,
                      total_score_e4=int(score[chosen].sum()), total_fen=int(money[chosen].sum()),
                      greedy_total_score_e4=int(score[greedy].sum()), greedy_total_fen=int(money[greedy].sum()))


def requested_from_investment(investment_fen: pl.Expr, mu_class: pl.Expr, pot: Pot) -> pl.Expr:
    """The requested amount (fen) a pot with a ``rate`` gives an eligible investment (fen):
    investment × (rate + the A-class uplift when ``mu_class`` is "A"), rounded half up once, in
    integers (the rate is in parts per million). Null when the pot has no rate."""
    if pot.rate_ppm is None:
        return pl.lit(None, pl.Int64)
    ppm = pl.lit(pot.rate_ppm, pl.Int64) + pl.when(mu_class == "A").then(
        pl.lit(pot.a_class_uplift_ppm, pl.Int64)).otherwise(0)
    whole = 10**RATE_PLACES
    return (investment_fen * ppm + whole // 2) // whole


@dataclass(frozen=True)
class Group:
    """Applications that share a cap: a limit's count, or its count within one industry."""

    members: np.ndarray  # positions
    cap: int
    limit: int  # index of the limit in the pot
    industry: str | None  # None for a limit's overall count


def limit_groups(pot: Pot, apps: pl.DataFrame) -> list[Group]:
    """Every cap the pot sets on these applications: per limit its ``max_count`` over the
    applications it covers, and its ``max_per_industry`` over each industry's."""
    groups = []
    for number, limit in enumerate(pot.limits):
        covered = apps.filter(pl.col("kind") == limit.kind) if limit.kind is not None else apps
        if limit.max_count is not None:
            groups.append(Group(covered["position"].to_numpy(), limit.max_count, number, None))
        if limit.max_per_industry is not None:
            by_industry = covered.group_by("industry", maintain_order=True).agg("position")
            groups += [Group(np.asarray(members, dtype=np.int64), limit.max_per_industry, number, industry)
                       for industry, members in by_industry.iter_rows()]
    # A cap no larger than the group binds; the others are dropped from the programme.
    return [g for g in groups if len(g.members) > g.cap]


def _exact(score: np.ndarray, money: np.ndarray, budget: int, groups: list[Group]) -> np.ndarray:
    n = len(score)
    chosen = np.zeros(n, dtype=bool)
    if n == 0:
        return chosen
    fits = money <= budget  # an application past the whole budget can never be chosen
    if not fits.any():
        return chosen
    # Common divisors keep the solver's figures small integers (exact in its doubles).
    unit_score = int(np.gcd.reduce(score[score > 0])) if (score > 0).any() else 1
    unit_money = int(np.gcd.reduce(np.append(money, budget)))
    scores, costs = score / unit_score, money / unit_money
    cap = budget // unit_money
    solver = _new_solver()
    # Presolve off: on these few-row knapsacks HiGHS's presolve took most of the time (0.4–0.5 s
    # of each solve for 1,000 applications) and removed little; without it the three solves
    # together take about a third of the time (bench/bench_allocation.py).
    for option, value in (("output_flag", False), ("threads", 1), ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.5),
                          ("mip_feasibility_tolerance", 1e-9), ("primal_feasibility_tolerance", 1e-9),
                          ("random_seed", 0), ("presolve", "off"), ("mip_detect_symmetry", False),
                          ("time_limit", SOLVE_SECONDS)):
        solver.setOptionValue(option, value)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.col_cost_ = scores.astype(np.float64)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = fits.astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    lp.sense_ = highspy.ObjSense.kMaximize
    rows = [(np.arange(n), costs, cap)] + [(g.members, np.ones(len(g.members)), g.cap) for g in groups]
    lp.num_row_ = len(rows)
    lp.row_lower_ = np.full(len(rows), -highspy.kHighsInf)
    lp.row_upper_ = np.array([float(r[2]) for r in rows])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(rows)
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum([len(r[0]) for r in rows])]).astype(np.int32)
    lp.a_matrix_.index_ = np.concatenate([r[0] for r in rows]).astype(np.int32)
    lp.a_matrix_.value_ = np.concatenate([r[1] for r in rows]).astype(np.float64)
    solver.passModel(lp)
    best = _solve(solver, n)
    # Among the best-scoring choices, the least money; among those, the earliest in the file.
    everyone = np.arange(n, dtype=np.int32)
    solver.addRow(float(scores[best].sum()) - 0.5, highspy.kHighsInf, n, everyone, scores)
    solver.changeObjectiveSense(highspy.ObjSense.kMinimize)
    solver.changeColsCost(n, everyone, costs)
    solver.setSolution(_start(best))
    best = _solve(solver, n)
    solver.addRow(-highspy.kHighsInf, float(costs[best].sum()) + 0.5, n, everyone, costs)
    solver.changeColsCost(n, everyone, np.arange(n, dtype=np.float64))
    solver.setSolution(_start(best))
    return _solve(solver, n)


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _new_solver() -> highspy.Highs:
    """A HiGHS instance. The first one in a process prints HiGHS's banner from C to file
    descriptor 1, whatever the options — it would spoil ``--format json`` on stdout — so that
    construction runs with descriptor 1 pointed at the null device."""
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            return highspy.Highs()
        sys.stdout.flush()
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            return highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
            _banner_shown = True


def _start(chosen: np.ndarray) -> highspy.HighsSolution:
    start = highspy.HighsSolution()
    start.col_value = chosen.astype(np.float64)
    return start


def _solve(solver: highspy.Highs, n: int) -> np.ndarray:
    solver.run()
    status = solver.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise AllocationUnsolved(f"未能在 {SOLVE_SECONDS:g} 秒内求得最优分配（HiGHS: "
                                 f"{solver.modelStatusToString(status)}），请减少申报项目后重试")
    return np.asarray(solver.getSolution().col_value[:n]) > 0.5


def _greedy(score: np.ndarray, money: np.ndarray, budget: int, groups: list[Group]) -> np.ndarray:
    """Highest score first (file order on ties), skip what no longer fits. A loop by nature:
    each step depends on what the previous ones took."""
    n = len(score)
    chosen = np.zeros(n, dtype=bool)
    member_of = [[] for _ in range(n)]
    for number, group in enumerate(groups):
        for position in group.members:
            member_of[position].append(number)
    room = np.array([g.cap for g in groups], dtype=np.int64)
    left = budget
    for position in np.lexsort((np.arange(n), -score)):
        mine = member_of[position]
        if money[position] <= left and all(room[mine] > 0):
            chosen[position] = True
            left -= int(money[position])
            room[mine] -= 1
    return chosen


def _assert_feasible(chosen: np.ndarray, money: np.ndarray, budget: int, groups: list[Group]) -> None:
    # Recomputed in integers: a solver's tolerance must never let a fen or a place slip through.
    if int(money[chosen].sum()) > budget or any(int(chosen[g.members].sum()) > g.cap for g in groups):
        raise RuntimeError("allocation violates the pot's budget or limits")


# ---- reasons: one Polars expression over the whole table, per limit ------------------------------

def yuan_text(fen: pl.Expr, *, wan: bool = True) -> pl.Expr:
    """Fen as text, exactly: with ``wan`` in 万元 when whole 万元 (3_000_000_000 → "3000万元"),
    else in 元 (123456 → "1234.56元", 100 → "1元")."""
    whole = (fen // 100).cast(pl.String)
    return (pl.when(pl.lit(wan) & (fen % 1_000_000 == 0) & (fen != 0)).then((fen // 1_000_000).cast(pl.String) + "万元")
            .when(fen % 100 == 0).then(whole + "元")
            .otherwise(whole + "." + (fen % 100).cast(pl.String).str.zfill(2) + "元"))


def score_text(score_e4: pl.Expr) -> pl.Expr:
    """A score × 10 000 as its decimal text (853500 → "85.35")."""
    frac = (score_e4 % SCORE_SCALE).cast(pl.String).str.zfill(4).str.strip_chars_end("0")
    whole = (score_e4 // SCORE_SCALE).cast(pl.String)
    return pl.when(frac == "").then(whole).otherwise(whole + "." + frac)


def _reasons(pot: Pot, decided: pl.DataFrame) -> pl.Expr:
    """Why each application won or lost, first cause first: selected; past the whole budget;
    its industry already has the kind's award; its kind is at its count with no lower score
    among the chosen; the money left is short."""
    col = pl.col
    chosen = decided.filter(col("selected"))
    left = pot.budget_fen - int(chosen["requested_fen"].sum())
    lowest_chosen = chosen["score_e4"].min()
    reason = pl.when(col("selected")).then(pl.lit("入选")).when(col("requested_fen") > pot.budget_fen).then(
        pl.concat_str(pl.lit("超出预算：申请金额"), yuan_text(col("requested_fen")),
                      pl.lit(f"超过资金总额{_yuan(pot.budget_fen)}")))
    for number, limit in enumerate(pot.limits):
        covers = col("kind") == limit.kind if limit.kind is not None else pl.lit(True)
        taken = chosen.filter(covers)
        kind_zh = pot.kind_name(limit.kind)
        if limit.max_per_industry is not None:
            per_industry = taken.group_by("industry").agg(
                _n=pl.len(), _low=col("score_e4").min(),
                _ids=col("id").sort_by("position").str.join("、"))
            mine = decided.join(per_industry, on="industry", how="left", maintain_order="left")
            full = covers & (pl.Series(mine["_n"].fill_null(0)) >= limit.max_per_industry) & (
                col("score_e4") <= pl.Series(mine["_low"]))
            reason = reason.when(full).then(pl.concat_str(
                pl.lit(f"该行业已有入选的{kind_zh}（申报编号 "), pl.Series(mine["_ids"]),
                pl.lit(f"，每行业最多 {limit.max_per_industry} 个），且本项目得分不高于它")))
        if limit.max_count is not None and taken.height >= limit.max_count:
            reason = reason.when(covers & (col("score_e4") <= taken["score_e4"].min())).then(pl.lit(
                f"该类项目已达上限：{kind_zh}最多 {limit.max_count} 个，已入选 {taken.height} 个，"
                f"本项目得分低于与之竞争的入选项目"))
    short = pl.concat_str(pl.lit(f"剩余资金{_yuan(left)}不足申请金额"), yuan_text(col("requested_fen")))
    if lowest_chosen is not None:
        reason = reason.when((col("score_e4") <= lowest_chosen) & (col("requested_fen") > left)).then(
            pl.concat_str(pl.lit("得分低于与之竞争的入选项目，且"), short))
    reason = reason.when(col("requested_fen") > left).then(pl.concat_str(
        pl.lit("超出预算："), short, pl.lit("；换下得分更低的入选项目也不能提高总分")))
    return reason.when(col("score_e4") == 0).then(pl.lit("得分为零：入选不能提高总分")).otherwise(
        pl.lit("换入本项目须换下其他入选项目，总分不会更高"))


def _yuan(fen: int) -> str:
    return pl.select(yuan_text(pl.lit(fen, pl.Int64))).item()

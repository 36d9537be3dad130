"""The applications template (申报项目) for a pot, and a made-up sample of thirty applications.

The sample is drawn from a fixed seed, so the README's example gives the same answer every
time: for the article-5 key-projects pot it has more intelligent-manufacturing projects than
places, two in some industries, and requests worth about three times the budget, so the
greedy order leaves score on the table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..grading.pot import Pot
from .applications_import import FIELDS, SHEET
from .template_book import write_template_book

SAMPLE_SIZE = 30
SAMPLE_SEED = 2019
FREE_INDUSTRIES = ("化学原料和化学制品制造业", "专用设备制造业", "造纸和纸制品业", "电气机械和器材制造业")


def template_fields(pot: Pot) -> list[str]:
    """The fields the template has for ``pot``: the contract's six, and the investment and the
    亩均效益 class where the pot turns an investment into the request."""
    fields = ["id", "uscc", "industry", "kind", "requested_yuan", "score"]
    return fields + (["eligible_investment_yuan", "mu_class"] if pot.rate_ppm is not None else [])


def sample_rows(pot: Pot, size: int = SAMPLE_SIZE) -> list[list]:
    """``size`` made-up applications to ``pot`` (money in 元, scores with one decimal)."""
    rng = np.random.default_rng(SAMPLE_SEED)
    industries = list(pot.industries.values()) or list(FREE_INDUSTRIES)  # names: the file is for people
    kinds = list(pot.kinds.values()) or [""]
    budget_yuan = pot.budget_fen // 100
    # Requests between 1/40 and 1/6 of the budget, in whole 万元; scores 60.0–95.0.
    wan = rng.integers(budget_yuan // 400_000, budget_yuan // 60_000 + 1, size) * 10_000
    scores = rng.integers(600, 951, size) / 10
    picks = rng.integers(0, len(industries), size)
    classes = rng.choice(["A", "B", "C", "D"], size, p=[0.2, 0.5, 0.2, 0.1])
    rows = []
    for n in range(size):
        row = [n + 1, f"91330800MA2{n + 1:07d}", industries[picks[n]], kinds[n % len(kinds)]]
        if pot.rate_ppm is None:
            row += [int(wan[n]), float(scores[n])]
        else:  # the request follows from the investment: about ten times the award
            row += ["", float(scores[n]), int(wan[n]) * 10, str(classes[n])]
        rows.append(row)
    return rows


def write_applications_template(path: Path, pot: Pot, *, sample: bool = False) -> Path:
    """The template for ``pot`` as XLSX (申报项目, 说明 and the pot's vocabularies) or CSV, with
    ``sample``'s thirty applications."""
    fields = template_fields(pot)
    notes = [
        f"申报项目：每行一个申报项目；资金池“{pot.name}”，资金总额 {pot.budget_fen // 100:,} 元。整份文件全部通过才读入。",
        "表头可用中文名或英文名：" + "，".join(f"{FIELDS[f][0]}（{f}）" for f in fields) + "。",
        "申报编号不可重复；申请金额以元为单位（最多两位小数，须大于 0）；专家评分为不小于 0 的数（最多四位小数）。",
        "每个项目全额入选或不入选；在资金总额和各项限额内，选出专家评分总和最高的组合，并与按得分高低依次入选的做法比较。",
        *[f"限额：{sentence}" for sentence in pot.limit_sentences()],
    ]
    if pot.rate_ppm is not None:
        notes.append(f"可不填申请金额而填新增设备和技术投入：申请金额 = 投入 × 补助比例 {pot.rate_ppm / 10_000:g}%"
                     f"（亩均效益A类企业上浮 {pot.a_class_uplift_ppm / 10_000:g} 个百分点），四舍五入到分。")
    if pot.citation:
        notes.append(f"依据：{pot.citation}")
    references = [(title, [f"{title}代码", f"{title}名称"], [[c, n] for c, n in words.items()])
                  for title, words in (("项目类别", pot.kinds), ("行业", pot.industries)) if words]
    return write_template_book(path, SHEET, [FIELDS[f][0] for f in fields],
                               sample_rows(pot) if sample else [], notes, references)

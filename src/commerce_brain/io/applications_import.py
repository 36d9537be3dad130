"""Import the applications to a pot (竞争性分配申报项目) from CSV or XLSX, all or nothing.

One row per application: 申报编号 (``id``), 统一社会信用代码 (``uscc``), 行业 (``industry``),
项目类别 (``kind``), 申请金额（元） (``requested_yuan``) and 专家评分 (``score``) — the English
names of the contract are accepted as headers too. Where the pot has a subsidy ``rate``, the
requested amount may instead come from 新增设备和技术投入（元） (``eligible_investment_yuan``) and
亩均效益类别 (``mu_class``): investment × (rate + the A-class uplift), exact fen, half up once.

The file is refused before parsing when past the limits (``spreadsheet_guard``), and accepted
whole or refused with every problem by sheet, row, column and reason: duplicate ids, money not
above zero, scores that are not numbers, kinds and industries outside the pot's vocabulary.
Every check is a Polars expression over whole columns. Ids and credit codes are taken as
given (no checksum is asked of a credit code: an application names its enterprise, the
allocation does not look it up).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..grading.allocation import APPLICATION_SCHEMA, requested_from_investment, yuan_text
from ..grading.pot import Pot
from ..settings import SheetLimits
from ..yuan import DECIMALS, NEGATIVE, SHAPE, TOO_LARGE, yuan_to_fen
from .enterprise_cells import msg
from .fdi_import import PROJECT_ID_RE, read_rows, reject_found
from .trade_import import _found, _lookup, _required

SHEET = "申报项目"
SHEET_NAMES = (SHEET, "applications")
# field (the contract's header) → (Chinese header, other accepted spellings)
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("申报编号", "编号"),
    "uscc": ("统一社会信用代码", "信用代码"),
    "industry": ("行业",),
    "kind": ("项目类别", "类别"),
    "requested_yuan": ("申请金额（元）", "申请金额"),
    "score": ("专家评分", "评分", "得分"),
    "eligible_investment_yuan": ("新增设备和技术投入（元）", "新增设备和技术投入", "投入额"),
    "mu_class": ("亩均效益类别", "亩产效益类别"),
}
MU_CLASSES = ("A", "B", "C", "D")
EXTRA_SCHEMA = {"eligible_investment_fen": pl.Int64, "mu_class": pl.String}
USCC_RE = r"^[0-9A-Za-z]{1,50}$"
SCORE_RE = r"^(?<int>[0-9]{1,7})(?:\.(?<frac>[0-9]{0,4}))?$"  # up to 9,999,999.9999
MAX_APPLICATION_FEN = 10**12  # 100亿元: past any one application (keeps fen × rate in Int64)
MONEY_PROBLEMS = {SHAPE: "格式错误（以元为单位，如 1234567.89）", DECIMALS: "最多两位小数（到分）",
                  NEGATIVE: "必须大于 0", TOO_LARGE: "超出范围（最多 100亿元）"}


def read_applications(source: Path, pot: Pot, *, classes: pl.DataFrame | None = None,
                      limits: SheetLimits | None = None, shown_name: str | None = None) -> pl.DataFrame:
    """Read and check the applications to ``pot`` (XLSX sheet 申报项目 or a CSV): an
    ``APPLICATION_SCHEMA`` frame in file order, with ``eligible_investment_fen`` and ``mu_class``
    (null where not given), or ``ImportRejected`` with every problem.

    ``classes`` (``uscc``, ``mu_class``: e.g. the published 亩均效益 classes of the store) gives
    the class of an application whose 亩均效益类别 cell is empty."""
    optional = ["eligible_investment_yuan", "mu_class"]
    if pot.rate_ppm is not None:
        optional.append("requested_yuan")
    if not pot.uses_industry:
        optional.append("industry")
    if not _uses_kind(pot):
        optional.append("kind")
    source, sheet, positions, rows = read_rows(source, FIELDS, SHEET_NAMES, limits=limits, shown_name=shown_name,
                                               numeric=("_yuan", "score", "id"), optional=tuple(optional))
    rows = rows.with_columns(pl.lit(None, pl.String).alias(f) for f in FIELDS if f not in rows.columns)
    df = _parsed(rows, pot, classes)
    reject_found(source, sheet, positions, _found(df, _checks(pot)), shown_name)
    return df.select(
        position=pl.int_range(pl.len(), dtype=pl.Int64), id="id", uscc=pl.col("uscc").str.to_uppercase(),
        industry=pl.col("industry_code").fill_null(""), kind=pl.col("kind_code").fill_null(""),
        requested_fen="requested_fen", score_e4="score_e4", eligible_investment_fen="invested_fen",
        mu_class="mu").cast({**APPLICATION_SCHEMA, **EXTRA_SCHEMA})


def _uses_kind(pot: Pot) -> bool:
    return bool(pot.kinds) or any(limit.kind is not None for limit in pot.limits)


def _parsed(rows: pl.DataFrame, pot: Pot, classes: pl.DataFrame | None) -> pl.DataFrame:
    col = pl.col
    score = col("score").str.extract_groups(SCORE_RE)
    mu_class = col("mu_class").str.strip_suffix("类").str.to_uppercase()
    if classes is not None:  # the stored class where the file gives none
        known = classes.select(_uscc=col("uscc").str.to_uppercase(), _stored=col("mu_class")).unique(
            "_uscc", keep="first", maintain_order=True)
        rows = rows.with_columns(_uscc=col("uscc").str.to_uppercase()).join(
            known, on="_uscc", how="left", maintain_order="left")
        mu_class = pl.coalesce(mu_class, col("_stored"))
    df = rows.with_columns(
        _asked=yuan_to_fen(col("requested_yuan")), _invested=yuan_to_fen(col("eligible_investment_yuan")),
        score_e4=score.struct.field("int").cast(pl.Int64) * 10_000
        + score.struct.field("frac").fill_null("").str.pad_end(4, "0").cast(pl.Int64, strict=False).fill_null(0),
        mu=pl.when(mu_class.is_in(MU_CLASSES)).then(mu_class))
    df = df.with_columns(asked_fen=col("_asked").struct.field("fen"),
                         invested_fen=col("_invested").struct.field("fen"))
    df = df.with_columns(computed_fen=requested_from_investment(col("invested_fen"), col("mu"), pot))
    df = df.with_columns(requested_fen=pl.coalesce("computed_fen", "asked_fen"))
    for field, vocabulary in (("industry", pot.industries), ("kind", pot.kinds)):
        if vocabulary:
            df = df.join(_lookup(vocabulary, field, f"{field}_code"), on=field, how="left", maintain_order="left")
        else:
            df = df.with_columns(col(field).alias(f"{field}_code"))
    return df


def _money_reason(field: str, parsed: str, fen: str) -> pl.Expr:
    label = FIELDS[field][0]
    problem = pl.col(parsed).struct.field("problem")
    found = pl.when(problem.is_not_null()).then(msg(f"{label}", problem.replace_strict(
        MONEY_PROBLEMS, default="格式错误"), "：“", pl.col(field), "”"))
    return found.when(pl.col(fen) == 0).then(pl.lit(f"{label}必须大于 0")).when(
        pl.col(fen) > MAX_APPLICATION_FEN).then(msg(f"{label}{MONEY_PROBLEMS[TOO_LARGE]}：“", pl.col(field), "”"))


def _checks(pot: Pot) -> list[tuple[str, pl.Expr]]:
    col = pl.col
    required = ["id", "uscc", "score"]
    required += ["industry"] if pot.uses_industry else []
    required += ["kind"] if _uses_kind(pot) else []
    checks = [
        *_required(FIELDS, tuple(required)),
        ("id", pl.when(col("id").is_not_null() & ~col("id").str.contains(PROJECT_ID_RE)).then(msg(
            "申报编号“", col("id"), "”只能由字母、数字、汉字和 - _ . 组成，最长 100 个字符"))),
        ("id", pl.when(col("id").is_duplicated() & col("id").is_not_null()).then(msg(
            "重复的申报编号“", col("id"), "”：每个申报项目只能出现一次"))),
        ("uscc", pl.when(col("uscc").is_not_null() & ~col("uscc").str.contains(USCC_RE)).then(msg(
            "统一社会信用代码只能由字母和数字组成：“", col("uscc"), "”"))),
        ("score", pl.when(col("score").is_not_null() & col("score_e4").is_null()).then(msg(
            "专家评分应为不小于 0 的数（最多四位小数）：“", col("score"), "”"))),
        ("requested_yuan", _money_reason("requested_yuan", "_asked", "asked_fen")),
        ("eligible_investment_yuan", _money_reason("eligible_investment_yuan", "_invested", "invested_fen")),
        ("mu_class", pl.when(col("mu_class").is_not_null() & col("mu").is_null()).then(msg(
            "未知亩均效益类别：“", col("mu_class"), "”（可选：A、B、C、D）"))),
    ]
    for field, label, vocabulary in (("industry", "行业", pot.industries), ("kind", "项目类别", pot.kinds)):
        if vocabulary:
            checks.append((field, pl.when(col(field).is_not_null() & col(f"{field}_code").is_null()).then(msg(
                f"未知{label}：“", col(field), "”（可选：", pl.lit("、".join(vocabulary.values())), "）"))))
    if pot.rate_ppm is None:
        checks += [
            *_required(FIELDS, ("requested_yuan",)),
            ("eligible_investment_yuan", pl.when(col("eligible_investment_yuan").is_not_null()).then(pl.lit(
                "该资金池没有补助比例，不按投入额计算：请填写申请金额"))),
        ]
    else:
        checks += [
            ("requested_yuan", pl.when(col("requested_yuan").is_null() & col("eligible_investment_yuan").is_null())
             .then(pl.lit("申请金额（元）为空：请填写申请金额，或填写新增设备和技术投入按补助比例计算"))),
            ("requested_yuan", pl.when(col("computed_fen").is_not_null() & col("asked_fen").is_not_null()
                                       & (col("computed_fen") != col("asked_fen"))).then(msg(
                "申请金额与按补助比例计算的金额（", yuan_text(col("computed_fen"), wan=False), "）不一致：“",
                col("requested_yuan"), "”"))),
            ("requested_yuan", pl.when(col("computed_fen") == 0).then(pl.lit(
                "按补助比例计算的申请金额为 0：投入额过小"))),
        ]
    return checks

"""The 政策计算器 form: what a person typed → ``EnterpriseInputs``, and back. Pure: no I/O.

Money is typed in 元 (commas allowed, a trailing 元, or 万/万元 for ten thousand) and becomes
integer fen by the file import's rule (``yuan``), never a float; more than two decimals (after 万) is refused, not
rounded. Rates are typed in % and become millionths (4.35 → 43500). Dates are ISO
``YYYY-MM-DD``. Every problem is reported as ``(field, message)`` with the field's input name,
so a page can show it beside that input, and the message names the field in Chinese.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..uscc import uscc_problem
from ..yuan import DECIMALS, NEGATIVE, TOO_LARGE, parse_yuan
from .expr_compile import BOUNDS
from .fact_registry import BY_NAME, Fact
from .fact_registry import FACTS as REGISTRY
from .inputs import EnterpriseInputs, InputError, compact
from .model import PolicyCatalog
from .vocabulary import UnknownValues, Vocabulary, choices, shown

FLAGS = ("is_manufacturing", "is_industrial", "is_listed", "is_provincial_or_central_owned")
# A field per fact of the registry (variables.yaml), for the award year and the year before.
FACTS = tuple(f.name for f in REGISTRY)
# A yes/no fact is a choice of three: unknown (empty), 是 (1) or 否 (0).
YES, NO = "1", "0"
# The event's own fields, in the order the form shows them (``kind`` and ``date`` first).
EVENT_FIELDS = ("kind", "date", "subject", "level", "rating", "amount", "count", "local_share", "benchmark_rate",
                "days", "assessed_award", "already_paid")
# Shown for every kind: the date places the event in a year, the subject names it (就高 and caps
# are per subject), and what was already paid is deducted (补差) whatever the rule.
ALWAYS = ("kind", "date", "subject", "already_paid")
PREV = "prev_"          # prev_main_revenue: the year before the award year
HISTORY = "history"     # hidden JSON: stored facts and the events not shown as rows
UNNAMED = "（未命名企业）"
TRIAL_USCC = "TRIAL"    # an officer's what-if enterprise without a credit code
YEARS = (2000, 2100)
MAX_TEXT = 200
_EVENT_KEY = re.compile(r"^e(\d{1,3})_(\w+)$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """One field's text cannot be read; the message says why (without the field's name)."""


@dataclass(frozen=True)
class Parsed:
    """The form read: the award year and the inputs, or the problems (field, message)."""

    year: int | None
    inputs: EnterpriseInputs | None
    errors: list[tuple[str, str]] = field(default_factory=list)


# ---- single values ----------------------------------------------------------------------------

def _normal(text: str | None) -> str:
    # Full-width digits and commas (１２，３４５) are what a Chinese IME types.
    return unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")


def parse_money(text: str | None) -> int | None:
    """“1,234,567.89” / “12.5万” / “300元” → fen (int); blank → None. FieldError otherwise.
    The rule is the file import's (``yuan.yuan_to_fen``), with 万 allowed."""
    raw = _normal(text)
    if not raw:
        return None
    fen, problem = parse_yuan(raw, wan=True)
    if problem is None:
        return fen
    raise FieldError({
        NEGATIVE: "不能为负数",
        DECIMALS: "最多两位小数（到分）",
        TOO_LARGE: "超出可计算范围（最多 10万亿元）",
    }.get(problem, f"不是金额：“{text.strip()}”（如 1234567.89、1,234,567.89 或 123.45万）"))


def parse_rate(text: str | None) -> int | None:
    """“4.35” or “4.35%” → 43500 millionths; blank → None. FieldError otherwise."""
    raw = _normal(text).removesuffix("%")
    if not raw:
        return None
    if not _PLAIN.match(raw):
        raise FieldError(f"不是百分比：“{text.strip()}”（如 4.35 表示 4.35%）")
    return _whole(Decimal(raw) * 10_000, "最多四位小数", BOUNDS["ppm"],
                  "不能超过 100%")


def _whole(value: Decimal, too_fine: str, bound: int, too_large: str) -> int:
    """``value`` as an exact integer within ``bound``: never rounded, refused instead."""
    if value != value.to_integral_value():
        raise FieldError(too_fine)
    if value > bound:
        raise FieldError(too_large)
    return int(value)


def parse_count(text: str | None) -> int | None:
    """“12” or “1,200” → int; blank → None. FieldError otherwise."""
    raw = _normal(text)
    if not raw:
        return None
    if not re.match(r"^(\d+|\d{1,3}(,\d{3})+)$", raw):
        raise FieldError(f"应为非负整数：“{text.strip()}”")
    value = int(raw.replace(",", ""))
    if value > BOUNDS["number"]:
        raise FieldError("超出可计算范围")
    return value


def parse_decimal(text: str | None, scale: int) -> int | None:
    """“12.35” → 1235 with ``scale`` 2 (exact; more decimals are refused, not rounded); blank → None."""
    raw = _normal(text).replace(",", "")
    if not raw:
        return None
    if not _PLAIN.match(raw):
        raise FieldError(f"应为非负数：“{text.strip()}”（如 12.35）")
    return _whole(Decimal(raw) * 10 ** scale, f"最多 {scale} 位小数", BOUNDS["decimal"], "超出可计算范围")


def fact_parser(fact: Fact):
    """The reader of a registry fact's field, by its kind, with the fact's bounds checked."""
    def parse(text: str | None):
        if fact.kind == "bool":
            raw = _normal(text)
            if raw not in ("", YES, NO):
                raise FieldError("请选择 是、否 或 未知")
            return None if not raw else raw == YES
        if fact.kind == "class":
            raw = _normal(text).upper()
            if raw and raw not in fact.vocabulary:
                raise FieldError(f"可选：{'、'.join(fact.vocabulary)}")
            return raw or None
        if fact.kind == "text":
            value = _text(text)
            if value is not None and len(value) > fact.bounds[1]:
                raise FieldError(f"太长：最多 {fact.bounds[1]} 字")
            return value
        value = (parse_money(text) if fact.kind == "money" else parse_count(text) if fact.kind == "number"
                 else parse_decimal(text, fact.scale))
        if value is not None and fact.stored_bounds and not fact.stored_bounds[0] <= value <= fact.stored_bounds[1]:
            raise FieldError(f"超出范围：应在 {fact.bounds[0]:,} 到 {fact.bounds[1]:,}{fact.unit} 之间")
        return value
    return parse


def fact_text(fact: Fact, value) -> str:
    """A stored fact as its field shows it (what ``fact_parser`` reads back to the same value)."""
    if value is None:
        return ""
    if fact.kind == "money":
        return money_text(value)
    if fact.kind == "decimal":
        whole, part = divmod(value, 10 ** fact.scale)
        return f"{whole}.{part:0{fact.scale}d}".rstrip("0").rstrip(".")
    if fact.kind == "bool":
        return YES if value else NO
    return str(value)


def parse_date(text: str | None) -> date | None:
    """“2023-05-01” → date; blank → None. FieldError otherwise."""
    raw = _normal(text)
    if not raw:
        return None
    try:
        if not _ISO_DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise FieldError(f"日期格式应为 年-月-日（如 2023-06-01）：“{text.strip()}”") from None


def parse_year(text: str | None) -> int:
    """The award year, 2000–2100."""
    raw = _normal(text)
    if not raw.isdigit() or not YEARS[0] <= int(raw) <= YEARS[1]:
        raise FieldError(f"应为 {YEARS[0]}–{YEARS[1]} 之间的年份")
    return int(raw)


def _text(text: str | None) -> str | None:
    raw = (text or "").strip()
    if len(raw) > MAX_TEXT:
        raise FieldError(f"太长：最多 {MAX_TEXT} 字")
    return raw or None


# ---- shown values (the inverse, for prefilling) -----------------------------------------------

def money_text(fen: int | None) -> str:
    """12345678 → “123456.78” (what ``parse_money`` reads back to the same fen)."""
    if fen is None:
        return ""
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}"


def rate_text(ppm: int | None) -> str:
    """43500 → “4.35” (percent)."""
    if ppm is None:
        return ""
    return format((Decimal(ppm) / 10_000).normalize(), "f")


def event_kinds(policies: PolicyCatalog) -> dict[str, str]:
    """Every event kind some rule is triggered by → the names of those rules (the label a person
    recognises), in the order of the policy's articles."""
    found: dict[str, list[str]] = {}
    for rule in sorted(policies.rules(), key=lambda r: r.article):
        for kind in rule.on:
            if kind != "facts" and rule.name_zh not in found.setdefault(kind, []):
                found[kind].append(rule.name_zh)
    return {kind: "、".join(names) for kind, names in found.items()}


def kind_articles(policies: PolicyCatalog) -> dict[str, list[str]]:
    """For each event kind, the sentence of each article its rules apply, as the calculator shows
    it beside the chosen type: 名称：《title》第n条（…）「quote」, in article order."""
    found: dict[str, list[str]] = {}
    for rule in sorted(policies.rules(), key=lambda r: r.article):
        line = f"{rule.name_zh}：{policies.place(rule)}「{rule.quote}」"
        for kind in rule.on:
            if kind != "facts" and line not in found.setdefault(kind, []):
                found[kind].append(line)
    return found


def fields_of_kinds(policies: PolicyCatalog) -> dict[str, list[str]]:
    """For each event kind, the event fields a person should fill: those its rules read."""
    from .rule_eval import figures_used

    event_fields = set(EVENT_FIELDS)
    found: dict[str, list[str]] = {}
    for rule in policies.rules():
        for kind in rule.on:
            if kind == "facts":
                continue
            shown = found.setdefault(kind, list(ALWAYS))
            shown += [n for n in figures_used(rule) if n in event_fields and n not in shown]
    return found


# ---- the whole form ---------------------------------------------------------------------------

def event_rows(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The event rows of the form (``e3_amount`` is row 3's amount), in row order, blank rows
    dropped; each row keeps its index as ``row``."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _EVENT_KEY.match(key)
        if match and match.group(2) in EVENT_FIELDS:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [{"row": str(i), **row} for i, row in sorted(rows.items())
            if any((v or "").strip() for v in row.values())]


def parse_form(form: Mapping[str, str], *, policies: PolicyCatalog, org_units: Mapping[str, str]) -> Parsed:
    """The calculator form read into the award year and ``EnterpriseInputs``.

    ``org_units`` are the org units the enterprise may be in (code → name). The hidden
    ``history`` (stored facts and events not shown as rows) is kept; the figures on the form
    replace the years they show. Returns every problem found, not only the first.
    """
    errors: list[tuple[str, str]] = []

    def read(name: str, label: str, parser, text: str | None):
        try:
            return parser(text)
        except FieldError as exc:
            errors.append((name, f"{label}：{exc}"))
            return None

    year = read("year", "测算年度", parse_year, form.get("year"))
    enterprise = _enterprise(form, org_units, errors)
    facts = {}
    for prefix, offset in (("", 0), (PREV, 1)):
        when = "上一年度" if offset else "测算年度"
        values = {n: read(f"{prefix}{n}", f"{when}{policies.label(n)}", fact_parser(BY_NAME[n]),
                          form.get(f"{prefix}{n}"))
                  for n in FACTS}
        if year is not None and any(v is not None for v in values.values()):
            facts[year - offset] = compact({"year": year - offset, **values})
    events = [_event(row, policies, errors) for row in event_rows(form)]
    history = _history(form.get(HISTORY), errors)
    if errors or year is None:
        return Parsed(year, None, errors)
    kept = {f["year"]: f for f in history.facts if f["year"] not in facts}
    inputs = EnterpriseInputs(enterprise=enterprise,
                              facts=tuple(sorted([*kept.values(), *facts.values()], key=lambda f: f["year"])),
                              events=(*history.events, *events))
    try:
        enterprises, facts, events = inputs.frames()
        # The history is a hidden field: what comes back may not be what was sent.
        Vocabulary.of(policies).check(enterprises, events, facts)  # org units: checked above, by the form
    except (InputError, UnknownValues) as exc:  # a history someone edited by hand
        return Parsed(year, None, [(HISTORY, str(exc))])
    return Parsed(year, inputs, [])


def _enterprise(form: Mapping[str, str], org_units: Mapping[str, str], errors: list) -> dict:
    uscc = _normal(form.get("uscc")).upper()
    if uscc and (problem := uscc_problem(uscc)):
        errors.append(("uscc", f"统一社会信用代码：{problem}"))
    org_unit = (form.get("org_unit") or "").strip()
    if org_unit not in org_units:
        errors.append(("org_unit", "所在地区：请选择衢州市的一个县（市、区）或市本级"))
    try:
        name, industry = _text(form.get("name")), _text(form.get("industry"))
    except FieldError as exc:
        errors.append(("name", f"企业名称：{exc}"))
        name = industry = None
    return {"uscc": uscc or TRIAL_USCC, "name": name or UNNAMED, "org_unit": org_unit, "industry": industry,
            # An unticked checkbox is absent from the form: absent means 否.
            **{flag: (form.get(flag) or "").strip() in ("1", "on", "true") for flag in FLAGS}}


def _event(row: dict[str, str], policies: PolicyCatalog, errors: list) -> dict:
    prefix = f"e{row['row']}_"
    label = f"事件{int(row['row']) + 1}"
    event: dict = {}
    kind = (row.get("kind") or "").strip()
    if kind not in policies.event_kinds():
        errors.append((f"{prefix}kind", f"{label}·事件类型：{'请选择' if not kind else '未知的事件类型'}"))
    else:
        event["kind"] = kind
    kinds = _kinds(policies)
    parsers = {"money": parse_money, "ppm": parse_rate, "number": parse_count}
    for name in EVENT_FIELDS[1:]:
        title = "日期" if name == "date" else policies.label(name)
        parser = parse_date if name == "date" else parsers.get(kinds.get(name), _text)
        try:
            value = parser(row.get(name))
        except FieldError as exc:
            errors.append((f"{prefix}{name}", f"{label}·{title}：{exc}"))
            continue
        if value is not None and name in ("level", "rating") and value not in (allowed := choices(policies)[name]):
            errors.append((f"{prefix}{name}", f"{label}·{title}：未知的{title}“{value}”，可选：{shown(allowed)}"))
            continue
        if value is not None:
            event[name] = value
    if "date" not in event and not any(key == f"{prefix}date" for key, _ in errors):
        errors.append((f"{prefix}date", f"{label}·日期：请填写（如 2023-06-01）"))
    return event


def _kinds(policies: PolicyCatalog) -> dict[str, str]:
    """Each event field's kind (money, ppm, number, text) as variables.yaml declares it."""
    return {name: kind for name, (kind, _) in policies.variables["events"].items()}


def _history(text: str | None, errors: list) -> EnterpriseInputs:
    empty = EnterpriseInputs(enterprise={"uscc": TRIAL_USCC})
    if not (text or "").strip():
        return empty
    try:
        raw = json.loads(text)
        return EnterpriseInputs.from_json(json.dumps({"enterprise": {"uscc": TRIAL_USCC},
                                                      "facts": raw.get("facts", []),
                                                      "events": raw.get("events", [])}))
    except (ValueError, AttributeError, InputError):
        errors.append((HISTORY, "历史数据无法读取，请重新载入企业数据"
))
        return empty


def history_json(inputs: EnterpriseInputs, shown_year: int) -> str:
    """The hidden ``history`` of a prefilled form: every stored fact (the form's figures
    override their years) and the events not shown as rows (those outside ``shown_year``)."""
    events = [e for e in inputs.events if e["date"].year != shown_year]
    return EnterpriseInputs(enterprise={"uscc": inputs.uscc}, facts=inputs.facts, events=tuple(events)).to_json()


def form_values(inputs: EnterpriseInputs, year: int, policies: PolicyCatalog) -> dict[str, str]:
    """The form's fields as prefilled from ``inputs`` for award ``year`` (the inverse of
    ``parse_form``): attributes, the two years' figures, and the year's events as rows."""
    enterprise = inputs.enterprise
    values = {"year": str(year), "uscc": "" if inputs.uscc == TRIAL_USCC else inputs.uscc,
              "name": "" if enterprise.get("name") == UNNAMED else enterprise.get("name") or "",
              "org_unit": enterprise.get("org_unit") or "", "industry": enterprise.get("industry") or "",
              **{flag: "1" if enterprise.get(flag) else "" for flag in FLAGS},
              HISTORY: history_json(inputs, year)}
    by_year = {f["year"]: f for f in inputs.facts}
    for prefix, offset in (("", 0), (PREV, 1)):
        for name in FACTS:
            values[f"{prefix}{name}"] = fact_text(BY_NAME[name], by_year.get(year - offset, {}).get(name))
    shown = [e for e in inputs.events if e["date"].year == year]
    for i, event in enumerate(shown):
        values.update(event_values(i, event, policies))
    return values


def event_values(index: int, event: dict, policies: PolicyCatalog) -> dict[str, str]:
    """One event as the form's ``e{index}_…`` fields."""
    kinds = _kinds(policies)
    shown = {}
    for name in EVENT_FIELDS:
        value = event.get(name)
        if kinds.get(name) == "money":
            text = money_text(value)
        elif kinds.get(name) == "ppm":
            text = rate_text(value)
        elif name == "date":
            text = value.isoformat() if value else ""
        else:
            text = "" if value is None else str(value)
        shown[f"e{index}_{name}"] = text
    return shown

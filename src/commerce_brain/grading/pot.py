"""A pot of competitively allocated money (竞争性分配资金) as data: a YAML file, read and checked.

The contract (issue 12): ``name``, ``budget_yuan`` and ``limits`` — a list of
``{kind, max_count, max_per_industry}``, where a limit without ``kind`` applies to every
application. Optional: ``kinds`` and ``industries`` (code → 中文名; when present an application's
kind or industry must be one of them), ``rate`` (the subsidy rate as a fraction, e.g. 0.1 for
10%) with ``a_class_uplift_points`` (percentage points added for a 亩均效益 A-class enterprise),
which together turn an eligible investment into the requested amount, and ``citation``.

Every problem is reported in Chinese, all at once, naming the key that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

POTS_DIR = Path(__file__).resolve().parent.parent / "catalog" / "grading" / "pots"
TOP_KEYS = {"name", "budget_yuan", "limits", "kinds", "industries", "rate", "a_class_uplift_points",
            "citation", "note"}
LIMIT_KEYS = {"kind", "max_count", "max_per_industry"}
MAX_POT_BYTES = 256 * 1024  # a pot is a few lines; an upload past this is not a pot
MAX_BUDGET_FEN = 10**12  # 100亿元: past any pot a city allocates
CODE_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff._-]{1,50}$")
RATE_PLACES = 6  # a rate is kept as parts per million: exact integer arithmetic downstream


class PotInvalid(Exception):
    """The pot file is refused; ``problems`` lists every reason in Chinese."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join([f"资金池文件有误：{self.source}（{len(self.problems)} 个问题）",
                          *(f"  {p}" for p in self.problems)])


@dataclass(frozen=True)
class Limit:
    """At most ``max_count`` awards (and ``max_per_industry`` per industry) among the
    applications of ``kind`` (every application when ``kind`` is None)."""

    kind: str | None
    max_count: int | None
    max_per_industry: int | None


@dataclass(frozen=True)
class Pot:
    """A checked pot. Money in integer fen; the rate and uplift in parts per million."""

    name: str
    budget_fen: int
    limits: tuple[Limit, ...]
    kinds: dict[str, str] = field(default_factory=dict)
    industries: dict[str, str] = field(default_factory=dict)
    rate_ppm: int | None = None
    a_class_uplift_ppm: int = 0
    citation: str = ""

    def kind_name(self, kind: str | None) -> str:
        """The kind's Chinese name (the code itself when the pot names none)."""
        if kind is None:
            return "项目"
        return self.kinds.get(kind, kind)

    def industry_name(self, industry: str) -> str:
        """The industry's Chinese name (the code itself when the pot names none)."""
        return self.industries.get(industry, industry)

    def limit_sentences(self) -> list[str]:
        """Each limit in Chinese: “智能化投资项目最多 5 个，每个行业最多 1 个”."""
        return [f"{self.kind_name(lim.kind) if lim.kind else '全部项目'}"
                + (f"最多 {lim.max_count} 个" if lim.max_count else "")
                + (f"，每个行业最多 {lim.max_per_industry} 个" if lim.max_per_industry else "")
                for lim in self.limits]

    @property
    def uses_industry(self) -> bool:
        """Whether an application's industry matters (a per-industry limit or a vocabulary)."""
        return bool(self.industries) or any(lim.max_per_industry is not None for lim in self.limits)


def load_pot(path: Path, *, shown_name: str | None = None) -> Pot:
    """Read and check the pot YAML at ``path``; ``PotInvalid`` with every problem."""
    path = Path(path)
    name = shown_name or path.name
    if not path.is_file():
        raise PotInvalid(name, ["找不到资金池文件"])
    if path.stat().st_size > MAX_POT_BYTES:
        raise PotInvalid(name, [f"文件过大：资金池文件最多 {MAX_POT_BYTES // 1024} KB"])
    return parse_pot(path.read_bytes(), source=name)


def parse_pot(data: bytes | str, *, source: str = "资金池") -> Pot:
    """Check a pot given as YAML text; ``PotInvalid`` with every problem."""
    if isinstance(data, bytes):
        if len(data) > MAX_POT_BYTES:
            raise PotInvalid(source, [f"文件过大：资金池文件最多 {MAX_POT_BYTES // 1024} KB"])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PotInvalid(source, ["无法识别的编码：请保存为 UTF-8 编码"]) from None
    try:
        raw = yaml.safe_load(data)  # safe_load: no tags, no objects — the text is never run
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"第 {line + 1} 行附近" if line is not None else ""
        raise PotInvalid(source, [f"不是有效的 YAML 格式{where}"]) from None
    if not isinstance(raw, dict):
        raise PotInvalid(source, ["资金池文件应为键值对（name、budget_yuan、limits 等）"])
    problems: list[str] = []
    unknown = sorted(str(k) for k in raw if k not in TOP_KEYS)
    if unknown:
        problems.append(f"未知的键：{'、'.join(unknown)}（可用：{'、'.join(sorted(TOP_KEYS))}）")
    title = raw.get("name")
    if not isinstance(title, str) or not title.strip():
        problems.append("缺少资金池名称（name）")
    budget = _money_fen(raw.get("budget_yuan"))
    if budget is None:
        problems.append("资金总额（budget_yuan）应为大于 0 的金额（元，最多两位小数，不超过 100亿元）")
    kinds = _vocabulary(raw.get("kinds"), "项目类别（kinds）", problems)
    industries = _vocabulary(raw.get("industries"), "行业（industries）", problems)
    limits = _limits(raw.get("limits"), kinds, problems)
    rate = _fraction_ppm(raw.get("rate"))
    if raw.get("rate") is not None and (rate is None or not 0 < rate < 10**RATE_PLACES):
        problems.append("补助比例（rate）应为 0 到 1 之间的小数（如 0.1 即 10%），最多六位小数")
    uplift = _fraction_ppm(raw.get("a_class_uplift_points", 0), scale=10**(RATE_PLACES - 2))
    if uplift is None or uplift < 0 or uplift >= 10**RATE_PLACES:
        problems.append("A类企业上浮（a_class_uplift_points）应为不小于 0 的百分点数（如 2），最多四位小数")
    elif uplift and raw.get("rate") is None:
        problems.append("设置了A类企业上浮（a_class_uplift_points），但没有补助比例（rate）")
    if problems:
        raise PotInvalid(source, problems)
    return Pot(name=title.strip(), budget_fen=budget, limits=tuple(limits), kinds=kinds, industries=industries,
               rate_ppm=rate, a_class_uplift_ppm=uplift or 0, citation=_citation(raw.get("citation")))


def find_pot(given: str | Path) -> Pot:
    """The pot at the path ``given``, or the catalog's pot of that name (a file stem such as
    ``qz2019_art5_key_projects``); ``PotInvalid`` naming the catalog's pots when neither."""
    path = Path(given)
    if not path.exists() and re.fullmatch(r"[0-9A-Za-z_-]{1,100}", str(given)):
        listed = POTS_DIR / f"{given}.yaml"
        if listed.is_file():
            return load_pot(listed)
        names = "、".join(p.stem for p in sorted(POTS_DIR.glob("*.yaml")))
        raise PotInvalid(str(given), [f"找不到资金池文件，目录中也没有这个资金池（目录中的资金池：{names}）"])
    return load_pot(path)


def catalog_pots() -> dict[str, Pot]:
    """The catalog's pots (``catalog/grading/pots/*.yaml``), by file stem."""
    return {path.stem: load_pot(path) for path in sorted(POTS_DIR.glob("*.yaml"))}


def _limits(raw, kinds: dict[str, str], problems: list[str]) -> list[Limit]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append("限额（limits）应为列表，每项含 kind、max_count、max_per_industry")
        return []
    limits = []
    for number, item in enumerate(raw, start=1):
        where = f"第 {number} 条限额"
        if not isinstance(item, dict):
            problems.append(f"{where}应为键值对（kind、max_count、max_per_industry）")
            continue
        unknown = sorted(str(k) for k in item if k not in LIMIT_KEYS)
        if unknown:
            problems.append(f"{where}有未知的键：{'、'.join(unknown)}（可用：kind、max_count、max_per_industry）")
        kind = item.get("kind")
        if kind is not None:
            kind = str(kind).strip()
            if not CODE_RE.match(kind):
                problems.append(f"{where}的项目类别（kind）只能由字母、数字、汉字和 - _ . 组成")
            elif kinds and kind not in kinds:
                problems.append(f"{where}的项目类别“{kind}”不在项目类别（kinds）中")
        counts = {key: _positive_int(item.get(key)) for key in ("max_count", "max_per_industry")}
        for key, label in (("max_count", "项目数上限（max_count）"), ("max_per_industry", "每行业上限（max_per_industry）")):
            if item.get(key) is not None and counts[key] is None:
                problems.append(f"{where}的{label}应为正整数")
        if item.get("max_count") is None and item.get("max_per_industry") is None:
            problems.append(f"{where}没有上限：须有 max_count 或 max_per_industry")
        limits.append(Limit(kind, counts["max_count"], counts["max_per_industry"]))
    return limits


def _vocabulary(raw, label: str, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{label}应为“代码: 中文名”的键值对")
        return {}
    words = {str(k).strip(): str(v).strip() for k, v in raw.items()}
    bad = [k for k, v in words.items() if not CODE_RE.match(k) or not v]
    if bad:
        problems.append(f"{label}的代码或名称无效：{'、'.join(bad)}（代码只能由字母、数字、汉字和 - _ . 组成）")
    return words


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())  # str(): YAML's 0.1 reads back as "0.1", not a binary float
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _money_fen(value) -> int | None:
    number = _decimal(value)
    if number is None or number <= 0 or number * 100 != int(number * 100) or number * 100 > MAX_BUDGET_FEN:
        return None
    return int(number * 100)


def _fraction_ppm(value, *, scale: int = 10**RATE_PLACES) -> int | None:
    number = _decimal(value)
    if number is None:
        return None
    scaled = number * scale
    return int(scaled) if scaled == int(scaled) else None


def _positive_int(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _citation(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, dict):
        return "；".join(str(v).strip() for v in raw.values() if v is not None)
    return str(raw).strip()

"""Each audit event as one Chinese sentence for the 审计日志 page. Pure: no I/O.

The log keeps machine fields (``amount_fen``, ``from: confirmed``, ``user:admin``) because the
hash chain and scripts read them; people read a sentence: states and roles by their Chinese
names, money in 元 to the fen, records by what they are (奖补 12 号, 账户 admin). ``SENTENCES``
holds one writer per action kind the code records; tests/test_audit_sentences.py fails when an
action written in store/ or web/ has none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..access import ROLES
from ..render import money
from ..fulfilment import STATE_ZH
from ..projects.amounts import wan_to_yi
from ..projects.schedule import STAGE_ZH
from ..followup.detectors import SOURCE_ZH as WARNING_SOURCE_ZH
from ..followup.detectors import STATE_ZH as WARNING_STATE_ZH

CLAIM_STATE_ZH = {"pending": "待核实", "filed": "已受理"}
# The kinds of early-warning data a ``market.import`` event names (its detail's ``kind``).
MARKET_KIND_ZH = {"retail": "消费市场月度零售额", "supply": "应急保供物资报表", "remedies": "贸易救济案件",
                  "country_risk": "国别风险"}


@dataclass(frozen=True)
class Names:
    """What codes in an event are called: org units, rules (第N条 …), payers and projects."""

    org_units: Mapping[str, str] = field(default_factory=dict)
    rules: Mapping[str, str] = field(default_factory=dict)
    payers: Mapping[str, str] = field(default_factory=dict)
    projects: Mapping[str, str] = field(default_factory=dict)


def yuan(fen) -> str:
    """Integer fen as 元 to the fen (1,234.56 元); anything else as it is."""
    return f"{money(fen)} 元" if isinstance(fen, int) and not isinstance(fen, bool) else "—"


def _record(obj: str) -> str:
    """``award:12`` → 奖补 12 号; ``user:admin`` → 账户 admin; a file name stays as it is."""
    kind, _, key = obj.partition(":")
    label = {"award": "奖补 {} 号", "claim": "申报 {} 号", "batch": "第 {} 批", "payment_list": "兑付清单 {} 号",
             "enterprise_import": "第 {} 次企业数据导入", "rule": "规则 {}", "user": "账户 {}",
             "project_import": "第 {} 次项目进度导入", "project": "项目 {}",
             "warning": "预警 {} 号", "fdi_import": "第 {} 次外资项目导入",
             "order_import": "第 {} 次订单+清单导入",
             "market_import": "第 {} 次预警监测数据导入",
             "grading_run": "第 {} 次亩均效益评价", "grading_publication": "第 {} 次评价类别公布",
             "grading_leaders": "第 {} 次龙头、标杆企业名单", "grading_allocation": "第 {} 次竞争性分配",
             "notice": "站内消息 {} 号", "notices": "站内消息 {} 号", "notice_dispute": "消息反馈 {} 号"}.get(kind)
    return label.format(key) if label and key else obj


def _role(code) -> str:
    return ROLES.get(code, "未知角色")


def _scope(d: Mapping, names: Names) -> str:
    parts = [f"机构 {names.org_units.get(d['org_unit'], d['org_unit'])}" if d.get("org_unit") else "",
             f"统一社会信用代码 {d['uscc']}" if d.get("uscc") else "",
             f"责任单位 {d['responsible_unit']}" if d.get("responsible_unit") else ""]
    return "，".join(p for p in parts if p)


def _award(d: Mapping, names: Names) -> str:
    """The award's enterprise, rule and year, as the review events carry them."""
    rule = names.rules.get(d.get("rule"), "政策条款")
    return f"（{d.get('uscc', '')}，{d.get('year', '')}年度，{rule}）"


def _reason(d: Mapping) -> str:
    return f"，理由：{d['reason']}" if d.get("reason") else ""


def _transition(verb: str) -> Callable[[str, Mapping, Names], str]:
    def write(obj: str, d: Mapping, names: Names) -> str:
        before, after = STATE_ZH.get(d.get("from"), "未知状态"), STATE_ZH.get(d.get("to"), "未知状态")
        return (f"{verb}{_record(obj)}{_award(d, names)}，金额 {yuan(d.get('amount_fen'))}，"
                f"状态由“{before}”变为“{after}”{_reason(d)}")
    return write


def _user_role(obj: str, d: Mapping, names: Names) -> str:
    before, after = d.get("from") or {}, d.get("to") or {}
    scope = _scope(after, names)
    return (f"将{_record(obj)}的角色由“{_role(before.get('role'))}”改为“{_role(after.get('role'))}”"
            + (f"（{scope}）" if scope else ""))


def _user_add(obj: str, d: Mapping, names: Names) -> str:
    scope = _scope(d, names)
    return f"新建{_record(obj)}，角色“{_role(d.get('role'))}”" + (f"（{scope}）" if scope else "")


def _warning_step(obj: str, d: Mapping, names: Names) -> str:
    """One step of a warning's handling: what, on which subject, the state before and after,
    the note and the file."""
    before = WARNING_STATE_ZH.get(d.get("from"), "未知状态")
    after = WARNING_STATE_ZH.get(d.get("to"), "未知状态")
    attachment = d.get("attachment") or {}
    return (f"{_record(obj)}（{d.get('subject', '')}）：状态由“{before}”变为“{after}”"
            + (f"，说明：{d['note']}" if d.get("note") else "")
            + (f"，附件“{attachment.get('filename', '')}”" if attachment else ""))


def _warnings_raise(obj: str, d: Mapping, names: Names) -> str:
    sources = "、".join(WARNING_SOURCE_ZH.get(s, "其他") for s in d.get("sources") or [])
    return (f"发出{sources}预警（{'、'.join(d.get('periods') or [])}）：共 {d.get('rows', 0)} 条，"
            f"新增 {d.get('new', 0)} 条，已有 {d.get('unchanged', 0)} 条")


def _enterprise_data(obj: str, d: Mapping, names: Names) -> str:
    tables = (("enterprises", "企业"), ("facts", "年度数据"), ("events", "事件"), ("fact_values", "其他年度指标"))
    counts = "；".join(f"{zh}新增 {d.get(f'{t}_new', 0)} 条、修改 {d.get(f'{t}_changed', 0)} 条" for t, zh in tables)
    return f"导入企业数据文件“{d.get('file', '')}”（{_record(obj)}）：{counts}"


def _project_reports(obj: str, d: Mapping, names: Names) -> str:
    parts = []
    for table, zh in (("reports", "月度进度"), ("projects", "重点项目")):
        counts = d.get(table) if isinstance(d.get(table), Mapping) else {}
        parts.append(f"{zh}新增 {counts.get('new', 0)} 条、修订 {counts.get('revised', 0)} 条、"
                     f"未变 {counts.get('unchanged', 0)} 条")
    return f"导入项目进度文件“{d.get('file', '')}”（{_record(obj)}）：{'；'.join(parts)}"


def _project_report(obj: str, d: Mapping, names: Names) -> str:
    def yi(wan) -> str:
        return f"{wan_to_yi(wan)} 亿元" if isinstance(wan, int) and not isinstance(wan, bool) else "—"

    # The project by its name (its id is a code no one reads), the id only for one unknown here.
    key = obj.partition(":")[2]
    project = f"项目“{names.projects[key]}”" if key in names.projects else _record(obj)
    return (f"填报{project} {d.get('month', '')} 进度（第 {d.get('version', '—')} 版）：建设阶段"
            f"{STAGE_ZH.get(d.get('stage'), '未知')}，年度计划投资 {yi(d.get('annual_plan_wan'))}，"
            f"本年累计完成 {yi(d.get('completed_ytd_wan'))}")


def _class_counts(d: Mapping) -> str:
    counts = d.get("classes") if isinstance(d.get("classes"), Mapping) else {}
    return "、".join(f"{c} 类 {counts[c]} 家" for c in sorted(counts)) or "无"


def _score_e4(units) -> str:
    """A score stored × 10 000 (exact) as its digits: 1234500 → 123.45."""
    if not isinstance(units, int) or isinstance(units, bool):
        return "—"
    whole, part = divmod(units, 10_000)
    return f"{whole}.{part:04d}".rstrip("0").rstrip(".") if part else str(whole)


def _grading_run(obj: str, d: Mapping, names: Names) -> str:
    where = names.org_units.get(d.get("org_unit"), d.get("org_unit")) if d.get("org_unit") else "全市"
    source = "已入库的企业数据" if d.get("source") == "store" else f"文件“{d.get('source', '')}”"
    return (f"运行{d.get('year', '')}年度{where}亩均效益评价（{_record(obj)}，依据{source}）：评价 {d.get('graded', 0)} 家，"
            f"不在评价范围 {d.get('out_of_scope', 0)} 家；{_class_counts(d)}")


def _grading_regrade(obj: str, d: Mapping, names: Names) -> str:
    return (f"手动调档：{d.get('name', '')}（{d.get('uscc', '')}）{d.get('year', '')}年度亩均效益评价类别由 "
            f"{d.get('from', '—')} 类调为 {d.get('to', '—')} 类（第 {d.get('version', '—')} 次调整，初评 "
            f"{d.get('initial', '—')} 类）{_reason(d)}")


def _grading_leaders(obj: str, d: Mapping, names: Names) -> str:
    chosen = d.get("selected") if isinstance(d.get("selected"), Mapping) else {}
    return (f"生成{d.get('year', '')}年度龙头、标杆企业名单（{_record(obj)}）：候选 {d.get('candidates', 0)} 家，"
            f"入选龙头企业 {chosen.get('leading', 0)} 家、标杆企业 {chosen.get('benchmark', 0)} 家")


SENTENCES: dict[str, Callable[[str, Mapping, Names], str]] = {
    "login": lambda o, d, n: f"以“{_role(d.get('role'))}”身份登录，来源地址 {d.get('address', '—')}",
    "login.failed": lambda o, d, n: f"登录失败，来源地址 {d.get('address', '—')}",
    "login.locked": lambda o, d, n: (f"登录失败次数过多，锁定 {d.get('minutes', '—')} 分钟，"
                                     f"来源地址 {d.get('address', '—')}"),
    "logout": lambda o, d, n: "退出登录",
    "import_actuals": lambda o, d, n: (
        f"导入统计数据文件“{o}”：共 {d.get('rows', 0)} 行，新增 {d.get('new', 0)} 条、修订 {d.get('revised', 0)} 条、"
        f"未变 {d.get('unchanged', 0)} 条" + (f"，已核对 {d['accepted_warnings']} 条提示" if d.get("accepted_warnings")
                                              else "")),
    "import_rejected": lambda o, d, n: f"文件“{o}”被整体退回，未导入任何数据（{d.get('problem_count', 0)} 个问题）",
    "enterprise_data.save": _enterprise_data,
    "project_reports.save": _project_reports,
    "project_report.enter": _project_report,
    "fdi.import": lambda o, d, n: (
        f"导入外资项目文件“{d.get('file', '')}”（{_record(o)}）：共 {d.get('rows', 0)} 个项目，新增 {d.get('new', 0)} 个、"
        f"更新 {d.get('changed', 0)} 个、未变 {d.get('unchanged', 0)} 个"),
    "orders.import": lambda o, d, n: (
        f"导入订单+清单文件“{d.get('file', '')}”（{_record(o)}）：共 {d.get('rows', 0)} 条月报，新增 {d.get('new', 0)} 条、"
        f"更新 {d.get('changed', 0)} 条、未变 {d.get('unchanged', 0)} 条"),
    "market.import": lambda o, d, n: (
        f"导入{MARKET_KIND_ZH.get(d.get('kind', ''), '预警监测数据')}文件“{d.get('file', '')}”（{_record(o)}）：共 "
        f"{d.get('rows', 0)} 行，新增 {d.get('new', 0)} 行、更新 {d.get('changed', 0)} 行、未变 {d.get('unchanged', 0)} 行"),
    "awards.batch": lambda o, d, n: (
        f"运行{d.get('year', '')}年度免申即享{_record(o)}：计算 {d.get('computed', 0)} 项，新拟 {d.get('inserted', 0)} 项"
        f"（{yuan(d.get('inserted_fen'))}），已有 {d.get('already_present', 0)} 项，其中金额变化 {d.get('changed', 0)} 项"),
    "award.confirm": _transition("企业确认"),
    "award.approve": _transition("审核通过"),
    "award.reject": _transition("驳回"),
    "award.reopen": _transition("重新审核"),
    "award.assess": lambda o, d, n: (
        f"评审核定{_record(o)}{_award(d, n)}：金额由 {yuan(d.get('from_fen'))} 核定为 {yuan(d.get('to_fen'))}"
        f"{_reason(d)}" + ("，附专家评审意见" if d.get("attachment") else "")),
    "claims.file": lambda o, d, n: (
        f"企业提交{_record(o)}（{d.get('uscc', '')}，{d.get('year', '')}年度，{n.rules.get(d.get('rule'), '政策条款')}），"
        + (f"状态“{CLAIM_STATE_ZH['pending']}”" if d.get("state") == "pending"
           else f"拟奖补 {yuan(d.get('amount_fen'))}") + f"，证明材料 {len(d.get('attachments') or [])} 个"),
    "claims.verify": lambda o, d, n: (
        f"核实{_record(o)}（{d.get('name', '')}，{n.org_units.get(d.get('org_unit'), '')}）"
        + ("并登记该企业" if d.get("registered_here") else "") + f"，拟奖补 {yuan(d.get('amount_fen'))}"),
    "payment_list.create": lambda o, d, n: (
        f"生成{_record(o)}（付款单位 {n.payers.get(d.get('payer'), d.get('payer', ''))}）："
        f"{d.get('count', 0)} 项奖补，合计 {yuan(d.get('total_fen'))}"),
    "payment_list.paid": lambda o, d, n: (
        f"将{_record(o)}标记为已兑付：{d.get('count', 0)} 项奖补，合计 {yuan(d.get('total_fen'))}"),
    "rules.edit": lambda o, d, n: (
        ("将" if d.get("revert") else "修改") + f"{n.rules.get(d.get('rule'), _record(o))}"
        + ("恢复为政策原文" if d.get("revert") else "") + f"，生效为第 {d.get('version', '')} 版{_reason(d)}"),
    "warnings.raise": _warnings_raise,
    **{f"warning.{action}": _warning_step for action in ("acknowledge", "action", "escalate", "close")},
    "grading.run": _grading_run,
    "grading.regrade": _grading_regrade,
    "grading.publish": lambda o, d, n: (
        f"公布{d.get('year', '')}年度亩均效益评价类别（{_record(o)}，依据第 {d.get('run_id', '—')} 次评价）："
        f"{d.get('enterprises', 0)} 家企业，{_class_counts(d)}，作为企业年度数据供政策兑现使用"
        + (f"；清除不再参评的 {d['cleared']} 家企业原有类别" if d.get("cleared") else "")),
    "grading.leaders": _grading_leaders,
    "grading.allocate": lambda o, d, n: (
        f"竞争性分配资金池“{d.get('pot', '')}”（{_record(o)}，申报文件“{d.get('file', '')}”）：申报 "
        f"{d.get('applications', 0)} 项，入选 {d.get('selected', 0)} 项，合计 {yuan(d.get('total_fen'))}，总得分 "
        f"{_score_e4(d.get('total_score_e4'))}，比逐项择优多得 {_score_e4(d.get('gap_score_e4'))} 分"),
    "notices.send": lambda o, d, n: f"因{_record(o)}向企业发送站内消息 {d.get('sent', 0)} 条",
    "notices.read": lambda o, d, n: f"企业（{d.get('uscc', '')}）阅读{_record(o)}",
    "notices.dispute": lambda o, d, n: f"企业（{d.get('uscc', '')}）反馈{_record(o)}有误{_reason(d)}",
    "notices.dispute_close": lambda o, d, n: f"办结{_record(o)}，处理意见：{d.get('answer', '')}",
    "notices.export": lambda o, d, n: f"导出{_record(o)}共 {d.get('count', 0)} 条，供短信、浙政钉网关发送",
    "library.add": lambda o, d, n: (
        f"新增政策文件《{d.get('title', '')}》第 {d.get('version', '—')} 版（{d.get('articles', 0)} 段正文）"),
    "library.sync": lambda o, d, n: (
        f"政策库写入随平台发布的文件《{d.get('title', '')}》第 {d.get('version', '—')} 版（{d.get('articles', 0)} 段正文）"),
    "user.add": _user_add,
    "user.token": lambda o, d, n: f"为{_record(o)}签发接口令牌“{d.get('name', '')}”",
    "user.deactivate": lambda o, d, n: f"停用{_record(o)}，吊销令牌 {d.get('tokens_revoked', 0)} 个",
    "user.password": lambda o, d, n: f"修改{_record(o)}的密码",
    "user.role": _user_role,
    "user.unlock": lambda o, d, n: f"解除{_record(o)}的登录锁定" + ("（曾有失败记录）" if d.get("had_failures") else ""),
}


def audit_sentence(action: str, obj: str, detail, names: Names | None = None) -> str:
    """One event as a Chinese sentence. An action this version does not know, or a detail that
    is not a mapping (tampered with: the chain check reports it), reads as a plain fallback."""
    names = names or Names()
    write = SENTENCES.get(action)
    if write is None or not isinstance(detail, Mapping):
        return f"{_record(obj)}：记录内容无法解读"
    return write(obj, detail, names)

"""The 审计日志 page's sentences: one per action kind the code writes, Chinese, money in 元."""

import re
from pathlib import Path

import pytest

from commerce_brain.web.audit_sentences import SENTENCES, Names, audit_sentence

SOURCE = Path(__file__).resolve().parents[1] / "src" / "commerce_brain"
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def written_actions() -> set[str]:
    """Every action kind an ``action="…"`` anywhere in the package records (the award workflow
    moved from store/ to fulfilment/ once, and a scan of named folders silently lost it)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(re.findall(r'action="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_action_the_code_writes_has_a_sentence():
    actions = written_actions()
    assert len(actions) >= 20  # the scan itself works
    assert sorted(actions - set(SENTENCES)) == []


NAMES = Names(org_units={"330802": "柯城区", "330800": "衢州市"}, payers={"330800": "衢州市财政"},
              rules={"rd_subsidy": "第3条 研发投入补助"})

EVENTS = [
    ("notices.send", "batch:3", {"sent": 12}, ["第 3 批", "站内消息 12 条"]),
    ("notices.dispute", "notice:5", {"uscc": "X", "reason": "金额不对", "dispute": 1}, ["站内消息 5 号", "理由：金额不对"]),
    ("notices.export", "notices:1-20", {"count": 20}, ["共 20 条", "网关"]),
    ("award.approve", "award:12", {"from": "confirmed", "to": "approved", "uscc": "91350100M000100Y43",
                                   "rule": "rd_subsidy", "year": 2023, "amount_fen": 2400000, "payer": "330800",
                                   "reason": None},
     ["审核通过奖补 12 号", "第3条 研发投入补助", "24,000.00 元", "“企业已确认”变为“审核通过”"]),
    ("award.reject", "award:3", {"from": "proposed", "to": "rejected", "uscc": "X", "rule": "rd_subsidy",
                                 "year": 2023, "amount_fen": 5, "payer": "330800", "reason": "材料不全"},
     ["驳回奖补 3 号", "0.05 元", "理由：材料不全"]),
    ("award.assess", "award:7", {"from_fen": 50000000, "to_fen": 12345678, "reason": "专家意见", "uscc": "X",
                                 "rule": "rd_subsidy", "year": 2023, "payer": "330800", "attachment": None},
     ["评审核定奖补 7 号", "500,000.00 元", "123,456.78 元"]),
    ("payment_list.create", "payment_list:2", {"payer": "330800", "count": 3, "total_fen": 100, "award_ids": [1, 2, 3]},
     ["兑付清单 2 号", "衢州市财政", "3 项奖补", "1.00 元"]),
    ("user.role", "user:bob", {"from": {"role": "city_analyst", "org_unit": None, "uscc": None},
                               "to": {"role": "county_analyst", "org_unit": "330802", "uscc": None}},
     ["账户 bob", "“市级分析员”改为“县（市、区）分析员”", "柯城区"]),
    ("login", "web", {"role": "leader", "address": "10.0.0.1"}, ["领导驾驶舱（只读）", "10.0.0.1"]),
    ("login", "web", {"role": "project_unit", "address": "10.0.0.2"}, ["项目责任单位"]),
    ("warnings.raise", "warnings", {"sources": ["projects"], "periods": ["2026-10"], "rows": 3, "new": 2,
                                    "unchanged": 1}, ["发出项目推进预警", "2026-10", "新增 2 条", "已有 1 条"]),
    ("warning.action", "warning:4", {"from": "acknowledged", "to": "action_taken", "subject": "六春湖项目",
                                     "note": "召开协调会", "attachment": {"filename": "纪要.pdf", "sha256": "ab"}},
     ["预警 4 号", "六春湖项目", "“已签收”变为“已采取措施”", "说明：召开协调会", "附件“纪要.pdf”"]),
    ("warning.close", "warning:4", {"from": "action_taken", "to": "closed", "subject": "六春湖项目", "note": None,
                                    "attachment": None}, ["预警 4 号", "“已采取措施”变为“已办结”"]),
    ("fdi.import", "fdi_import:3", {"file": "二季度外资项目", "sha256": "ab", "rows": 9, "new": 2, "changed": 1,
                                     "unchanged": 6}, ["第 3 次外资项目导入", "二季度外资项目", "共 9 个项目", "新增 2 个、更新 1 个"]),
    ("orders.import", "order_import:2", {"file": "二月订单", "sha256": "ab", "rows": 40, "new": 38, "changed": 2,
                                          "unchanged": 0}, ["第 2 次订单+清单导入", "二月订单", "共 40 条月报", "新增 38 条、更新 2 条"]),
    ("market.import", "market_import:2", {"kind": "retail", "file": "六月零售额", "sha256": "ab", "rows": 18,
                                          "new": 17, "changed": 1, "unchanged": 0},
     ["第 2 次预警监测数据导入", "消费市场月度零售额", "六月零售额", "共 18 行", "新增 17 行、更新 1 行"]),
    ("grading.run", "grading_run:3", {"year": 2023, "org_unit": "330802", "source": "store", "settings_digest": "ab",
                                      "graded": 40, "out_of_scope": 2, "classes": {"A": 8, "D": 2, "B": 30}},
     ["运行2023年度柯城区亩均效益评价", "第 3 次亩均效益评价", "已入库的企业数据", "评价 40 家", "A 类 8 家、B 类 30 家、D 类 2 家"]),
    ("grading.regrade", "grading:2023:91330802MA0000001A", {"year": 2023, "uscc": "91330802MA0000001A",
                                                           "name": "甲公司", "from": "D", "to": "C", "initial": "D",
                                                           "version": 1, "reason": "事故已整改"},
     ["手动调档", "甲公司", "由 D 类调为 C 类", "第 1 次调整", "理由：事故已整改"]),
    ("grading.publish", "grading_publication:1", {"year": 2023, "run_id": 3, "fact_import_id": 9, "enterprises": 40,
                                                  "classes": {"A": 8}},
     ["公布2023年度亩均效益评价类别", "第 1 次评价类别公布", "第 3 次评价", "40 家企业"]),
    ("grading.publish", "grading_publication:2", {"year": 2023, "run_id": 4, "fact_import_id": 10, "enterprises": 39,
                                                  "cleared": 1, "classes": {"A": 8}},
     ["39 家企业", "清除不再参评的 1 家企业原有类别"]),
    ("grading.leaders", "grading_leaders:2", {"year": 2023, "run_id": 3, "size": 50, "candidates": 120,
                                              "selected": {"leading": 50, "benchmark": 49}},
     ["龙头、标杆企业名单", "候选 120 家", "龙头企业 50 家、标杆企业 49 家"]),
    ("grading.allocate", "grading_allocation:4", {"pot": "重点项目资金", "file": "申报汇总", "sha256": "ab",
                                                   "applications": 30, "selected": 12, "total_score_e4": 10345000,
                                                   "total_fen": 2990000000, "gap_score_e4": 125000},
     ["资金池“重点项目资金”", "第 4 次竞争性分配", "申报 30 项", "入选 12 项", "29,900,000.00 元", "总得分 1034.5",
      "多得 12.5 分"]),
    ("library.add", "library:qz_crossborder_2020", {"doc_id": "qz_crossborder_2020", "title": "关于支持跨境电商发展的若干意见",
                                                      "version": 2, "articles": 3},
     ["新增政策文件《关于支持跨境电商发展的若干意见》", "第 2 版", "3 段正文"]),
    ("library.sync", "library:qz_commerce_2019", {"doc_id": "qz_commerce_2019", "title": "关于促进大商贸高质量发展若干意见",
                                                  "version": 1, "articles": 13},
     ["随平台发布的文件《关于促进大商贸高质量发展若干意见》", "第 1 版"]),
    ("rules.edit", "rule:rd_subsidy", {"rule": "rd_subsidy", "version": 2, "reason": "调整上限", "revert": False,
                                       "changed": {}, "diff": ""}, ["修改第3条 研发投入补助", "第 2 版", "调整上限"]),
]


@pytest.mark.parametrize(("action", "obj", "detail", "words"), EVENTS, ids=[e[0] for e in EVENTS])
def test_a_sentence_names_states_roles_and_money_in_chinese(action, obj, detail, words):
    sentence = audit_sentence(action, obj, detail, NAMES)
    for word in words:
        assert word in sentence
    # No raw keys, state codes or fen: only the typed names (bob) and the USCC may be Latin.
    # (and a file name the user uploaded, extension included)
    assert not [w for w in LATIN_WORD.findall(sentence) if w not in ("bob", "pdf")
                and not w.isupper()], sentence
    assert "fen" not in sentence and "2400000" not in sentence


def test_an_unknown_action_or_a_tampered_detail_reads_as_a_fallback():
    assert audit_sentence("future.kind", "award:1", {}) == "奖补 1 号：记录内容无法解读"
    assert audit_sentence("award.approve", "award:1", "not json") == "奖补 1 号：记录内容无法解读"

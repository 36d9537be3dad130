"""What the codes of a warning are called where a person reads them. Pure: no I/O.

Each engine that raises warnings names its detectors in Chinese next to its own rules; this
registry gathers them for the warnings page, the CLI and the audit log, and is the vocabulary
``raise_warnings`` checks incoming rows against (an unknown detector, source, subject kind or
level is refused, not shown as a raw code). An engine adds its entries here.
"""

from __future__ import annotations

from ..projects.fdi import DETECTOR_ZH as FDI_DETECTORS
from ..projects.warning_rows import DETECTOR_ZH as PROJECT_DETECTORS
from ..warning.orders import DETECTOR_ZH as ORDER_DETECTORS
from ..warning.orders import SOURCE_ZH as ORDER_SOURCE
from ..warning.market import DETECTOR_ZH as MARKET_DETECTORS
from ..warning.supply import DETECTOR_ZH as SUPPLY_DETECTORS
from ..warning.trade import DETECTOR_ZH as TRADE_DETECTORS

DETECTOR_ZH: dict[str, str] = {
    **PROJECT_DETECTORS,
    # The foreign-investment pipeline (全流程跟踪): a stage past its planned date.
    **FDI_DETECTORS,
    # 订单+清单: an export enterprise's new orders against its own history.
    **ORDER_DETECTORS,
    # The consumer market (消费市场监测): behind the plan target's pace, a year-to-date fall.
    **MARKET_DETECTORS,
    # 应急保供: days of cover below the good's floor, a price jump against its 4-week median.
    **SUPPLY_DETECTORS,
    # 贸易摩擦: a trade remedy case opened on a product the city's sampled enterprises export.
    **TRADE_DETECTORS,
}
SOURCE_ZH: dict[str, str] = {"projects": "项目推进", "fdi": "外资项目全流程跟踪", **ORDER_SOURCE, "market": "消费市场",
                             "supply": "应急保供", "trade": "贸易摩擦"}
SUBJECT_KIND_ZH: dict[str, str] = {"project": "项目", "fdi_project": "外资项目", "enterprise": "企业",
                                   "market_series": "消费市场指标", "supply_item": "应急保供物资",
                                   "remedy_case": "贸易救济案件"}
# Where a subject's own page is (``{id}`` is the subject id); a kind without one is shown unlinked.
SUBJECT_PAGES: dict[str, str] = {"project": "/projects/{id}", "fdi_project": "/fdi/{id}",
                                 "market_series": "/market", "supply_item": "/supply", "enterprise": "/orders/{id}",
                                 "remedy_case": "/trade"}
LEVEL_ZH: dict[str, str] = {"yellow": "黄灯", "red": "红灯"}
STATE_ZH: dict[str, str] = {"open": "待签收", "acknowledged": "已签收", "action_taken": "已采取措施",
                            "escalated": "已升级督办", "closed": "已办结"}
ACTION_ZH: dict[str, str] = {"raise": "发出预警", "acknowledge": "签收", "action": "采取措施",
                             "escalate": "升级督办", "close": "办结"}


def detector_zh(code: str) -> str:
    """A detector's Chinese name (其他预警 for one this version does not know: never the code)."""
    return DETECTOR_ZH.get(code, "其他预警")


def subject_link(kind: str, subject_id: str) -> str | None:
    """The page of a warning's subject, or None when its kind has no page."""
    from urllib.parse import quote

    page = SUBJECT_PAGES.get(kind)
    return page.format(id=quote(subject_id, safe="")) if page else None

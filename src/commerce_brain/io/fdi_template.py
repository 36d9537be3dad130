"""The foreign-investment pipeline template (外资项目全流程跟踪): the columns the import takes, the
vocabularies on their own sheets, and a sample pipeline that shows overdue stages.

The blank template leaves the import sheet empty (its examples are on 说明, where the import never
reads them); ``sample=True`` fills it with nine made-up projects whose dates are set relative to
``today``, so that the sample always shows a landed project, yellow and red overdue stages, a
skipped 供地, one project not yet signed and one overdue for signing.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from ..catalog import Catalog
from ..projects.fdi_catalog import FdiCatalog
from .actuals_template import _write, write_csv
from .fdi_import import SHEET, all_fields

NOTES = [
    "外资项目全流程跟踪：每行一个项目，整份文件全部通过才导入，任何一行有问题则整份退回并列出工作表、行、列和原因。",
    "项目编号：本单位自定的唯一编号；再次导入同一编号即为该项目的新版本（旧版本保留）。",
    "所在地区：县（市、区）或功能区的代码或名称（见“地区”工作表）。",
    "行业、客商国别（地区）：填写“行业”“国别（地区）”工作表中的代码或名称。世界500强：是/否。",
    "合同外资、实到外资：以万美元为单位，最多四位小数（即到美元）；实到外资不超过合同外资，大于 0 时须填写到资实际日期。",
    "各环节（签约→注册→到资→供地→开工→竣工→投产→达产）各有计划日期与实际日期；实际日期不得晚于导入当天，"
    "且不得早于此前环节的实际日期；某环节有实际日期时，此前各环节（供地除外：租赁厂房等项目可不经过供地）须已完成。",
    "已签约、尚未落地（注册+到资）的项目须填写注册、到资的计划日期：落地率按其计算。",
    "下一步责任单位：负责推进下一环节的单位，逾期预警由其处置。",
]


def _sample_rows(today: date) -> list[dict]:
    """Nine made-up projects; ``d(n)`` is ``today`` + n days (negative: in the past)."""
    def d(n: int | None) -> str:
        return "" if n is None else (today + timedelta(days=n)).isoformat()

    def stages(*pairs: tuple[int | None, int | None]) -> dict:
        codes = ["签约", "注册", "到资", "供地", "开工", "竣工", "投产", "达产"]
        padded = list(pairs) + [(None, None)] * (len(codes) - len(pairs))
        return {k: v for code, (plan, done) in zip(codes, padded, strict=True)
                for k, v in ((f"{code}计划日期", d(plan)), (f"{code}实际日期", d(done)))}

    def row(pid, name, org, industry, investor, country, top, contracted, arrived, owner, *pairs):
        return {"项目编号": pid, "项目名称": name, "所在地区": org, "行业": industry, "客商名称": investor,
                "客商国别（地区）": country, "世界500强": top, "合同外资（万美元）": contracted,
                "实到外资（万美元）": arrived, "下一步责任单位": owner, **stages(*pairs)}

    return [
        row("WZ-2025-001", "精密电子元器件生产基地", "柯城区", "电子信息", "东瀛精密电子株式会社", "日本", "是",
            "5000", "3000", "柯城区商务局", (-400, -400), (-370, -372), (-300, -298), (-250, -255), (-200, -201),
            (-20, None), (60, None), (300, None)),
        row("WZ-2025-002", "高分子新材料项目", "衢江区", "新材料", "莱茵新材料集团", "德国", "否",
            "8000", "8000", "衢江区政府", (-900, -900), (-870, -868), (-800, -800), (-760, -760), (-700, -700),
            (-300, -310), (-250, -250), (-30, -32)),
        row("WZ-2025-003", "智能装备制造项目", "龙游县", "高端装备", "汉江装备株式会社", "韩国", "否",
            "3000", "0", "龙游县商务局", (-120, -120), (-60, None), (-30, None), (30, None), (90, None),
            (400, None), (430, None), (600, None)),
        row("WZ-2025-004", "生物医药研发中心", "江山市", "生物医药", "香江生物医药有限公司", "中国香港", "否",
            "2000", "500", "江山市商务局", (-200, -200), (-180, -178), (-150, -149), (None, None), (-90, -92),
            (120, None), (150, None), (400, None)),
        row("WZ-2025-005", "区域结算中心", "开化县", "现代服务业", "狮城服务集团", "新加坡", "否",
            "1000", "0", "开化县商务局", (30, None), (60, None), (90, None)),
        row("WZ-2025-006", "精密机床零部件项目", "常山县", "精密机械", "宝岛精机股份有限公司", "中国台湾", "否",
            "1234.5678", "0", "常山县商务局", (-10, None), (30, None), (60, None)),
        row("WZ-2025-007", "集成电路封装测试项目", "柯城区", "集成电路", "硅谷芯片公司", "美国", "是",
            "12000", "0", "柯城区商务局", (-20, -20), (20, None), (60, None), (120, None), (180, None)),
        row("WZ-2025-008", "功能膜材料项目", "智造新城", "新材料", "北欧材料集团", "丹麦", "否",
            "4000", "1000", "智造新城管委会", (-300, -300), (-280, -280), (-200, -199), (-100, None), (-40, None),
            (200, None)),
        row("WZ-2025-009", "医疗器械生产项目", "衢江区", "其他制造业", "香江生物医药有限公司", "中国香港", "否",
            "1500", "0", "衢江区政府", (-150, -150), (-100, -101), (-45, None), (30, None), (90, None)),
    ]


def write_fdi_template(path: Path, catalog: Catalog, fdi: FdiCatalog, *, sample: bool = False,
                       today: date | None = None) -> Path:
    """Write the template as XLSX (the 外资项目 sheet, 说明, and the vocabularies) or CSV (the
    header row, and the sample's rows with ``sample``)."""
    path = Path(path)
    headers = [aliases[0] for aliases in all_fields(fdi).values()]
    rows = [[r.get(h, "") for h in headers] for r in _sample_rows(today or date.today())] if sample else []
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(path, headers, rows)
    if suffix != ".xlsx":
        raise ValueError(f"template must be .xlsx or .csv, got {path.name}")
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    _write(sheet, headers, rows)
    notes = book.create_sheet("说明")
    for line in NOTES:
        notes.append([line])
    notes.append([])
    notes.append([f"落地：{fdi.landed_zh}均已完成。{fdi.citations.get('mechanism', '')}"])
    notes.column_dimensions["A"].width = 120
    # Reference sheets use headers the import does not take, so they are never read as data.
    _write(book.create_sheet("行业"), ["代码", "名称"], [[c, n] for c, n in fdi.industries.items()])
    _write(book.create_sheet("国别（地区）"), ["代码", "名称"], [[c, n] for c, n in fdi.countries.items()])
    _write(book.create_sheet("地区"), ["代码", "名称"],
           [[u.code, u.name_zh] for u in catalog.org_units if u.kind in ("district", "county", "county_city", "zone")])
    book.save(path)
    return path

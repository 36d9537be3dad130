"""Write catalog/library/*.yaml (the two 004 policies, full text by article) from the seed text.

Run once when the seed changes: `python scripts/library_from_seed.py ../shared/seeds/004_….txt`.
The seed is a PDF's text: lines broken mid-sentence, spaces between characters and page numbers
(—7—); the text is joined back and split at the section headings (一、…) and the articles (8．…).
The metadata (issuer, validity, departments, industries, kinds, regions) is written here by hand
from the text: 附则 and the 资管会's member list name them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from commerce_brain.library.text_split import clean_lines, split_articles, split_preamble

OUT = Path(__file__).resolve().parents[1] / "src/commerce_brain/catalog/library"
META = {
    "qz_innovation_2019": {
        "title": "关于推进创新驱动加快经济高质量发展若干政策意见",
        "doc_number": None, "issuer": "衢州市人民政府", "issued": None,
        "valid_from": "2019-01-01", "valid_until": None, "superseded_by": None,
        "departments": ["市经信局", "市科技局", "市财政局", "市金融办", "市市场监管局", "市发改委", "市大数据局"],
        "industries": ["制造业", "数字经济", "新材料", "新能源", "高端装备", "生命健康", "科技服务业"],
        "enterprise_kinds": ["工业企业", "高新技术企业", "科技型中小企业", "中小微企业", "上市公司"],
        "regions": ["330800"],
        "validity_note": "附则（四）：本政策自发布之日起实施，对应2019年度的奖补按本政策执行。",
    },
    "qz_commerce_2019": {
        "title": "关于促进大商贸高质量发展若干意见",
        "doc_number": None, "issuer": "衢州市人民政府", "issued": "2019-08-29",
        "valid_from": "2019-01-01", "valid_until": None, "superseded_by": None,
        "departments": ["市商务局", "市财政局"],
        "industries": ["批发零售业", "电子商务", "商品交易市场", "现代物流", "餐饮业", "对外贸易"],
        "enterprise_kinds": ["商贸企业", "电商企业", "中小微企业", "外贸企业", "物流企业"],
        # 附则（三）: 市本级 with 柯城区 and 衢江区; the other counties only 可参照执行, so not addressed.
        "regions": ["330802", "330803", "Z33080001", "Z33080002", "Z33080003"],
        "validity_note": "附则（四）：本政策意见自2019年1月1日起施行。",
    },
}


def main(seed: Path) -> None:
    lines = clean_lines(seed.read_text("utf-8"))
    commerce_at = lines.index("关于促进大商贸高质量发展若干意见")
    innovation = lines[:lines.index("附件：衢州市大科创专项资金管理委员会成员名单")]
    commerce = lines[commerce_at + 1:next(i for i, line in enumerate(lines) if line.startswith("抄送"))]
    for doc_id, part in (("qz_innovation_2019", innovation[2:]), ("qz_commerce_2019", commerce)):
        preamble, body = split_preamble(part)
        document = {"id": doc_id, **META[doc_id], "seed": seed.name, "preamble": preamble,
                    "articles": split_articles(body)}
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
        header = f"# {META[doc_id]['title']}: written by scripts/library_from_seed.py from {seed.name}.\n"
        (OUT / f"{doc_id}.yaml").write_text(header + text, "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

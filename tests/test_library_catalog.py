"""The library catalog (issue 13 §1): the two 004 policies by article, linked to their rules, and a
malformed document refused whole with the file and the reason."""

from __future__ import annotations

import shutil

import pytest
import yaml

from commerce_brain.catalog import CatalogError
from commerce_brain.library.catalog import library_dir, load_library, packaged_library
from commerce_brain.policy.engine import packaged


def test_the_seed_policies_are_there_by_article_with_their_rules():
    documents = {d.id: d for d in packaged_library().documents}
    innovation, commerce = documents["qz_innovation_2019"], documents["qz_commerce_2019"]
    assert [a.number for a in innovation.articles if a.number > 0] == list(range(1, 22))
    assert innovation.article(0).title == "附则" and "（四）本政策自发布之日起实施" in innovation.article(0).text
    assert innovation.article(8).section == "四、推进创新生态体系建设"
    assert innovation.article(8).text.startswith("支持技术创新和应用。支持创新主体使用创新券")
    # The 大商贸 policy: its measures, though no award is computed.
    assert [a.number for a in commerce.articles if a.number > 0] == list(range(1, 11))
    assert commerce.article(2).section == "三、主要任务（一）打造“升级版”，聚焦传统商贸业提升。"
    assert commerce.article(5).section == "三、主要任务（二）培养“单项冠军”，加快现代商贸业培育。"
    assert "鼓励扩大引资规模" in commerce.article(8).text  # its second paragraph stays with it
    assert commerce.rules == {} and commerce.article(-1).label == "一、指导思想"
    # Every rule's article is in the library, and the library lists it under that article.
    for rule in packaged()[0].rules():
        assert rule.id in documents[rule.policy].rules[rule.article]
    assert documents["qz_innovation_2019"].issuer == "衢州市人民政府"
    assert "330881" not in commerce.regions  # 其他县（市）可参照执行: not addressed


def library_copy(tmp_path, change) -> object:
    folder = tmp_path / "library"
    shutil.copytree(library_dir(), folder)
    path = folder / "qz_innovation_2019.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return folder


@pytest.mark.parametrize(("change", "reason"), [
    (lambda raw: raw.update(departments=["不存在的局"]), "不存在的局”不在可选值之中"),
    (lambda raw: raw.update(regions=["999999"]), "999999”不在可选值之中"),
    (lambda raw: raw.update(valid_until="2021-12-31"), "有效期与政策规则目录不一致"),
    (lambda raw: raw.update(valid_from="2020-01-01"), "有效期与政策规则目录不一致"),
    (lambda raw: raw["articles"].append(dict(raw["articles"][3])), "条号重复"),
    (lambda raw: raw.update(articles=[a for a in raw["articles"] if a["number"] != 8]), "规则引用的条款 [8] 不在文件中"),
    (lambda raw: raw.update(colour="红"), "不认识的字段 colour"),
    (lambda raw: raw.update(valid_from="明年"), "不是日期"),
])
def test_a_bad_document_is_refused_with_the_file_and_reason(tmp_path, change, reason):
    with pytest.raises(CatalogError, match="qz_innovation_2019.yaml") as refused:
        load_library(library_copy(tmp_path, change))
    assert reason in str(refused.value)

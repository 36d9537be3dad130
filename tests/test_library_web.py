"""The policy library on the web (issue 13 §1–2): search page and API with highlights, a
document's page, the officer's add page (audited, vocabulary checked), roles, and for a signed-in
enterprise whether it qualifies — on SQLite and PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest

from commerce_brain.fulfilment.data import save_policy_data
from commerce_brain.io.enterprise_import import PolicyData
from commerce_brain.policy.frames import EVENT_SCHEMA
from commerce_brain.store.audit import events, verify
from test_rule_edits import account, sign_in, site, with_token  # noqa: F401  (site is a fixture)

FIRM = "91330802MA2ABCDE1T"  # the enterprise account's USCC in test_rule_edits
WAN = 1_000_000
NEW_TEXT = """关于支持跨境电商发展的若干意见
为加快跨境电商发展，提出如下意见：
一、支持主体培育
1．支持跨境电商企业做大。对年度跨境电商交易额首次超过1亿元的企业，给予20万元奖励。
2．支持海外仓建设。对新认定的省级公共海外仓，给予50万元补助。
二、附则
（一）本意见自2020年1月1日起施行，有效期至2021年12月31日。
"""
FORM = {"id": "qz_crossborder_2020", "title": "关于支持跨境电商发展的若干意见", "issuer": "衢州市人民政府",
        "valid_from": "2020-01-01", "valid_until": "2021-12-31", "departments": ["市商务局"],
        "industries": ["电子商务"], "enterprise_kinds": ["电商企业"], "regions": ["330800"], "text": NEW_TEXT}


def test_search_page_shows_article_8_with_its_rule_and_marks(site):
    app, engine = site
    officer, _ = sign_in(app, engine, "policy_officer")
    page = officer.get("/library", params={"q": "研发"})
    assert page.status_code == 200
    assert "第8条" in page.text and "支持技术创新和应用" in page.text
    assert "<mark>研发投入</mark>" in page.text and "研发投入补助" in page.text
    assert 'href="/rules/rd_subsidy"' in page.text
    none = officer.get("/library", params={"q": "区块链元宇宙"})
    assert "没有找到相关条款" in none.text


def test_a_script_query_is_shown_as_text(site):
    app, engine = site
    officer, _ = sign_in(app, engine, "policy_officer")
    page = officer.get("/library", params={"q": "<script>alert(1)</script>研发"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;研发" in page.text


def test_search_api_synonyms_filters_and_the_document(site):
    app, engine = site
    client = with_token(app, engine, "city_analyst")
    found = client.get("/api/v1/library/search", params={"q": "IPO"}).json()
    assert found["rows"][0]["article"] == 15 and "ipo" in found["words"]
    commerce = client.get("/api/v1/library/search", params={"q": "企业", "department": "市商务局", "limit": 100}).json()
    assert {r["doc_id"] for r in commerce["rows"]} == {"qz_commerce_2019"}
    document = client.get("/api/v1/library/qz_commerce_2019").json()
    assert [a["number"] for a in document["articles"] if a["number"] > 0] == list(range(1, 11))
    assert document["in_force"] and all(not a["rules"] for a in document["articles"])
    innovation = client.get("/api/v1/library/qz_innovation_2019").json()
    article_8 = next(a for a in innovation["articles"] if a["number"] == 8)
    assert "rd_subsidy" in [r["id"] for r in article_8["rules"]]
    assert client.get("/api/v1/library/no_such_policy").status_code == 404
    assert client.get("/library/no_such_policy").status_code == 404
    assert client.get("/api/v1/library/search", params={"q": "x" * 201}).status_code == 422


def test_the_officer_adds_a_document_audited_and_expired_is_marked(site):
    app, engine = site
    officer, csrf = sign_in(app, engine, "policy_officer")
    assert officer.get("/library/new").status_code == 200
    saved = officer.post("/library/new", data={**FORM, "csrf": csrf}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/library/qz_crossborder_2020"
    page = officer.get("/library/qz_crossborder_2020")
    assert "已失效" in page.text and "支持海外仓建设" in page.text and "第2条" in page.text
    added = events(engine, action="library.add")
    assert len(added) == 1 and added[0]["actor"] == "policy_officer" and added[0]["detail"]["articles"] == 3
    assert verify(engine).ok
    hits = officer.get("/api/v1/library/search", params={"q": "海外仓"}).json()["rows"]
    assert hits[0]["doc_id"] == "qz_crossborder_2020" and hits[0]["article"] == 2 and not hits[0]["in_force"]
    in_force = officer.get("/api/v1/library/search", params={"q": "海外仓", "in_force": "true"}).json()
    assert in_force["total"] == 0
    # The same id again is the document's next version.
    again = officer.post("/library/new", data={**FORM, "title": "关于支持跨境电商发展的若干意见（修订）", "csrf": csrf},
                         follow_redirects=False)
    assert again.status_code == 303
    assert officer.get("/api/v1/library/qz_crossborder_2020").json()["version"] == 2
    assert len(officer.get("/api/v1/library/search", params={"q": "海外仓"}).json()["rows"]) == 1


@pytest.mark.parametrize(("change", "reason"), [
    ({"departments": ["不存在的部门"]}, "不在可选值之中"),
    ({"regions": ["999999"]}, "不在可选值之中"),
    ({"valid_until": "2019-01-01"}, "失效日期早于生效日期"),
    ({"id": "Bad-Id"}, "编号只能用小写字母"),
    ({"id": "qz_innovation_2019"}, "已是政策库自带文件"),
    ({"valid_from": "明天"}, "不是日期"),
])
def test_a_bad_document_is_refused_whole_and_nothing_is_stored(site, change, reason):
    app, engine = site
    officer, csrf = sign_in(app, engine, "policy_officer")
    answer = officer.post("/library/new", data={**FORM, **change, "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 400 and reason in answer.text
    assert not events(engine, action="library.add")
    assert officer.get("/api/v1/library/qz_crossborder_2020").status_code == 404


def test_a_text_without_headings_is_one_article(site):
    app, engine = site
    officer = with_token(app, engine, "policy_officer")
    added = officer.post("/api/v1/library", json={**FORM, "text": "对新认定的企业给予10万元奖励。\n具体办法另行制订。"})
    assert added.status_code == 200 and added.json()["articles"] == 1
    article = officer.get("/api/v1/library/qz_crossborder_2020").json()["articles"][0]
    assert article["label"] == "第1条" and article["text"] == "对新认定的企业给予10万元奖励。具体办法另行制订。"


def test_only_the_policy_officer_adds(site):
    app, engine = site
    for role in ("enterprise", "city_analyst", "finance_officer", "admin"):
        client, csrf = sign_in(app, engine, role)
        assert client.post("/library/new", data={**FORM, "csrf": csrf}).status_code == 403, role
        assert client.get("/library/new").status_code == 403, role
        api_client = with_token(app, engine, role)
        assert api_client.post("/api/v1/library", json=FORM).status_code == 403, role
    officer = with_token(app, engine, "policy_officer")
    officer_page, _ = sign_in(app, engine, "policy_officer")
    assert officer_page.post("/library/new", data={**FORM, "csrf": "forged"}).status_code == 403
    added = officer.post("/api/v1/library", json=FORM)
    assert added.status_code == 200 and added.json() == {"id": "qz_crossborder_2020", "version": 1, "articles": 3}
    assert officer.post("/api/v1/library", json={**FORM, "industries": ["造船"]}).status_code == 400
    assert len(events(engine, action="library.add")) == 1


def test_an_enterprise_sees_whether_it_qualifies(site):
    app, engine = site
    account(engine, "enterprise")
    enterprise = pl.DataFrame([{"uscc": FIRM, "name": "测试企业", "org_unit": "330802", "industry": "C39",
                                "is_manufacturing": True, "is_industrial": True, "is_listed": False,
                                "is_provincial_or_central_owned": False}])
    facts = pl.DataFrame([{"uscc": FIRM, "year": 2023, "main_revenue": 5000 * WAN, "rd_spend": 188_500_000}],
                         schema={"uscc": pl.String, "year": pl.Int32, "main_revenue": pl.Int64, "rd_spend": pl.Int64})
    save_policy_data(engine, PolicyData(enterprise, facts, pl.DataFrame(schema=EVENT_SCHEMA)), actor="test")
    firm, _ = sign_in(app, engine, "enterprise")
    page = firm.get("/library", params={"q": "研发"})
    assert "差一点" in page.text and "距 200 万元门槛还差 11.5 万元" in page.text
    rule = next(r for r in firm.get("/api/v1/library/search", params={"q": "研发"}).json()["rows"][0]["rules"]
                if r["id"] == "rd_subsidy")
    assert rule["match"]["verdict"] == "near" and rule["match"]["year"] == 2023
    # Another role sees the rules but no verdict: it is not an enterprise.
    officer = with_token(app, engine, "policy_officer")
    rows = officer.get("/api/v1/library/search", params={"q": "研发"}).json()["rows"]
    assert all("match" not in r for row in rows for r in row["rules"])


def test_the_library_pages_speak_chinese(site):
    from test_pages_chinese import latin_words

    app, engine = site
    officer, _ = sign_in(app, engine, "policy_officer")
    for path in ("/library", "/library?q=研发&in_force=1&region=330802", "/library/qz_commerce_2019", "/library/new",
                 "/library?q=区块链"):
        page = officer.get(path)
        assert page.status_code == 200, path
        assert latin_words(page.text, {"policy_officer"}) == [], path
    bad = officer.get("/library?page=abc")
    assert bad.status_code == 422 and latin_words(bad.text, {"policy_officer"}) == []

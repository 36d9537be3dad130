"""Hostile uploads (issue 8 §3): bodies past the limit get 413 at the edge, a zip bomb and a file
of too many rows are refused before parsing, a long parse does not hold up other requests, and a
refused file is not kept on disk."""

from __future__ import annotations

import gc
import hashlib
import io
import os
import re
import socket
import threading
import time
import urllib.request
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from commerce_brain.catalog import load_catalog
from commerce_brain.io.spreadsheet_guard import SpreadsheetRefused, check_spreadsheet
from commerce_brain.settings import MB, Settings, SheetLimits, UploadLimits
from commerce_brain.store.accounts import create_user
from commerce_brain.store.audit import events
from commerce_brain.store.observations import list_imports
from commerce_brain.store.schema import connect
from commerce_brain.web.app import create_app
from sample_files import EMPTY_ROWS, zip_bomb

PASSWORD = "Upload-limits-test-Passw0rd!"
FIRM_USCC = "91350100M000100Y43"
HEADER = "plan,indicator,org_unit,period,value\n"
SMALL = UploadLimits(actuals_mb=1, claim_mb=2, enterprise_mb=3, form_mb=1, actuals_rows=5_000)


@pytest.fixture
def site(database_url, tmp_path):
    catalog = load_catalog()
    engine = connect(database_url)
    create_user(engine, username="city", password=PASSWORD, role="city_analyst", display_name="市分析员",
                catalog=catalog)
    create_user(engine, username="officer", password=PASSWORD, role="policy_officer", display_name="资管办",
                catalog=catalog)
    create_user(engine, username="firm", password=PASSWORD, role="enterprise", display_name="企业",
                uscc=FIRM_USCC, catalog=catalog)
    settings = replace(Settings.from_env(database_url=database_url, data_dir=tmp_path), uploads=SMALL)
    yield create_app(settings), engine, tmp_path / "uploads"
    engine.dispose()


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    form = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "login_token": token,
                                         "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = {"city": "/imports", "officer": "/enterprise-imports"}.get(username, "/claims/new")
    return re.search(r'name="csrf" value="([^"]+)"', client.get(page).text).group(1)


def upload(client: TestClient, csrf: str, name: str, content: bytes):
    return client.post("/imports/preview", data={"csrf": csrf}, files={"file": (name, content, "text/csv")})


def rows_csv(count: int) -> bytes:
    """``count`` data rows; every row after the first 60 repeats a key, so the file is refused
    after the whole of it has been parsed and validated."""
    lines = [f"qz_commerce_14th,retail_sales,330800,{2021 + i % 5}-{1 + i % 12:02d},{1000 + i}\n"
             for i in range(count)]
    return (HEADER + "".join(lines)).encode()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---- 413 at the edge ------------------------------------------------------------------------

def test_a_declared_body_past_the_limit_is_answered_413_with_a_chinese_page(site):
    app, _, folder = site
    client = TestClient(app)
    csrf = sign_in(client, "city")
    answer = upload(client, csrf, "大文件.csv", rows_csv(40_000))  # ~2 MB against a limit of 1 MB
    assert answer.request.headers["content-length"]
    assert answer.status_code == 413
    assert "文件过大" in answer.text and "上限为 1 MB" in answer.text
    assert "Request Entity" not in answer.text and "Too Large" not in answer.text
    assert leftovers(folder) == []


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(site):
    app, _, _ = site
    client = TestClient(app)
    csrf = sign_in(client, "city")
    boundary = "cbboundary"
    sent = []

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
               "Content-Type: text/csv\r\n\r\n").encode()
        for _ in range(64):  # 4 MB in 64 KB chunks
            sent.append(1)
            yield b"x" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post("/imports/preview", content=body(),
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert "content-length" not in answer.request.headers
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.status_code == 413 and "文件过大" in answer.text


def test_the_api_answers_413_in_json(site):
    app, _, _ = site
    client = TestClient(app)
    sign_in(client, "firm")
    answer = client.post("/api/v1/claims", content=b'{"statement": "' + b"x" * (3 * MB) + b'"}',
                         headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "上限为 2 MB" in answer.json()["detail"]


def test_other_requests_are_limited_to_a_small_form(site):
    app, _, _ = site
    answer = TestClient(app).post("/login", data={"username": "city", "password": "x" * (2 * MB)})
    assert answer.status_code == 413


# ---- refused before parsing -----------------------------------------------------------------

def test_a_zip_bomb_is_refused_in_under_a_second_with_a_chinese_message_naming_the_file(site, tmp_path):
    app, engine, folder = site
    bomb = zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=300)
    assert bomb.stat().st_size < MB
    client = TestClient(app)
    csrf = sign_in(client, "city")
    gc.collect()
    started = time.perf_counter()
    answer = client.post("/imports/preview", data={"csrf": csrf},
                         files={"file": ("统计月报.xlsx", bomb.read_bytes(), "application/octet-stream")})
    elapsed = time.perf_counter() - started
    assert answer.status_code == 422
    assert "统计月报.xlsx" in answer.text and "解压后过大" in answer.text
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"
    assert leftovers(folder) == []
    rejected = [e for e in events(engine) if e["action"] == "import_rejected"]
    assert rejected[0]["detail"]["sha256"] == hashlib.sha256(bomb.read_bytes()).hexdigest()


def test_a_bomb_within_the_unpacked_limit_is_refused_for_its_expansion(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=30)
    limits = SheetLimits(file_bytes=10 * MB, unpacked_bytes=1024 * MB, rows=10**9)
    gc.collect()
    started = time.perf_counter()
    with pytest.raises(SpreadsheetRefused, match="压缩炸弹.*bomb.xlsx"):
        check_spreadsheet(bomb, limits)
    assert time.perf_counter() - started < 1.0


def test_a_zip_whose_directory_understates_a_member_is_refused(tmp_path):
    """The declared sizes are what the checks trust; a directory that lies is caught while
    unpacking (zipfile stops at the declared size and the checksum then fails)."""
    bomb = zip_bomb(tmp_path / "liar.xlsx", unpacked_mb=30)
    data = bytearray(bomb.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as book:
        sheet = book.getinfo("xl/worksheets/sheet1.xml")
    entry = data.index(b"PK\x01\x02")  # the central directory: one entry per member
    while data[entry + 46:entry + 46 + len(sheet.filename)] != sheet.filename.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (sheet.compress_size * 5).to_bytes(4, "little")  # claims 5× expansion
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    limits = SheetLimits(file_bytes=10 * MB, unpacked_bytes=1024 * MB, rows=10**9)
    with pytest.raises(SpreadsheetRefused, match="liar.xlsx"):
        check_spreadsheet(liar, limits)


def test_files_with_too_many_rows_are_refused_before_parsing(site):
    app, _, folder = site
    client = TestClient(app)
    csrf = sign_in(client, "city")
    answer = upload(client, csrf, "行太多.csv", rows_csv(6_000))  # the limit is 5,000
    assert answer.status_code == 422 and "行数过多" in answer.text and "行太多.csv" in answer.text
    book = Workbook()
    for i in range(6_001):
        book.active.append(["qz_commerce_14th", "retail_sales", "330800", "2023", i])
    content = io.BytesIO()
    book.save(content)
    answer = client.post("/imports/preview", data={"csrf": csrf},
                         files={"file": ("表格.xlsx", content.getvalue(), "application/octet-stream")})
    assert answer.status_code == 422 and "行数过多" in answer.text and "表格.xlsx" in answer.text
    assert leftovers(folder) == []


# ---- nothing kept that was refused -----------------------------------------------------------

def test_a_rejected_upload_leaves_nothing_on_disk_but_its_hash_and_report_in_the_audit_log(site):
    app, engine, folder = site
    client = TestClient(app)
    csrf = sign_in(client, "city")
    bad = (HEADER + "qz_commerce_14th,社零,330800,2024,900\n").encode()
    answer = upload(client, csrf, "bad.csv", bad)
    assert answer.status_code == 422
    assert leftovers(folder) == []
    event = next(e for e in events(engine) if e["action"] == "import_rejected")
    assert event["object"] == "bad.csv" and event["actor"] == "city"
    assert event["detail"]["sha256"] == hashlib.sha256(bad).hexdigest()
    assert event["detail"]["problem_count"] == 1 and "社零" in event["detail"]["problems"][0]


def test_a_confirmed_upload_is_deleted_once_stored_and_a_stale_preview_is_swept(site):
    app, engine, folder = site
    client = TestClient(app)
    csrf = sign_in(client, "city")
    good = (HEADER + "qz_commerce_14th,retail_sales,330800,2024,1100\n").encode()
    preview = upload(client, csrf, "good.csv", good)
    assert preview.status_code == 200
    sha = hashlib.sha256(good).hexdigest()
    assert leftovers(folder) == [f"{sha}.csv"]  # kept between the preview and the confirmation
    done = client.post("/imports/confirm", data={"csrf": csrf, "sha": sha, "suffix": ".csv",
                                                 "file_name": "good.csv"})
    assert done.status_code == 200 and leftovers(folder) == []
    assert list_imports(engine)[0]["sha256"] == sha
    stale = folder / f"{'0' * 64}.csv"
    stale.write_bytes(good)
    two_days_ago = time.time() - 48 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    upload(client, csrf, "good.csv", good)
    assert stale.name not in leftovers(folder)


# ---- the event loop stays free ----------------------------------------------------------------

def _serve(app) -> tuple[str, callable]:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return base, stop


def test_a_long_parse_does_not_hold_up_other_requests(site):
    """While a 100,000-row file is parsed and validated (seconds), the sign-in page answers: the
    parse runs in a worker thread. Before, the handler parsed on the event loop and every other
    request waited for it."""
    _, _, folder = site
    settings = Settings.from_env(database_url=site[0].state.platform.settings.database_url, data_dir=folder.parent)
    app = create_app(replace(settings, uploads=UploadLimits(actuals_mb=20, actuals_rows=200_000)))
    base, stop = _serve(app)
    try:
        client = TestClient(app)  # only to sign in and read the token; the requests go to the server
        csrf = sign_in(client, "city")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        content = rows_csv(100_000)
        done: dict[str, float] = {}

        def post_upload() -> None:
            import httpx

            httpx.post(f"{base}/imports/preview", data={"csrf": csrf}, headers={"Cookie": cookie},
                       files={"file": ("big.csv", content, "text/csv")}, timeout=120)
            done["upload"] = time.monotonic()

        uploader = threading.Thread(target=post_upload)
        uploader.start()
        time.sleep(0.5)  # the upload is in (a few MB over loopback) and being parsed
        with urllib.request.urlopen(f"{base}/login", timeout=60) as answer:
            assert answer.status == 200
        done["login"] = time.monotonic()
        uploader.join(timeout=120)
        assert "upload" in done, "the upload did not finish"
        assert done["login"] < done["upload"], "the sign-in page waited for the parse"
    finally:
        stop()


def test_the_enterprise_data_import_refuses_a_zip_bomb_before_parsing(tmp_path):
    from commerce_brain.io.actuals_import import ImportRejected
    from commerce_brain.io.enterprise_import import read_policy_data

    bomb = zip_bomb(tmp_path / "企业数据.xlsx", unpacked_mb=300)
    catalog = load_catalog()
    # Only the refusal is timed: not the catalog, nor a collection of the suite's garbage (a
    # whole-suite run once spent 1.4 s here with the catalog loaded inside the clock).
    gc.collect()
    started = time.perf_counter()
    with pytest.raises(ImportRejected) as refused:
        read_policy_data(bomb, catalog, limits=UploadLimits().enterprise_sheet)
    assert time.perf_counter() - started < 1.0
    assert "压缩炸弹" in refused.value.problems[0].reason and "企业数据.xlsx" in refused.value.problems[0].reason


def test_the_enterprise_data_page_has_its_own_limit_and_refuses_a_bomb_keeping_nothing(site, tmp_path):
    app, engine, folder = site
    client = TestClient(app)
    csrf = sign_in(client, "officer")
    big = client.post("/enterprise-imports/preview", data={"csrf": csrf},
                      files={"file": ("企业.xlsx", b"x" * (4 * MB), "application/octet-stream")})
    assert big.status_code == 413 and "上限为 3 MB" in big.text
    bomb = zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=300)
    gc.collect()
    started = time.perf_counter()
    answer = client.post("/enterprise-imports/preview", data={"csrf": csrf},
                         files={"file": ("企业数据.xlsx", bomb.read_bytes(), "application/octet-stream")})
    assert time.perf_counter() - started < 1.0
    assert answer.status_code == 422 and "压缩炸弹" in answer.text and "企业数据.xlsx" in answer.text
    assert leftovers(folder) == []
    event = next(e for e in events(engine) if e["action"] == "import_rejected")
    assert event["detail"]["kind"] == "enterprise_data"
    assert event["detail"]["sha256"] == hashlib.sha256(bomb.read_bytes()).hexdigest()


def test_rows_are_counted_exactly_across_the_chunks_a_sheet_is_unpacked_in(tmp_path):
    """Rows of 27 bytes in 1 MB chunks: tags are cut at chunk ends; each is counted once."""
    sheet = zip_bomb(tmp_path / "rows.xlsx", unpacked_mb=5)
    rows = (5 * MB // len(EMPTY_ROWS)) * 4096
    exact = SheetLimits(file_bytes=10 * MB, unpacked_bytes=100 * MB, rows=rows, expansion=10**6)
    check_spreadsheet(sheet, exact)
    with pytest.raises(SpreadsheetRefused, match=f"{rows:,} 行"):
        check_spreadsheet(sheet, replace(exact, rows=rows - 1))


def test_uploads_take_turns_to_parse_and_one_that_waits_too_long_is_answered_503(site):
    """Each parse near the limits holds hundreds of MB, so a worker parses only
    ``parallel_parses`` at once; past the wait the answer is a Chinese 503 and nothing is kept."""
    _, engine, folder = site
    settings = replace(Settings.from_env(database_url=site[0].state.platform.settings.database_url,
                                         data_dir=folder.parent),
                       uploads=replace(SMALL, parallel_parses=1, parse_wait_seconds=0))
    app = create_app(settings)
    client = TestClient(app)
    csrf = sign_in(client, "city")
    good = (HEADER + "qz_commerce_14th,retail_sales,330800,2024,1100\n").encode()
    turns = app.state.platform.parse_slots
    assert turns.acquire(timeout=1)  # another upload is being parsed
    try:
        busy = upload(client, csrf, "good.csv", good)
    finally:
        turns.release()
    assert busy.status_code == 503 and "正在处理其他导入" in busy.text
    assert leftovers(folder) == []
    assert upload(client, csrf, "good.csv", good).status_code == 200

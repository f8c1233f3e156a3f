"""The status page in a real browser: Debian's headless Chromium, driven by
Selenium, loads it from the server with a bearer token; every consortium the
gRPC API lists is on the page, and every figure on the page (each element
with data-source, data-field and data-value, status.js) equals what the gRPC
API answers for it, as a number and as the text shown. A payment recorded
while the page is open shows within a poll. A screenshot is saved beside the
test's output (ALLIANCE_TEST_OUTPUT_DIR, status-page.png)."""

import os
import re
import subprocess
import time

import pytest
from google.protobuf import json_format
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

from alliance import Client, timestamp
from alliance.v1 import audit_pb2, commands_pb2, events_pb2, queries_pb2

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Give-up bounds: the first render, and a refresh (status.js polls every 10 s).
LOAD_BOUND_SECONDS = 30
REFRESH_BOUND_SECONDS = 25
KRW_FIELD = re.compile(r"Krw$")


def spki_hash(certificate_path):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what Chromium's
    --ignore-certificate-errors-spki-list trusts (the development CA is not
    in the browser's store; only this server's key is let through)."""
    key = subprocess.run(["openssl", "x509", "-in", certificate_path, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=key,
                         check=True, capture_output=True).stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der, check=True,
                            capture_output=True).stdout
    return subprocess.run(["base64"], input=digest, check=True,
                          capture_output=True).stdout.decode().strip()


@pytest.fixture(scope="module")
def browser(server):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,4000", "--lang=ko-KR",
                     "--ignore-certificate-errors-spki-list=" +
                     spki_hash(os.path.join(server.pki_dir, "server.crt"))):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def as_json(message):
    """An answer as the JSON/HTTP face writes it (proto3 JSON, every field)."""
    return json_format.MessageToDict(message, including_default_value_fields=True)


def resolve(answer, path):
    """The value at `path` ("fundingByYear[programYear=2024].disbursedKrw")."""
    value = answer
    for part in path.split("."):
        match = re.fullmatch(r"(\w+)\[(\w+)=([^\]]*)\]", part)
        if match:
            name, key, wanted = match.groups()
            value = next(item for item in value.get(name, []) if str(item.get(key)) == wanted)
        else:
            value = value.get(part, 0) if isinstance(value, dict) else 0
    return value


def shown(field, value):
    """The text status.js shows for a figure."""
    if KRW_FIELD.search(field):
        return f"{int(value):,}원"
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        return f"{int(value):,}"
    return None  # words (a state) and times are checked by value only


def api_answers(server):
    """What the gRPC API answers, keyed by the page's data-source."""
    answers = {}
    with server.client("kiat") as kiat:
        page_token = ""
        while True:
            page = kiat.queries.ListConsortia(
                queries_pb2.ListConsortiaRequest(page_size=100, page_token=page_token))
            for consortium in page.consortia:
                answers[f"consortium:{consortium.consortium_id}"] = as_json(consortium)
            page_token = page.next_page_token
            if not page_token:
                break
        for program_id in {a["programId"] for a in answers.values()}:
            summary = kiat.queries.GetProgramSummary(
                queries_pb2.GetProgramSummaryRequest(program_id=program_id))
            answers[f"program:{program_id}"] = as_json(summary)
        answers["tree"] = as_json(kiat.audit.GetTreeHead(audit_pb2.GetTreeHeadRequest()))
    return answers


def page_figures(driver):
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('[data-source]')).map(e => ({
          source: e.dataset.source, field: e.dataset.field, value: e.dataset.value,
          text: e.textContent}));""")


def load(driver, server, identity):
    # Through a blank page: a URL that differs only in its fragment would
    # not load the page again.
    driver.get("about:blank")
    driver.get(f"https://localhost:{server.http_port}/#token={server.token(identity)}")
    WebDriverWait(driver, LOAD_BOUND_SECONDS).until(
        lambda d: d.execute_script("return Number(document.body.dataset.loaded || 0)") >= 1)


def test_every_consortium_and_figure_equals_the_grpc_answer(server, browser):
    load(browser, server, "kiat")
    answers = api_answers(server)
    figures = page_figures(browser)
    on_page = {f["source"] for f in figures}
    consortia = {s for s in answers if s.startswith("consortium:")}
    assert consortia and consortia <= on_page, f"missing: {consortia - on_page}"
    assert len(figures) > 50
    for figure in figures:
        expected = resolve(answers[figure["source"]], figure["field"])
        where = f"{figure['source']} {figure['field']}"
        if (figure["source"], figure["field"]) == ("tree", "timestamp"):
            # A head is signed when asked for: the page's is from its own read.
            assert figure["value"] <= str(expected), where
            continue
        assert figure["value"] == str(expected), where
        text = shown(figure["field"], expected)
        if text is not None:
            assert figure["text"] == text, where
    assert browser.find_element("id", "error").text == ""
    # No script error, no resource refused (the Content-Security-Policy among them).
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
    output = os.environ.get("ALLIANCE_TEST_OUTPUT_DIR", str(server.root))
    os.makedirs(output, exist_ok=True)
    assert browser.save_screenshot(os.path.join(output, "status-page.png"))


def test_a_payment_shows_within_a_poll(server, browser):
    load(browser, server, "kiat")
    source, field = "consortium:gyeongnam-metal-3d-printing", "disbursedTotalKrw"
    selector = f'[data-source="{source}"][data-field="{field}"]'
    before = int(browser.find_element("css selector", selector).get_attribute("data-value"))
    with server.client("kiat") as kiat:
        kiat.commands.DisburseFunds(commands_pb2.DisburseFundsRequest(
            meta=Client.meta(), disbursement=events_pb2.FundsDisbursed(
                consortium_id="gyeongnam-metal-3d-printing", program_year=2024, amount_krw=12_345,
                payment_reference="PAGE-POLL-1", occurred_at=timestamp())))
    WebDriverWait(browser, REFRESH_BOUND_SECONDS).until(
        lambda d: int(d.find_element("css selector", selector).get_attribute("data-value"))
        == before + 12_345)


def test_a_region_sees_its_own_and_no_audit(server, browser):
    load(browser, server, "chungnam")
    sources = {f["source"] for f in page_figures(browser)}
    assert {s for s in sources if s.startswith("consortium:")} == {
        "consortium:chungnam-future-vehicles"}
    assert "tree" not in sources
    assert "not for this identity" in browser.find_element("id", "tree-head").text


def test_without_a_token_the_page_asks_for_one(server, browser):
    browser.execute_script("sessionStorage.clear()")
    browser.get("about:blank")
    browser.get(f"https://localhost:{server.http_port}/")
    assert browser.find_element("id", "token-form").is_displayed()
    assert not [f for f in page_figures(browser)]

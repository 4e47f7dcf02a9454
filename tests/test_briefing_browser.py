"""The briefing in a real headless Chromium: loads cleanly, shows the worklist, sorts and filters.

Needs Debian's ``chromium`` and ``chromium-driver`` (``scripts/install_browser.sh``) and selenium
(the ``dev`` extra). Skips, saying why, only when the browser is not installed, and fails instead
when ``CI`` is set, so CI cannot pass without running it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dso_model.briefing import write_briefing
from test_briefing_render import sample_briefing

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = os.environ.get("CHROMIUM_BINARY") or _find("chromium", "chromium-browser")
    driver_path = os.environ.get("CHROMEDRIVER") or _find("chromedriver")
    if not binary or not driver_path:
        missing = "chromium/chromedriver not installed (run scripts/install_browser.sh)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI must run the browser test")
        pytest.skip(missing)
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium missing: install the dev extra"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    data = sample_briefing(n=40)
    path = write_briefing(data, tmp_path_factory.mktemp("briefing") / "briefing.html")
    browser.get(Path(path).resolve().as_uri())
    _wait(
        browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "true"
    )
    return browser, data


def _wait(driver, condition, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _column(driver, key: str) -> list[str]:
    headers = driver.find_elements("css selector", "#wl-head th")
    position = [h.get_attribute("data-key") for h in headers].index(key)
    script = "return Array.from(document.querySelectorAll('#wl-body tr')).map(r => r.children[arguments[0]].textContent)"
    return driver.execute_script(script, position)


def _invoices(driver) -> list[str]:
    script = (
        "return Array.from(document.querySelectorAll('#wl-body tr')).map(r => r.dataset.invoice)"
    )
    return driver.execute_script(script)


def test_loads_without_console_errors_and_takes_a_screenshot(page, tmp_path):
    driver, _ = page
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
    )
    assert len(images) == 3 and all(ok and width > 100 for ok, width in images)
    shot = tmp_path / "briefing.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_worklist_shows_the_expected_rows_in_priority_order(page):
    driver, data = page
    assert _invoices(driver) == list(data.worklist["invoice_id"])
    assert driver.find_element("id", "wl-count").text == "40 shown of 40"
    first = data.worklist.iloc[0]
    cells = driver.find_elements("css selector", "#wl-body tr:first-child td")
    assert cells[1].text == first["invoice_id"] and cells[2].text == first["customer_id"]


def test_header_click_sorts_both_ways(page):
    driver, data = page
    header = driver.find_element("css selector", "#wl-head th[data-key='outstanding']")
    header.click()
    expected = list(data.worklist.sort_values("outstanding", kind="stable")["invoice_id"])
    assert _invoices(driver) == expected
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    ascending = data.worklist.sort_values("outstanding", kind="stable")
    assert _invoices(driver) == list(ascending["invoice_id"][::-1])
    assert header.get_attribute("aria-sort") == "descending"
    driver.find_element("css selector", "#wl-head th[data-key='due_date']").click()
    dates = _column(driver, "due_date")
    assert dates == sorted(dates)
    driver.find_element("css selector", "#wl-head th[data-key='priority_rank']").click()
    assert _invoices(driver) == list(data.worklist["invoice_id"])


def test_filters_narrow_the_rows(page):
    from selenium.webdriver.support.ui import Select

    driver, data = page
    box = driver.find_element("id", "wl-filter")
    box.send_keys("INV-0007")
    assert _invoices(driver) == ["INV-0007"]
    box.clear()
    box.send_keys("c03")  # case-insensitive, matches customer C03
    assert set(_invoices(driver)) == set(
        data.worklist.loc[data.worklist["customer_id"] == "C03", "invoice_id"]
    )
    driver.execute_script(
        "var b = document.getElementById('wl-filter'); b.value=''; b.dispatchEvent(new Event('input'))"
    )
    Select(driver.find_element("id", "wl-group")).select_by_value("unable")
    unable = data.worklist[data.worklist["group"] == "unable"]
    assert _invoices(driver) == list(unable["invoice_id"])
    driver.find_element("id", "wl-contact").click()
    both = unable[unable["contact"]]
    assert _invoices(driver) == list(both["invoice_id"])
    assert driver.find_element("id", "wl-count").text == f"{len(both)} shown of 40"
    Select(driver.find_element("id", "wl-group")).select_by_value("")
    Select(driver.find_element("id", "wl-channel")).select_by_value("sms")
    sms = data.worklist[data.worklist["contact"] & (data.worklist["channel"] == "sms")]
    assert _invoices(driver) == list(sms["invoice_id"])
    assert [e for e in driver.get_log("browser") if e["level"] == "SEVERE"] == []

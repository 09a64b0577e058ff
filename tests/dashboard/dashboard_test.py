#!/usr/bin/python3
"""The dashboard in a real browser: budgetd with seeded history, driven through Debian's headless
Chromium (chromium-driver + python3-selenium, installed by scripts/deps.sh).

    dashboard_test.py BUDGETD_BINARY OUTPUT_DIR

Starts `budgetd serve` on a loopback port (the real binary, its own temp dir), pushes events
spread over the last three days at the real time (the daemon's clock is the machine's: nothing is
faked), waits through the JSON API for the evaluator to fire the expected page, then checks, in
the browser, by text, roles and structure:

- the list shows every SLO, worst first, each with the right tier word;
- a filter in the URL filters;
- an SLO page draws a non-blank burn-down chart (its canvas has drawn pixels) from
  GET /v1/slos/{name}/history, with a marker for a deploy recorded through POST /v1/deploys;
- the alerts table shows the firing page; the gate page shows a deny with its reasons;
- the browser console has no errors;
- with auth on (a second budgetd), the page asks for a token, then loads.

Every wait is an explicit Selenium wait on an element or a condition; nothing sleeps blindly.
Screenshots (laptop and phone widths) land in OUTPUT_DIR. Exits 1 on the first failed check.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BUDGETD, OUT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
WAIT_S = 10
HOUR_MS = 3600 * 1000
TOKEN = "dashboard-test-token"

CONFIG = """
server: {listen: "127.0.0.1:0", threads: 2}
storage: {dir: "%(dir)s/data"}
log: {level: info}
alerting: {evaluation_interval: 1s, runbook_url: "https://runbooks.example.com/{slo}#{rule}"}
%(auth)s
%(slos)s
"""
# Five SLOs, one per tier plus one without events. Remaining budget after the seed (below):
# checkout 99.9 % with a burst of failures now -> exhausted, page-1h firing; payments 99 % with
# 900 bad of 100,000 -> 10 % left, warning; search 99.5 % with 300 of 100,000 -> 40 %, caution;
# profile 99.9 % with 20 of 100,000 -> 80 %, healthy; billing has no events -> no data, healthy.
SLOS = """
slos:
  - {name: checkout-availability, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio},
     attribution: {labels: [endpoint]}}
  - {name: payments-availability, service: payments, objective: 99, windows: ["30d"], sli: {type: ratio}}
  - {name: search-availability, service: search, objective: 99.5, windows: ["7d"], sli: {type: ratio}}
  - {name: profile-availability, service: profile, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: billing-availability, service: billing, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
"""
EXPECTED_ORDER = [("checkout-availability", "exhausted"), ("payments-availability", "warning"),
                  ("search-availability", "caution"), ("profile-availability", "healthy"),
                  ("billing-availability", "healthy")]


def fail(message):
    print("FAIL " + message, flush=True)
    sys.exit(1)


def ok(message):
    print("ok   " + message, flush=True)


class Budgetd:
    """One `budgetd serve` in a temp dir; the port is the one it says it listens on."""

    def __init__(self, name, auth="", slos=SLOS):
        self.dir = tempfile.mkdtemp(prefix="budgetd-dashboard-%s-" % name)
        with open(os.path.join(self.dir, "budgetd.yaml"), "w") as f:
            f.write(CONFIG % {"dir": self.dir, "auth": auth, "slos": slos})
        self.log_path = os.path.join(self.dir, "budgetd.log")
        self.proc = subprocess.Popen([BUDGETD, "serve", "--config", os.path.join(self.dir, "budgetd.yaml")],
                                     stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.port = None
        deadline = time.monotonic() + 20
        while self.port is None:
            m = re.search(r'"msg":"http: listening".*"port":(\d+)', open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                fail("budgetd did not start:\n" + open(self.log_path).read())
            else:
                time.sleep(0.02)  # polling the log for the port line, bounded by the deadline
        self.url = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, body=None, token=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def seed(d, token=None):
    """Events at the real time: hourly counts over the last 72 hours, then checkout's burst."""
    now = int(time.time() * 1000)
    events = []
    hours = 72
    per_hour = {"checkout": (10000, 0), "payments": (100000, 900), "search": (100000, 300),
                "profile": (100000, 20)}
    for service, (total, bad) in per_hour.items():
        for k in range(hours, 0, -1):
            # Bad events arrive evenly over the last 48 hours, so the sparklines and burn-downs slope.
            b = bad // 48 + (1 if k <= bad % 48 else 0) if k <= 48 else 0
            # Half past the hour: no hourly count sits on a 1h window's edge (profile's 1h window
            # then holds none of them, reliably).
            events.append({"service": service, "ts": now - k * HOUR_MS - HOUR_MS // 2, "good": total // hours - b,
                           "total": total // hours})
    # The last minutes: traffic for every service but profile, whose alerts then see too few
    # events (fewer than min_events in their long windows) and say so.
    for service in ("payments", "search"):
        events.append({"service": service, "ts": now - 2 * 60 * 1000, "good": 100, "total": 100})
    # The burst is all /pay's (attribution: endpoint); the hourly counts carry no endpoint.
    events.append({"service": "checkout", "ts": now - 60 * 1000, "good": 25000, "total": 30000,
                   "labels": {"endpoint": "/pay"}})
    status, answer = d.call("POST", "/v1/events", {"events": events}, token)
    if status != 200 or answer["accepted"] != len(events):
        fail("seeding events: %s %s" % (status, answer))


def wait_for_firing(d, slo, rule, token=None):
    """Until budgetd's evaluator has fired `rule` (it runs every second in this config)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        _, answer = d.call("GET", "/v1/alerts", token=token)
        if any(a.get("slo") == slo and a.get("rule") == rule for a in (answer or {}).get("alerts", [])):
            return
        time.sleep(0.05)  # polling the API for the evaluator's state, bounded by the deadline
    fail("%s did not fire %s within %ds" % (slo, rule, WAIT_S))


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # Headless as root on a box without outside network: without these Chromium's own
    # connections (updates, sync, field trials) fail noisily and the sandbox refuses root.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--user-data-dir=" + tempfile.mkdtemp(prefix="chromium-dashboard-")):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def console_errors(driver, allowed=()):
    """The console's SEVERE entries since the last call, except those matching an `allowed` regex."""
    entries = driver.get_log("browser")
    return [e["message"] for e in entries
            if e["level"] == "SEVERE" and not any(re.search(a, e["message"]) for a in allowed)]


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT_S).until(condition)
    except Exception:  # noqa: BLE001 -- any timeout or stale element: say what was awaited
        driver.save_screenshot(os.path.join(OUT, "dashboard-failure.png"))
        fail("timed out waiting for %s (screenshot: dashboard-failure.png)" % what)


def list_rows(driver):
    return [(r.get_attribute("data-slo"), r.find_element(By.CSS_SELECTOR, ".tier").text)
            for r in driver.find_elements(By.CSS_SELECTOR, "#slo-table tbody tr")]


def canvas_drawn_pixels(driver, canvas_id):
    """How many pixels of the canvas Chart.js has drawn on (alpha > 0)."""
    return driver.execute_script("""
        const c = document.getElementById(arguments[0]);
        if (!c || !c.width || !c.height) return 0;
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;""", canvas_id)


# The README's "Dashboard" section states the page's weight; this keeps it true.
PAGE_BYTES_AT_MOST = 250 * 1024


def weigh_page(driver, d):
    """Every file the page loaded: from budgetd only, and how many bytes they are."""
    files = driver.execute_script("""
        return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
          .filter(e => !e.name.includes('/v1/') && !e.name.endsWith('/openapi.yaml'))
          .map(e => [e.name, e.decodedBodySize]);""")
    foreign = [name for name, _ in files if not name.startswith(d.url + "/")]
    if foreign:
        fail("the page loaded files from elsewhere than budgetd: %s" % foreign)
    total = sum(size for _, size in files)
    chart = sum(size for name, size in files if name.endswith("/ui/chart.min.js"))
    print("     page weight: %d bytes in %d files (Chart.js %d, the dashboard's own %d)"
          % (total, len(files), chart, total - chart), flush=True)
    if total > PAGE_BYTES_AT_MOST:
        fail("the page weighs %d bytes, more than the %d the README states" % (total, PAGE_BYTES_AT_MOST))


def test_list(driver, d):
    driver.get(d.url + "/")
    wait(driver, lambda drv: len(list_rows(drv)) == len(EXPECTED_ORDER), "the SLO list's five rows")
    rows = list_rows(driver)
    if rows != EXPECTED_ORDER:
        fail("list order/tiers: %s, expected %s" % (rows, EXPECTED_ORDER))
    marks = {s: [m.text for m in driver.find_elements(By.CSS_SELECTOR, 'tr[data-slo="%s"] .mark' % s)]
             for s, _ in EXPECTED_ORDER}
    want = {"checkout-availability": [], "payments-availability": [], "search-availability": [],
            "profile-availability": ["insufficient data"], "billing-availability": ["no data"]}
    if marks != want:
        fail("'no data' / 'insufficient data' marks: %s, expected %s" % (marks, want))
    firing = driver.find_element(By.CSS_SELECTOR, 'tr[data-slo="checkout-availability"] td.firing').text
    if "page-1h" not in firing:
        fail("checkout-availability's row does not show page-1h firing: %r" % firing)
    weigh_page(driver, d)
    ok("list: every SLO worst first with its tier word %s, no data and insufficient data marked" % [t for _, t in rows])
    driver.save_screenshot(os.path.join(OUT, "dashboard-list.png"))

    driver.get(d.url + "/#/?tier=healthy")
    wait(driver, lambda drv: [s for s, _ in list_rows(drv)] == ["profile-availability", "billing-availability"],
         "the list filtered to tier=healthy")
    if driver.find_element(By.ID, "f-tier").get_attribute("value") != "healthy":
        fail("the tier filter control does not show the URL's tier")
    driver.get(d.url + "/#/?firing=1&q=check")
    wait(driver, lambda drv: [s for s, _ in list_rows(drv)] == ["checkout-availability"],
         "the list filtered to firing=1&q=check")
    driver.find_element(By.ID, "f-firing").click()  # unticking keeps the rest of the URL's state
    wait(driver, lambda drv: "firing" not in drv.execute_script("return location.hash") and
         "q=check" in drv.execute_script("return location.hash"), "the URL to follow the filter")
    ok("list: filters in the URL filter, and the controls write them back")


def test_slo_page(driver, d):
    driver.get(d.url + "/#/slo/checkout-availability")
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, '#alerts-table tr[data-rule="page-1h"]')),
         "the alerts table")
    row = driver.find_element(By.CSS_SELECTOR, '#alerts-table tr[data-rule="page-1h"]')
    cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]
    if row.get_attribute("data-state") != "firing" or cells[1] != "page" or cells[2] != "firing" \
            or cells[8] != "required" or cells[9] != "runbook":
        fail("alerts table row for page-1h: %s" % cells)
    ok("SLO page: the alerts table shows page-1h firing (%s)" % ", ".join(cells[:6]))
    episode = '#episodes-table tr[data-status="ongoing"]'
    wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, episode)), "the episodes table's ongoing burn")
    cells = wait(driver, lambda drv: [c.text for c in drv.find_element(By.CSS_SELECTOR, episode)
                                      .find_elements(By.CSS_SELECTOR, "th, td")], "the episode's cells")
    if cells[1] != "ongoing" or "page-1h" not in cells[4] or "v1.4.2 (before)" not in cells[8]:
        fail("episodes table row: %s" % cells)
    ok("SLO page: the episodes table shows the ongoing burn, its rules and the deploy before it")
    windows = driver.find_element(By.ID, "window-table").text
    if "30d" not in windows or "5m" not in windows:
        fail("the window table lacks the 30d budget or the 5m window: %r" % windows)
    wait(driver, lambda drv: canvas_drawn_pixels(drv, "burn-down-chart") > 500, "a drawn burn-down chart")
    ok("SLO page: the burn-down chart is drawn (%d pixels)" % canvas_drawn_pixels(driver, "burn-down-chart"))
    legend = driver.find_element(By.CSS_SELECTOR, "#burn-down .legend").text
    has_marker = driver.execute_script(
        "const c = Chart.getChart('burn-down-chart');"
        "return c ? c.options.plugins.budgetdMarkers.markers.map(m => m.label) : [];")
    if "v1.4.2" not in has_marker or "deploys (1)" not in legend:
        fail("the burn-down has no marker for deploy v1.4.2: %s / %r" % (has_marker, legend))
    ok("SLO page: the burn-down marks deploy v1.4.2")
    test_contributors_panel(driver)
    driver.save_screenshot(os.path.join(OUT, "dashboard-slo.png"))


def test_contributors_panel(driver):
    """attribution: the panel ranks /pay first with every bad event; the unlabelled hours follow."""
    table = driver.find_element(By.ID, "contributors-endpoint")
    caption = table.find_element(By.TAG_NAME, "caption").text
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    first = [c.text for c in rows[0].find_elements(By.CSS_SELECTOR, "th, td")] if rows else []
    heading = driver.find_element(By.CSS_SELECTOR, "#contributors h2").text
    if heading != "Contributors over 30d" or not caption.startswith("endpoint: 5,000 bad of ") \
            or rows[0].get_attribute("data-value") != "/pay" or first[1:2] != ["5,000"] or first[-1] != "100.0 %" \
            or len(rows) != 2 or rows[1].get_attribute("data-value") != "":
        fail("contributors panel: %r / %r / %s / %d rows" % (heading, caption, first, len(rows)))
    ok("SLO page: the contributors panel ranks endpoint /pay first (%s)" % ", ".join(first))


def test_gate_page(driver, d):
    driver.get(d.url + "/#/gate?service=checkout")
    feature = wait(driver, EC.presence_of_element_located(
        (By.CSS_SELECTOR, '#gate-checkout tr[data-change="feature"][data-decision="deny"]')), "the gate's deny")
    reasons = [li.text for li in feature.find_elements(By.CSS_SELECTOR, ".reasons li")]
    if not any("overspent its 30d error budget" in r for r in reasons) or \
            not any("page alert page-1h is firing" in r for r in reasons):
        fail("the feature deny's reasons: %s" % reasons)
    security = driver.find_element(By.CSS_SELECTOR, '#gate-checkout tr[data-change="security"]')
    if security.get_attribute("data-decision") != "allow":
        fail("a security patch is not allowed: %r" % security.text)
    ok("gate page: feature is denied with its reasons (%d), security allowed" % len(reasons))
    driver.save_screenshot(os.path.join(OUT, "dashboard-gate.png"))


def test_phone_width(driver, d):
    driver.set_window_size(390, 844)
    driver.get(d.url + "/")
    wait(driver, lambda drv: len(list_rows(drv)) == len(EXPECTED_ORDER), "the list at phone width")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    if width > 390:
        fail("at 390 px the page is %d px wide: it scrolls sideways" % width)
    # Each row's tier and remaining budget are on screen, not scrolled off to the right.
    cut = driver.execute_script("""
        return [...document.querySelectorAll('#slo-table tbody .tier, #slo-table tbody td.remaining')]
          .filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.textContent);""")
    if cut:
        fail("at 390 px these are cut off: %s" % cut)
    driver.save_screenshot(os.path.join(OUT, "dashboard-phone.png"))
    driver.set_window_size(1280, 1000)
    ok("phone width: the list fits 390 px with every tier and remaining budget on screen")


# A calendar SLO: its page asks for the previous periods the store holds (a month's ring holds
# fewer than the 12 the page would like, and budgetd refuses more than it holds).
CALENDAR_SLOS = """
slos:
  - {name: ledger-monthly, service: ledger, objective: 99.9, sli: {type: ratio},
     windows: [{calendar: month, timezone: UTC}]}
"""


def test_calendar_page(driver):
    d = Budgetd("calendar", slos=CALENDAR_SLOS)
    try:
        status, _ = d.call("POST", "/v1/events", {"events": [{"service": "ledger", "good": True}]})
        if status != 200:
            fail("POST /v1/events answered %d" % status)
        driver.get(d.url + "/#/slo/ledger-monthly")
        rows = wait(driver, lambda drv: drv.find_elements(By.CSS_SELECTOR, "#periods-table tbody tr"),
                    "the previous periods table")
        if len(rows) != 3:  # every calendar window keeps 3 previous periods (store::kPreviousPeriodsKept)
            fail("the previous periods table has %d rows, expected 3" % len(rows))
        errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".note-error")]
        if errors:
            fail("the calendar SLO's page shows errors: %s" % errors)
        wait(driver, lambda drv: canvas_drawn_pixels(drv, "burn-down-chart") > 100, "a drawn burn-down chart")
        ok("calendar SLO page: the burn-down and %d previous periods, no error" % len(rows))
    finally:
        d.stop()


def test_auth(driver):
    sha = hashlib.sha256(TOKEN.encode()).hexdigest()
    d = Budgetd("auth", 'auth: {tokens: [{name: dash, sha256: "%s", scopes: [admin]}]}' % sha)
    try:
        seed(d, TOKEN)
        driver.execute_script("sessionStorage.clear()")
        driver.get(d.url + "/")
        dialog = wait(driver, EC.visibility_of_element_located((By.ID, "token-dialog")), "the token dialog")
        if "auth on" not in dialog.text:
            fail("the token dialog says: %r" % dialog.text)
        driver.find_element(By.ID, "token-input").send_keys("wrong-token")
        driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait(driver, lambda drv: "refused" in drv.find_element(By.ID, "token-why").text and
             drv.find_element(By.ID, "token-dialog").is_displayed(), "the dialog asking again after a 401")
        driver.find_element(By.ID, "token-input").send_keys(TOKEN)
        driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait(driver, lambda drv: len(list_rows(drv)) == len(EXPECTED_ORDER), "the list after the token")
        if driver.execute_script("return sessionStorage.getItem('budgetd.token')") != TOKEN:
            fail("the token is not kept in sessionStorage")
        # The 401s are budgetd's answers the page acts on; any other console error fails.
        errors = console_errors(driver, allowed=[r"status of 401"])
        if errors:
            fail("console errors with auth on: %s" % errors)
        ok("auth: the page asked for a token, asked again after a wrong one, then loaded")
    finally:
        d.stop()


def main():
    os.makedirs(OUT, exist_ok=True)
    d = Budgetd("main")
    driver = None
    try:
        seed(d)
        wait_for_firing(d, "checkout-availability", "page-1h")
        status, _ = d.call("POST", "/v1/deploys", {"service": "checkout", "version": "v1.4.2",
                                                   "ts": int(time.time() * 1000) - 2 * HOUR_MS})
        if status != 201:
            fail("POST /v1/deploys answered %d" % status)
        driver = browser()
        test_list(driver, d)
        test_slo_page(driver, d)
        test_gate_page(driver, d)
        test_phone_width(driver, d)
        test_calendar_page(driver)
        errors = console_errors(driver)
        if errors:
            fail("browser console errors: %s" % errors)
        ok("the browser console has no errors")
        test_auth(driver)
    finally:
        if driver:
            driver.quit()
        d.stop()
    print("dashboard: all checks passed; screenshots in %s" % OUT, flush=True)


if __name__ == "__main__":
    main()

"""The stepper page in a real browser (headless Chromium driven by Selenium): stepping through
J = (a-1)(b+c) with the buttons, the arrow keys and the slider, and checking at each step the
highlighted node, the operand receiving the gradient and every gradient shown.

Needs the system's Chromium and its driver (Debian: ``apt-get install chromium
chromium-driver``); nothing is downloaded. Skipped without them, unless
MICROGRAD_LR_REQUIRE_BROWSER=1 (as in CI), where a missing browser is a failure."""

import os
import shutil

import pytest
from stepper_cases import J_FRAMES, J_LINES, j_course

from micrograd_lr.stepper import Stepper

pytestmark = pytest.mark.graphviz

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

EXPECTED, LINES = J_FRAMES, J_LINES


def _missing(reason):
    if os.environ.get("MICROGRAD_LR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} and MICROGRAD_LR_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("needs Selenium (pip install selenium)")
    binary = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        _missing("needs Chromium and chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser, tmp_path):
    path = Stepper(j_course()).write_html(tmp_path / "steps.html")
    browser.get(path.as_uri())
    return browser


def state(driver):
    """What the page shows: step, highlighted node, receiving node, gradients, line."""
    return driver.execute_script(
        """
        const root = document.querySelector(".mglr-stepper");
        const named = (cls) => {
          const g = root.querySelector("g.node." + cls + "[data-name]");
          return g ? g.getAttribute("data-name") : null;
        };
        const grads = {};
        root.querySelectorAll("g.node[data-name]").forEach((g) => {
          const text = g.querySelector("text.mglr-grad").textContent;
          if (text !== "grad ?") { grads[g.getAttribute("data-name")] = text.slice(5); }
        });
        const carry = root.querySelectorAll("g.edge.mglr-carry");
        return {
          step: parseInt(root.getAttribute("data-step"), 10),
          active: named("mglr-active"),
          receive: named("mglr-receive"),
          grads: grads,
          line: root.querySelector(".mglr-line").textContent,
          carry: Array.from(carry).map((g) => g.getAttribute("data-edge")),
          slider: parseInt(root.querySelector(".mglr-slider").value, 10),
          prevDisabled: root.querySelector(".mglr-prev").disabled,
          nextDisabled: root.querySelector(".mglr-next").disabled,
          current: Array.from(root.querySelectorAll(".mglr-steps li.mglr-current"))
            .map((li) => li.textContent),
        };
        """
    )


def check(driver, k):
    shown = state(driver)
    active, receive, grads = EXPECTED[k]
    assert shown["step"] == k and shown["slider"] == k
    assert (shown["active"], shown["receive"], shown["grads"]) == (active, receive, grads)
    assert shown["line"].startswith(LINES[k])
    assert len(shown["carry"]) == (1 if receive else 0)
    assert shown["current"] == ([LINES[k]] if k else [])
    assert shown["prevDisabled"] == (k == 0) and shown["nextDisabled"] == (k == len(EXPECTED) - 1)
    return shown


def test_next_and_previous_buttons(page):
    check(page, 0)
    next_button = page.find_element("css selector", ".mglr-next")
    for k in range(1, len(EXPECTED)):
        next_button.click()
        check(page, k)
    next_button.click()  # disabled at the end: nothing happens
    check(page, len(EXPECTED) - 1)
    previous = page.find_element("css selector", ".mglr-prev")
    for k in reversed(range(len(EXPECTED) - 1)):
        previous.click()
        check(page, k)


def test_arrow_keys_home_and_end(page):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    keys = ActionChains(page)
    for k in range(1, len(EXPECTED)):
        keys.send_keys(Keys.ARROW_RIGHT).perform()
        check(page, k)
    keys.send_keys(Keys.ARROW_LEFT).perform()
    check(page, len(EXPECTED) - 2)
    keys.send_keys(Keys.HOME).perform()
    check(page, 0)
    keys.send_keys(Keys.END).perform()
    check(page, len(EXPECTED) - 1)


def test_the_slider(page):
    from selenium.webdriver.common.keys import Keys

    slider = page.find_element("css selector", ".mglr-slider")
    for k in (4, 2, 6, 0):
        page.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            slider,
            str(k),
        )
        check(page, k)
    slider.send_keys(Keys.ARROW_RIGHT)  # the slider's own keyboard handling
    check(page, 1)


def test_the_edge_carrying_the_gradient_is_the_right_one(page):
    next_button = page.find_element("css selector", ".mglr-next")
    carried = []
    for _ in range(len(EXPECTED) - 1):
        next_button.click()
        carried.append(state(page)["carry"])
    # u = v1 (a - 1) and v = v4 (b + c) feed J's operation v5_op; a, b, c are v0, v2, v3.
    assert carried == [[], ["v1>v5_op>0"], ["v4>v5_op>0"], ["v2>v4_op>0"], ["v3>v4_op>0"],
                       ["v0>v1_op>0"]]  # fmt: skip


def test_no_script_errors(page):
    logs = page.get_log("browser")
    assert [entry for entry in logs if entry["level"] == "SEVERE"] == []

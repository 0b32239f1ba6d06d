#!/usr/bin/env python3
"""The page in a real browser: `wuxia serve` on an ephemeral port with small
models trained here, Debian's chromium driven headless by selenium.

Keyboard only: the naming form reached with Tab, filled, sent with Enter, a
name kept with Space. Every row has its strokes; the kept names survive a
reload and are compared side by side; a shared link reproduces its list (the
naming form's options, and a wuxia list's seed); an error is shown in Chinese
and English in a role="alert" slot, the old list cleared, and cleared in turn
by a good request, and so is the server's absence; an unknown surname (爱) is said so, a long one refused; at
a 390 px phone width nothing overflows sideways. Then an explained name and
wuxia names. Fails on any browser console error. Exit 77 (CTest's skip) only
where chromium, chromedriver or selenium is missing.

usage: browser_test.py WUXIA DATA_DIR [--checkpoint CKPT]... [--screenshot PNG] [--width PX]
                       [--screenshots DIR]
--screenshots DIR (or WUXIA_SCREENSHOTS=DIR) writes DIR/serve-desktop.png and
DIR/serve-phone.png (docs/img holds those of the README).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP = 77


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def train(wuxia, data, out):
    """A small model in seconds: a few hundred steps of a tiny LSTM."""
    cmd = [wuxia, "train", "--data", data, "--from-scratch", "--steps", "200", "--eval-every", "100",
           "--hidden", "64", "--embed", "32", "--batch", "64", "--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(" ".join(cmd) + " failed:\n" + r.stdout + r.stderr)
    return os.path.join(out, "best.safetensors")


def start_server(wuxia, checkpoints):
    cmd = [wuxia, "serve", "--port", "0"]
    for c in checkpoints:
        cmd += ["--checkpoint", c]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = ""
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if "open http://" in line:
            url = line.split("open ", 1)[1].split(" ", 1)[0]
            return proc, url
    proc.kill()
    fail("wuxia serve printed no URL:\n" + seen)


def severe(logs, allowed=()):
    return [l for l in logs if l.get("level") == "SEVERE" and not any(a in l.get("message", "") for a in allowed)]


PHONE_WIDTH = 390
# A character but not a surname (of data/surnames.tsv), and one the small
# models here know (爱, of 爱新觉罗; 好 is not among their names).
UNKNOWN_SURNAME = "爱"


def wait_names(wait, driver, By):
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .name") and not
               d.find_element(By.ID, "generate").get_attribute("disabled"))
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .name")]


def tab_to(driver, Keys, predicate, most=120):
    """Presses Tab until `predicate(active element)`; fails after `most`."""
    for _ in range(most):
        active = driver.switch_to.active_element
        if predicate(active):
            return active
        active.send_keys(Keys.TAB)
    fail("Tab never reached the element")


def shoot(driver, path, width, height_cap=2200):
    """A screenshot of the page's top at `width`, at most `height_cap` tall."""
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height, height_cap))
    time.sleep(0.3)
    driver.save_screenshot(path)
    print("screenshot:", path, os.path.getsize(path), "bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wuxia")
    ap.add_argument("data")
    ap.add_argument("--checkpoint", action="append", default=[])
    ap.add_argument("--screenshot")
    ap.add_argument("--screenshots", default=os.environ.get("WUXIA_SCREENSHOTS"))
    ap.add_argument("--width", type=int, default=1000)
    args = ap.parse_args()

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        print("SKIP: chromium or chromedriver is not installed (scripts/setup.sh installs them)")
        return SKIP
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import Select, WebDriverWait
    except ImportError:
        print("SKIP: python3-selenium is not installed (scripts/setup.sh installs it)")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="wuxia-browser-")
    proc = driver = None
    try:
        checkpoints = args.checkpoint
        if not checkpoints:
            # The naming helper's style is `ancient`: a slice of the historical names.
            with open(os.path.join(args.data, "ancient.txt"), encoding="utf-8") as f:
                names = [l for l in f if l.strip() and not l.startswith("#")][:4000]
            ancient = os.path.join(tmp, "ancient.txt")
            with open(ancient, "w", encoding="utf-8") as f:
                f.writelines(names)
            checkpoints = [train(args.wuxia, os.path.join(args.data, "jinyong.txt"), os.path.join(tmp, "jy")),
                           train(args.wuxia, ancient, os.path.join(tmp, "base"))]
        proc, url = start_server(args.wuxia, checkpoints)

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=%d,1400" % args.width, "--lang=zh-CN"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        wait = WebDriverWait(driver, 60)
        driver.get(url)
        driver.execute_script("localStorage.clear()")
        driver.get(url)
        wait.until(lambda d: len(Select(d.find_element(By.ID, "style")).options) > 0)
        console = []  # the browser's log, read as we go (reading empties it)

        # ---- keyboard only: Tab to the surname, type, pick girl, Enter ----
        surname = tab_to(driver, Keys, lambda e: e.get_attribute("id") == "surname")
        if surname.get_attribute("placeholder") in ("林", "张") or surname.get_attribute("value"):
            fail("the surname's placeholder passes for a value: %r" % surname.get_attribute("placeholder"))
        surname.send_keys("林")
        gender = tab_to(driver, Keys, lambda e: e.get_attribute("id") == "gender")
        gender.send_keys(Keys.HOME)  # the first option: 女孩 girl
        if Select(gender).first_selected_option.get_attribute("value") != "girl":
            fail("the keyboard did not pick girl")
        surname.send_keys(Keys.ENTER)
        names = wait_names(wait, driver, By)
        print("names:", " ".join(names))
        if not names or not all(n.startswith("林") and len(n) == 3 for n in names):
            fail("expected names of 林 and two given characters, got %r" % names)
        rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
        if len(rows) != len(names):
            fail("%d rows for %d names" % (len(rows), len(names)))
        for row in rows:
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            if len(cells) != 9 or not cells[2] or not cells[3]:
                fail("a row lacks its pinyin or 平仄: %r" % cells)
            if len(cells[4].split(" · ")) != 3 or not all(x.isdigit() for x in cells[4].split(" · ")):
                fail("a row's strokes are not three counts: %r" % cells)
            if not cells[5].startswith("女"):
                fail("a name asked for a girl does not read as one: %r" % cells)
        if driver.find_element(By.ID, "surname-note").text:
            fail("林 is a known surname, yet a note says %r" % driver.find_element(By.ID, "surname-note").text)

        # Keep the first name with Space, the second with a click.
        keep = tab_to(driver, Keys, lambda e: "keep" in (e.get_attribute("class") or ""))
        keep.send_keys(Keys.SPACE)
        wait.until(lambda d: keep.get_attribute("aria-pressed") == "true")
        driver.find_elements(By.CSS_SELECTOR, "#results button.keep")[1].click()
        kept = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#compare .kept-name")]
        if kept != names[:2]:
            fail("kept %r, expected %r" % (kept, names[:2]))
        link = driver.find_element(By.ID, "name-link").get_attribute("href")
        if "surname=" not in link or "gender=girl" not in link:
            fail("the link lacks the form's options: %r" % link)
        if args.screenshots:
            # A short list, so that the kept names' comparison is in the picture too.
            os.makedirs(args.screenshots, exist_ok=True)
            driver.get(link.replace("n=20", "n=6"))
            wait_names(wait, driver, By)
            shoot(driver, os.path.join(args.screenshots, "serve-desktop.png"), args.width)
            driver.set_window_size(args.width, 1400)
        console += driver.get_log("browser")

        # ---- the kept names survive a reload; a shared link gives its list again ----
        driver.get(link)
        again = wait_names(wait, driver, By)
        if again != names:
            fail("the shared link gave %r, not %r" % (again, names))
        if Select(driver.find_element(By.ID, "gender")).first_selected_option.get_attribute("value") != "girl":
            fail("the shared link did not fill in the form")
        kept = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#compare .kept-name")]
        if kept != names[:2]:
            fail("after a reload, kept %r, expected %r" % (kept, names[:2]))
        compare_rows = driver.find_elements(By.CSS_SELECTOR, "#compare tbody tr")
        if len(compare_rows) < 5 or any(len(r.find_elements(By.TAG_NAME, "td")) != 2 for r in compare_rows):
            fail("the comparison is not two names side by side")
        if driver.find_elements(By.CSS_SELECTOR, "#results button.keep")[0].get_attribute("aria-pressed") != "true":
            fail("a kept name's star is not pressed after a reload")
        console += driver.get_log("browser")

        # ---- an error: in both languages, announced, the old list cleared; then cleared ----
        surname = driver.find_element(By.ID, "surname")
        tones = driver.find_element(By.ID, "tones")
        tones.clear()
        tones.send_keys("平平")  # two places for a three-character name
        tones.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "tones-error").text)
        said = driver.find_element(By.ID, "tones-error").text
        if "平仄" not in said or "tones" not in said:
            fail("the tones error is not in Chinese and English: %r" % said)
        if driver.find_element(By.ID, "tones-error").get_attribute("role") != "alert":
            fail("the tones error is not announced (role=alert)")
        if tones.get_attribute("aria-invalid") != "true":
            fail("the tones field is not marked invalid")
        if driver.find_element(By.ID, "results").is_displayed():
            fail("the old list is still shown beside the error")
        # The browser logs the 400 itself; anything else is an error of the page.
        others = severe(driver.get_log("browser"), allowed=("/api/name - Failed to load resource",))
        if others:
            fail("browser console errors: %r" % others)
        tones.clear()
        tones.send_keys(Keys.ENTER)
        wait_names(wait, driver, By)
        if driver.find_element(By.ID, "tones-error").text or tones.get_attribute("aria-invalid"):
            fail("the tones error stayed after a good request")

        # ---- surnames checked: an unknown one said so, a long one refused ----
        surname.clear()
        surname.send_keys(UNKNOWN_SURNAME)
        surname.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "surname-note").text)
        note = driver.find_element(By.ID, "surname-note").text
        if UNKNOWN_SURNAME not in note or "not in the list of surnames" not in note:
            fail("the unknown surname %s is not said so: %r" % (UNKNOWN_SURNAME, note))
        surname.clear()
        surname.send_keys("欧阳修明")
        surname.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.ID, "surname-error").text)
        said = driver.find_element(By.ID, "surname-error").text
        if "一个或两个字" not in said or "one or two characters" not in said:
            fail("a four-character surname is not refused in both languages: %r" % said)
        if driver.find_element(By.ID, "results").is_displayed():
            fail("the old list is still shown beside the surname error")
        console += driver.get_log("browser")

        # ---- explain a name ----
        box = driver.find_element(By.ID, "explain-name")
        box.send_keys("林黛玉")
        driver.find_element(By.ID, "explain").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#explain-results .card"))
        card = driver.find_element(By.CSS_SELECTOR, "#explain-results .card").text
        if "lín dài yù" not in card:
            fail("the explanation of 林黛玉 lacks its pinyin: %r" % card)

        # ---- wuxia names, and a link that gives the same list (its seed) ----
        driver.find_element(By.ID, "sample").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sample-results li")
                   and d.find_element(By.ID, "sample-link").is_displayed())
        sampled = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#sample-results li")]
        if len(sampled) != 20 or not all(sampled):
            fail("expected 20 wuxia names, got %r" % sampled)
        sample_link = driver.find_element(By.ID, "sample-link").get_attribute("href")
        if "seed=" not in sample_link:
            fail("the wuxia list's link lacks its seed: %r" % sample_link)
        console += driver.get_log("browser")
        driver.get(sample_link)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sample-results li"))
        resampled = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#sample-results li")]
        if resampled != sampled:
            fail("the wuxia list's link gave %r, not %r" % (resampled, sampled))

        if args.screenshot:
            shoot(driver, args.screenshot, args.width, height_cap=100000)
        console += driver.get_log("browser")

        # ---- a phone's width: nothing wider than the screen ----
        driver.get(link)
        wait_names(wait, driver, By)
        driver.set_window_size(PHONE_WIDTH, 900)
        time.sleep(0.3)
        inner = driver.execute_script("return window.innerWidth")
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        if wide > inner:
            fail("at %d px the page is %d px wide: it scrolls sideways" % (inner, wide))
        columns = driver.execute_script(
            "return getComputedStyle(document.querySelector('#name-form .grid')).gridTemplateColumns")
        if len(columns.split()) != 1:
            fail("at a phone's width the form is not one column: %r" % columns)
        if args.screenshots:
            shoot(driver, os.path.join(args.screenshots, "serve-phone.png"), PHONE_WIDTH, height_cap=2400)
        console += driver.get_log("browser")

        if severe(console):
            fail("browser console errors: %r" % severe(console))

        # ---- the server gone: said in both languages under the button, the list cleared ----
        driver.set_window_size(args.width, 1400)
        proc.terminate()
        proc.wait(10)
        proc = None
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "name-form-error").text)
        said = driver.find_element(By.ID, "name-form-error").text
        if "连不上服务器" not in said or "cannot be reached" not in said:
            fail("the server's absence is not said in both languages: %r" % said)
        if driver.find_element(By.ID, "name-form-error").get_attribute("role") != "alert":
            fail("the form's error is not announced (role=alert)")
        if driver.find_element(By.ID, "results").is_displayed():
            fail("the old list is still shown with the server gone")
        # The browser logs the refused connection itself; nothing else may be logged.
        others = severe(driver.get_log("browser"), allowed=("ERR_CONNECTION_REFUSED",))
        if others:
            fail("browser console errors: %r" % others)
        print("PASS: %d names by keyboard, 2 kept through a reload, shared links, errors, an unknown and a long "
              "surname, an explanation, %d wuxia names, %d px phone width, the server gone, 0 console errors"
              % (len(names), len(sampled), PHONE_WIDTH))
        return 0
    finally:
        if driver:
            driver.quit()
        if proc:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The page in a real browser: `wuxia serve` on an ephemeral port with small
models trained here, Debian's chromium driven headless by selenium. Types a
surname, picks a sex, presses the button and reads the names; then a wuxia
name and an explained name; an error shown beside its field. Fails on any
browser console error. Exit 77 (CTest's skip) only where chromium,
chromedriver or selenium is missing.

usage: browser_test.py WUXIA DATA_DIR [--checkpoint CKPT]... [--screenshot PNG] [--width PX]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wuxia")
    ap.add_argument("data")
    ap.add_argument("--checkpoint", action="append", default=[])
    ap.add_argument("--screenshot")
    ap.add_argument("--width", type=int, default=1000)
    args = ap.parse_args()

    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        print("SKIP: chromium or chromedriver is not installed (scripts/setup.sh installs them)")
        return SKIP
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
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
        wait.until(lambda d: len(Select(d.find_element(By.ID, "style")).options) > 0)

        # Naming a child: surname, sex, the button, the names.
        surname = driver.find_element(By.ID, "surname")
        surname.clear()
        surname.send_keys("林")
        Select(driver.find_element(By.ID, "gender")).select_by_value("girl")
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#results .name"))
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#results .name")]
        print("names:", " ".join(names))
        if not names or not all(n.startswith("林") and len(n) == 3 for n in names):
            fail("expected names of 林 and two given characters, got %r" % names)
        rows = driver.find_elements(By.CSS_SELECTOR, "#results tbody tr")
        if len(rows) != len(names):
            fail("%d rows for %d names" % (len(rows), len(names)))
        for row in rows:
            cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
            if len(cells) != 6 or not cells[1] or not cells[2]:
                fail("a row lacks its pinyin or 平仄: %r" % cells)
            if not cells[3].startswith("女"):
                fail("a name asked for a girl does not read as one: %r" % cells)

        # Explain a name.
        box = driver.find_element(By.ID, "explain-name")
        box.send_keys("林黛玉")
        driver.find_element(By.ID, "explain").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#explain-results .card"))
        card = driver.find_element(By.CSS_SELECTOR, "#explain-results .card").text
        if "lín dài yù" not in card:
            fail("the explanation of 林黛玉 lacks its pinyin: %r" % card)

        # Wuxia names.
        driver.find_element(By.ID, "sample").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sample-results li"))
        sampled = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#sample-results li")]
        if len(sampled) != 20 or not all(sampled):
            fail("expected 20 wuxia names, got %r" % sampled)

        if args.screenshot:
            driver.execute_script("window.scrollTo(0, 0)")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(args.width, height + 150)
            time.sleep(0.3)
            driver.save_screenshot(args.screenshot)
            print("screenshot:", args.screenshot)

        logs = driver.get_log("browser")
        if severe(logs):
            fail("browser console errors: %r" % severe(logs))

        # An error the server names a field for is shown beside that field.
        surname.clear()
        surname.send_keys("林")
        tones = driver.find_element(By.ID, "tones")
        tones.send_keys("平平")  # two places for a three-character name
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: d.find_element(By.ID, "tones-error").text)
        said = driver.find_element(By.ID, "tones-error").text
        if "tones" not in said:
            fail("the tones error reads %r" % said)
        if tones.get_attribute("aria-invalid") != "true":
            fail("the tones field is not marked invalid")
        # The browser logs the 400 itself; anything else is an error of the page.
        others = severe(driver.get_log("browser"), allowed=("/api/name - Failed to load resource",))
        if others:
            fail("browser console errors: %r" % others)
        print("PASS: %d names, an explanation, %d wuxia names, a field error" % (len(names), len(sampled)))
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

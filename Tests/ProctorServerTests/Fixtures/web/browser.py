"""Drives the web pages in headless Chromium, as a participant and an organizer
would, and writes screenshots of the main pages. Run by WebPageTests; every
step that fails raises with what it saw.

usage: browser.py URL USER_TOKEN ADMIN_TOKEN IRIS_SOLUTION WORK_DIR SCREENSHOTS_DIR"""
import os
import sys
import time
from urllib.parse import urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

url, user_token, admin_token, iris, work, shots = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900", "--disable-gpu"]:
    options.add_argument(flag)
options.binary_location = "/usr/bin/chromium"
browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
browser.set_page_load_timeout(30)


def step(name):
    print("step:", name, flush=True)


def wait_for(what, check, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s; the page said: {browser.find_element(By.TAG_NAME, 'body').text[:2000]}")


def text(selector):
    return browser.find_element(By.CSS_SELECTOR, selector).text


def shot(name):
    browser.save_screenshot(os.path.join(shots, name + ".png"))


def sign_in(token):
    browser.get(url + "/competitions")
    wait_for("the sign-in page", lambda: urlparse(browser.current_url).path == "/sign-in")
    shot("sign-in")
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "sign-in").click()
    # The path itself: the sign-in page's own address ends in ?next=/competitions.
    wait_for("the competitions after signing in", lambda: urlparse(browser.current_url).path == "/competitions")


def submit(path):
    browser.get(url + "/competitions/iris")
    browser.find_element(By.ID, "file").send_keys(path)
    browser.find_element(By.ID, "submit").click()
    wait_for("the submission's page", lambda: "/submissions/" in browser.current_url)
    return browser.current_url


def leaderboard():
    browser.get(url + "/competitions/iris")
    return [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#leaderboard td.user")]


try:
    step("a bad token is refused with a reason")
    browser.get(url + "/sign-in")
    browser.find_element(By.ID, "token").send_keys("pct_not-a-token")
    browser.find_element(By.ID, "sign-in").click()
    wait_for("the refusal", lambda: "unknown, expired or revoked" in text("#problem"))

    step("alice signs in with her token")
    sign_in(user_token)
    assert "Iris" in text("#competitions"), text("#competitions")
    shot("competitions")

    # A solution that writes only the header scores 0: alice is behind bob.
    weak = os.path.join(work, "weak", "solution.py")
    os.makedirs(os.path.dirname(weak), exist_ok=True)
    with open(weak, "w") as f:
        f.write('open("submission.csv", "w").write("id,species\\n")\n')
    step("a weak submission through the form")
    page = submit(weak)
    wait_for("the weak submission to be graded", lambda: text("#state") == "succeeded")
    wait_for("the leaderboard with bob ahead", lambda: leaderboard() == ["bob", "alice"])

    # The Iris example, printing as it goes: its lines show while it runs.
    live = os.path.join(work, "live", "solution.py")
    os.makedirs(os.path.dirname(live), exist_ok=True)
    with open(live, "w") as f:
        f.write("import sys, time\nfor i in range(1, 9):\n    print(f'warming up {i}', flush=True)\n    time.sleep(0.6)\n")
        f.write(open(iris).read())
    step("the Iris solution through the form, followed live")
    page = submit(live)
    wait_for("a log line while the job runs", lambda: "warming up" in text("#log") and text("#state") == "running", timeout=60)
    shot("submission-running")
    wait_for("the job to succeed", lambda: text("#state") == "succeeded", timeout=90)
    wait_for("the page to show the score", lambda: float(text("#score")) > 0.9)
    assert "wrote submission.csv" in text("#log"), text("#log")
    shot("submission")

    step("the leaderboard turns: alice's better submission leads")
    wait_for("the leaderboard with alice ahead", lambda: leaderboard() == ["alice", "bob"])
    shot("competition")

    step("her submissions list both")
    browser.get(url + "/submissions")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#submissions a")) == 2, text("#submissions")

    step("an admin page is refused to her")
    browser.get(url + "/admin/nodes")
    assert "for admins" in text("#problem"), text("body")

    step("she signs out")
    browser.get(url + "/competitions")
    browser.find_element(By.ID, "sign-out").click()
    wait_for("the sign-in page", lambda: urlparse(browser.current_url).path == "/sign-in")
    browser.get(url + "/submissions")
    wait_for("pages to ask for a sign-in again", lambda: urlparse(browser.current_url).path == "/sign-in")

    step("an admin signs in and sees the nodes, the queue and the tokens")
    sign_in(admin_token)
    browser.get(url + "/admin/nodes")
    assert "this server" in text("#nodes"), text("#nodes")
    shot("admin-nodes")
    browser.get(url + "/admin/queue")
    assert text("h1") == "Queue"
    browser.get(url + "/admin/users")
    browser.find_element(By.ID, "user").send_keys("carol")
    browser.find_element(By.ID, "create-token").click()
    wait_for("the new token", lambda: text("#new-token").startswith("pct_"))
    assert "carol" in text("#tokens"), text("#tokens")
    shot("admin-users")
    print("ok", flush=True)
except Exception:
    # What the browser showed when it failed, for the test's output.
    shot("failure")
    print("page at failure:", browser.current_url, browser.find_element(By.TAG_NAME, "body").text[:2000], flush=True)
    raise
finally:
    browser.quit()

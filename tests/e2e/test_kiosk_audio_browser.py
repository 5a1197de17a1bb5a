"""Spoken questions in a real browser: the Nghe button on each question row, the read-aloud
switch, the espeak-ng files as the fallback when the device has no Vietnamese voice (headless
Chromium has none), those files played offline from the service worker's cache, the device's
voice when it has one, and no Nghe button at all when there is neither."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from survey import questionnaires as qdefs
from survey.kiosk import audio

# Runs before the kiosk script: the device has no voice at all, whatever Chromium finds.
NO_VOICES = "window.speechSynthesis && (window.speechSynthesis.getVoices = () => []);"

# Runs before the kiosk script: a device whose Vietnamese voice arrives a moment after the page
# (as on real tablets); what the kiosk asks it to say is kept in window.__spoken.
VI_VOICE = """(() => {
  const voices = [];
  const synth = new EventTarget();
  synth.getVoices = () => voices.slice();
  synth.cancel = () => {};
  synth.speak = (u) => { window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice.name});
    setTimeout(() => u.onend && u.onend(), 50); };
  window.__spoken = [];
  class Utterance { constructor(text) { this.text = text; } }
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: Utterance, configurable: true});
  setTimeout(() => { voices.push({lang: 'vi-VN', name: 'Giọng thử'});
    synth.dispatchEvent(new Event('voiceschanged')); }, 300);
})();"""

PLAYING = """(item) => { const a = document.getElementById('kiosk-audio');
  return a.src.endsWith(item) && !a.paused && a.currentTime > 0; }"""


@pytest.fixture(scope="session")
def audio_root(tmp_path_factory):
    """The ``sipas`` audio as ``make audio`` makes it (espeak-ng required in CI)."""
    if not shutil.which("espeak-ng"):
        if os.environ.get("CI") == "true":
            raise RuntimeError("CI=true but espeak-ng is missing: install Debian's espeak-ng")
        pytest.skip("espeak-ng not installed")
    root = tmp_path_factory.mktemp("kiosk-audio")
    audio.generate([qdefs.load_file(qdefs.FOLDER / "sipas.json")], root)
    return root


@pytest.fixture
def open_kiosk(province, browser, live_server):
    """Open the SNV-Q1 kiosk (one service area: straight to the first page) with a voice setup
    script; close the contexts afterwards."""
    contexts = []

    def open_page(script: str = NO_VOICES, width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      locale="vi-VN")
        contexts.append(context)
        context.add_init_script(script)
        page = context.new_page()
        page.goto(f"{live_server.url}/kiosk/{province.tokens['SNV-Q1']}")
        page.locator("[data-action=start]").wait_for()
        return context, page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def with_audio(app, audio_root) -> int:
    """The app serving the generated files; the ``sipas`` version they belong to."""
    app.config["KIOSK_AUDIO_FOLDER"] = str(audio_root)
    return qdefs.load_file(qdefs.FOLDER / "sipas.json")["version"]


@pytest.fixture
def without_audio(app, tmp_path) -> None:
    """The app with an empty audio folder, as before any ``make audio``."""
    app.config["KIOSK_AUDIO_FOLDER"] = str(tmp_path / "no-audio")


def _start(page) -> None:
    page.locator("[data-action=start]").click()
    page.locator(".crit").first.wait_for()


def test_every_row_has_nghe_and_a_tap_plays_its_file(with_audio, open_kiosk, screenshot):
    _context, page = open_kiosk()
    _start(page)
    rows = page.locator(".crit")
    listen = page.locator(".crit [data-action=listen]")
    assert listen.count() == rows.count() == 4
    for i in range(rows.count()):
        assert listen.nth(i).is_visible() and listen.nth(i).inner_text() == "Nghe"
    button = page.locator('.crit[data-code="TC2"] [data-action=listen]')
    button.click()
    page.wait_for_function(PLAYING, arg=f"/kiosk/audio/sipas/{with_audio}/TC2.vi.wav")
    assert button.get_attribute("aria-pressed") == "true"
    screenshot(page, "citizen-kiosk-listen")
    button.click()
    assert page.evaluate("document.getElementById('kiosk-audio').paused")
    assert button.get_attribute("aria-pressed") == "false"
    page.locator("#lang-toggle").click()
    english = page.locator('.crit[data-code="TC3"] [data-action=listen]')
    assert english.inner_text() == "Listen"
    english.click()
    page.wait_for_function(PLAYING, arg=f"/kiosk/audio/sipas/{with_audio}/TC3.en.wav")


def test_read_aloud_reads_the_heading_then_each_question(with_audio, open_kiosk):
    _context, page = open_kiosk()
    toggle = page.locator("#read-toggle")
    assert toggle.is_visible() and toggle.inner_text() == "Đọc to"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    page.wait_for_function(PLAYING, arg="/start.intro.vi.wav")
    _start(page)
    page.wait_for_function(PLAYING, arg="/TC.label.vi.wav")
    page.wait_for_function(PLAYING, arg="/TC1.vi.wav", timeout=15000)
    for code in ("TC1", "TC2", "TC3", "TC4"):
        page.locator(f'.crit[data-code="{code}"] [data-value="4"]').click()
    page.wait_for_function("() => document.getElementById('screen').dataset.screen === 'page-2'")
    page.wait_for_function(PLAYING, arg="/TT.label.vi.wav")
    toggle.click()
    assert page.evaluate("document.getElementById('kiosk-audio').paused")


def test_nghe_plays_offline_from_the_service_worker(with_audio, open_kiosk):
    context, page = open_kiosk()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    wanted = f"/kiosk/audio/sipas/{with_audio}/GY4.vi.wav"
    cached = ("(url) => caches.keys().then(keys => Promise.all(keys.map(k => caches.open(k)"
              ".then(c => c.keys())))).then(lists => lists.flat().some(r => r.url.endsWith(url)))")
    deadline = time.monotonic() + 20
    while not page.evaluate(cached, wanted) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert page.evaluate(cached, wanted), "the audio is in the offline cache"
    from_worker = []
    page.on("response", lambda r: from_worker.append(r.from_service_worker)
            if r.url.endswith(wanted) else None)
    context.set_offline(True)
    try:
        _start(page)
        for _page in range(4):
            current = page.locator("#screen").get_attribute("data-screen")
            page.locator("[data-action=next]").click()
            page.wait_for_function("s => document.getElementById('screen').dataset.screen !== s",
                                   arg=current)
        page.locator('.crit[data-code="GY4"] [data-action=listen]').click()
        page.wait_for_function(PLAYING, arg=wanted)
        assert from_worker and all(from_worker)
    finally:
        context.set_offline(False)


def test_no_files_and_no_voice_means_no_nghe_button(without_audio, open_kiosk):
    _context, page = open_kiosk()
    assert page.locator("#read-toggle").is_hidden()
    _start(page)
    assert page.locator(".crit").count() == 4
    assert page.locator("[data-action=listen]:visible").count() == 0
    assert page.locator("#read-toggle").is_hidden()
    page.locator("#lang-toggle").click()
    assert page.locator("[data-action=listen]:visible").count() == 0


def test_the_devices_vietnamese_voice_is_used_when_it_has_one(without_audio, open_kiosk):
    _context, page = open_kiosk(VI_VOICE)
    _start(page)
    listen = page.locator('.crit[data-code="TC1"] [data-action=listen]')
    listen.wait_for(state="visible")
    assert page.locator("[data-action=listen]:visible").count() == 4
    listen.click()
    page.wait_for_function("() => window.__spoken.length === 1")
    spoken = page.evaluate("window.__spoken[0]")
    assert spoken["lang"] == "vi-VN" and spoken["voice"] == "Giọng thử"
    assert "chỗ ngồi chờ" in spoken["text"]
    assert not page.evaluate("document.getElementById('kiosk-audio').getAttribute('src')")
    # English on a device with only a Vietnamese voice and no files: no English button.
    page.locator("#lang-toggle").click()
    assert page.locator("[data-action=listen]:visible").count() == 0

"""The kiosk's spoken questions: audio made by espeak-ng for every item of both shipped
questionnaires, in Vietnamese and English, served by the app; and a clear message (no broken
files) when espeak-ng is missing."""
from __future__ import annotations

import json
import os
import re
import shutil
import wave

import pytest

from survey import questionnaires as qdefs
from survey.kiosk import audio

SHIPPED = ("sipas", "sipas-2023")
MIN_SECONDS = 0.3


def _definition(code: str) -> dict:
    return qdefs.load_file(qdefs.FOLDER / f"{code}.json")


@pytest.fixture(scope="session")
def audio_root(tmp_path_factory):
    """The audio of the shipped questionnaires, generated once for the session, as ``make
    audio`` does. espeak-ng is required in CI (``.ci/run`` installs it), optional elsewhere."""
    if not shutil.which("espeak-ng"):
        if os.environ.get("CI") == "true":
            raise RuntimeError("CI=true but espeak-ng is missing: install Debian's espeak-ng")
        pytest.skip("espeak-ng not installed")
    root = tmp_path_factory.mktemp("audio")
    audio.generate([_definition(code) for code in SHIPPED], root)
    return root


@pytest.fixture
def served(app, audio_root):
    """The app serving the generated audio."""
    app.config["KIOSK_AUDIO_FOLDER"] = str(audio_root)
    return app


def _settings(html: str) -> dict:
    match = re.search(r'<script id="kiosk-settings" type="application/json">(.*?)</script>', html,
                      re.DOTALL)
    assert match, "the kiosk page embeds its settings"
    return json.loads(match.group(1))


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("lang", audio.LANGUAGES)
def test_every_question_of_the_shipped_questionnaires_has_audio_that_plays(audio_root, code,
                                                                           lang):
    definition = _definition(code)
    folder = audio.version_folder(audio_root, code, definition["version"])
    stems = qdefs.item_codes(definition) + [f"{e['code']}.label" for e in definition["elements"]]
    stems.append("start.intro")
    assert len(stems) > len(definition["elements"])
    for stem in stems:
        path = folder / audio.file_name(stem, lang)
        assert path.exists(), f"{code} v{definition['version']}: no {path.name}"
        with wave.open(str(path), "rb") as sound:
            assert (sound.getnchannels(), sound.getsampwidth(), sound.getframerate()) == (
                1, 2, audio.RATE), path.name
            seconds = sound.getnframes() / sound.getframerate()
        assert seconds > MIN_SECONDS, f"{path.name} lasts {seconds:.2f} s"


def test_generation_is_incremental_and_reproducible(audio_root):
    definition = _definition("sipas")
    again = audio.generate([definition], audio_root)
    assert again.made == [] and len(again.kept) == 2 * len(audio.speech_items(definition))
    folder = audio.version_folder(audio_root, "sipas", definition["version"])
    before = (folder / "HL.vi.wav").read_bytes()
    (folder / "HL.vi.wav").unlink()
    remade = audio.generate([definition], audio_root)
    assert [p.name for p in remade.made] == ["HL.vi.wav"]
    assert (folder / "HL.vi.wav").read_bytes() == before


def test_the_shipped_audio_stays_small_enough_for_a_tablet_cache(audio_root):
    total = sum(p.stat().st_size for p in audio_root.rglob("*.wav"))
    print(f"\nkiosk audio: {len(list(audio_root.rglob('*.wav')))} files, {total / 1e6:.1f} MB")
    assert total < 20e6


@pytest.mark.parametrize("code", SHIPPED)
def test_the_kiosk_page_lists_and_the_app_serves_every_file(served, client, province, code):
    settings = _settings(client.get(f"/kiosk/{province.tokens['SNV-Q1']}?q={code}")
                         .get_data(as_text=True))
    definition = settings["questionnaire"]
    for lang in audio.LANGUAGES:
        assert set(settings["audio"][lang]) == {s for s, _t in audio.speech_items(definition)}
    url = settings["audio"]["vi"][qdefs.item_codes(definition)[0]]
    assert url == f"/kiosk/audio/{code}/{settings['version']}/{qdefs.item_codes(definition)[0]}.vi.wav"
    for lang in audio.LANGUAGES:
        for stem, link in settings["audio"][lang].items():
            with client.get(link) as reply:
                assert reply.status_code == 200, link
                assert reply.mimetype == "audio/wav"
                assert reply.data[:4] == b"RIFF" and len(reply.data) > 44, stem
    with client.get(url, headers={"Range": "bytes=0-99"}) as partial:
        assert partial.status_code == 206 and len(partial.data) == 100


def test_without_audio_files_the_kiosk_lists_none(app, client, province, tmp_path):
    app.config["KIOSK_AUDIO_FOLDER"] = str(tmp_path / "nothing-here")
    settings = _settings(client.get(f"/kiosk/{province.tokens['SNV-Q1']}").get_data(as_text=True))
    assert settings["audio"] == {"vi": {}, "en": {}}


@pytest.mark.parametrize("path", [
    "/kiosk/audio/sipas/2/TC1.fr.wav", "/kiosk/audio/sipas/2/TC1.vi.mp3",
    "/kiosk/audio/sipas/2/..%2F..%2Fmanifest.json", "/kiosk/audio/sipas/2/manifest.json",
    "/kiosk/audio/sipas/99/TC1.vi.wav", "/kiosk/audio/no%20such/2/TC1.vi.wav",
    "/kiosk/audio/sipas/2/NOPE.vi.wav"])
def test_anything_but_an_audio_file_is_not_found(served, client, path):
    with client.get(path) as reply:
        assert reply.status_code == 404


def test_make_audio_without_espeak_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SIPAS_ESPEAK", "espeak-ng-is-not-here")
    assert audio.main(["--out", str(tmp_path / "out")]) == 0
    message = capsys.readouterr().err
    assert "espeak-ng is not installed" in message and "apt-get install espeak-ng" in message
    assert "Nghe" in message
    assert audio.main(["--strict", "--out", str(tmp_path / "out")]) == 1
    assert not list(tmp_path.rglob("*.wav"))


def test_english_text_with_a_slash_is_read_as_or():
    assert audio.speakable("Ông/Bà  hài lòng", "vi") == "Ông/Bà hài lòng"
    assert audio.speakable("seats/chairs", "en") == "seats or chairs"


def test_the_flask_command_covers_the_questionnaires_in_the_database(served, runner,
                                                                     monkeypatch):
    result = runner.invoke(args=["kiosk", "audio"])
    assert result.exit_code == 0, result.output
    items = sum(len(audio.speech_items(_definition(code))) for code in SHIPPED)
    assert f"0 made, {2 * items} up to date" in result.output
    monkeypatch.setenv("SIPAS_ESPEAK", "espeak-ng-is-not-here")
    assert runner.invoke(args=["kiosk", "audio"]).exit_code == 0
    missing = runner.invoke(args=["kiosk", "audio", "--strict"])
    assert missing.exit_code == 1 and "espeak-ng is not installed" in missing.output

"""Spoken questions for the kiosk: WAV files made from a questionnaire with espeak-ng.

Tablets rarely ship a Vietnamese speech-synthesis voice, so the kiosk falls back to these
files. They are generated (``make audio``, or ``python -m survey.kiosk.audio``) into the
instance folder (``instance/audio/<code>/<version>/<item>.<lang>.wav``), not kept in git:
they are derived data, about 100 files and 10 MB for the two shipped questionnaires, and a
published version's wording never changes, so a (code, version) folder is stable.

Each element's heading is spoken too (``<element>.label.<lang>.wav``), and the introduction of the
start screen (``start.intro.<lang>.wav``): a dot cannot occur in a questionnaire code, so these
names never clash with an item's. A ``manifest.json`` per folder
records the text and voice of every file, so a second run only makes what changed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is loaded only when audio is made, not when the app starts
    import numpy as np

LANGUAGES = ("vi", "en")
#: Output sample rate: 16 kHz mono 16-bit is plenty for speech and a quarter smaller than
#: espeak-ng's own 22.05 kHz.
RATE = 16000
#: Words per minute: a little slower than espeak-ng's 175, for elderly listeners.
SPEED = 150
NAME_SUFFIX = ".wav"
#: The stem of the start screen's introduction (a dot never occurs in an item code).
INTRO = "start.intro"
MISSING_MESSAGE = (
    "espeak-ng is not installed, so no kiosk audio was made. Install it (Debian: apt-get "
    "install espeak-ng) and run `make audio` again. Meanwhile the kiosk uses the tablet's own "
    "voice where it has one, and shows no Nghe button where it has none.")


class EspeakMissing(RuntimeError):
    """espeak-ng is not on the PATH: nothing can be generated."""


@dataclass
class Summary:
    """What one generation run did."""

    made: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)

    @property
    def files(self) -> list[Path]:
        """Every audio file of the run, made or already up to date."""
        return self.made + self.kept


def speech_items(definition: dict) -> list[tuple[str, dict]]:
    """(file stem, {"vi": text, "en": text}) of everything the kiosk can read aloud: the
    questionnaire's introduction (start screen), each element's heading, its criteria and
    overall question, and the questionnaire's overall question."""
    items = [(INTRO, definition["intro"])] if definition.get("intro") else []
    for element in definition["elements"]:
        items.append((f"{element['code']}.label", element["label"]))
        items.extend((c["code"], c["question"]) for c in element["criteria"])
        if "overall" in element:
            items.append((element["overall"]["code"], element["overall"]["question"]))
    if "overall" in definition:
        items.append((definition["overall"]["code"], definition["overall"]["question"]))
    return items


def file_name(stem: str, lang: str) -> str:
    """The file of one item in one language, e.g. ``TC1.vi.wav``."""
    return f"{stem}.{lang}{NAME_SUFFIX}"


def version_folder(root: Path, code: str, version: int) -> Path:
    """Where the audio of one questionnaire version lives."""
    return Path(root) / code / str(int(version))


def speakable(text: str, lang: str) -> str:
    """The text as espeak-ng should read it: English says "slash" for "/", so it becomes "or"."""
    text = " ".join(text.split())
    return text.replace("/", " or ") if lang == "en" else text


def find_espeak() -> str:
    """The espeak-ng program, or :class:`EspeakMissing` (``SIPAS_ESPEAK`` may name another)."""
    program = os.environ.get("SIPAS_ESPEAK", "espeak-ng")
    found = shutil.which(program)
    if not found:
        raise EspeakMissing(MISSING_MESSAGE)
    return found


def _lowpass(samples: np.ndarray, cutoff: float, taps: int = 63) -> np.ndarray:
    """A windowed-sinc low-pass filter (cutoff as a fraction of the input rate), so that
    resampling does not fold the hiss above 8 kHz back into the speech."""
    import numpy as np

    n = np.arange(taps) - (taps - 1) / 2
    kernel = np.sinc(2 * cutoff * n) * np.hamming(taps)
    return np.convolve(samples, kernel / kernel.sum(), mode="same")


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """16-bit mono samples at ``rate`` converted to ``target`` (linear interpolation)."""
    import numpy as np

    if rate == target or not len(samples):
        return samples.astype(np.int16)
    data = samples.astype(np.float64)
    if target < rate:
        data = _lowpass(data, 0.5 * target / rate * 0.95)
    count = round(len(data) * target / rate)
    points = np.linspace(0, len(data) - 1, count)
    out = np.interp(points, np.arange(len(data)), data)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def trim(samples: np.ndarray, rate: int = RATE, floor: int = 300, pad: float = 0.08) -> np.ndarray:
    """Samples without the silence espeak-ng leaves at both ends (``pad`` seconds kept)."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    if not len(loud):
        return samples
    margin = int(pad * rate)
    return samples[max(0, loud[0] - margin):loud[-1] + margin + 1]


def speak_to_wav(espeak: str, text: str, lang: str, target: Path) -> None:
    """Say ``text`` with espeak-ng's ``lang`` voice into ``target`` (16 kHz mono WAV)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run([espeak, "-v", lang, "-s", str(SPEED), "-w", str(raw), "--",
                        speakable(text, lang)], check=True, capture_output=True, timeout=60)
        with wave.open(str(raw), "rb") as source:
            rate, width, channels = source.getframerate(), source.getsampwidth(), source.getnchannels()
            frames = source.readframes(source.getnframes())
    if width != 2 or channels != 1:
        raise RuntimeError(f"espeak-ng gave {channels} channels of {8 * width} bits")
    import numpy as np

    samples = trim(resample(np.frombuffer(frames, dtype="<i2"), rate))
    partial = target.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    partial.replace(target)


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def generate_version(definition: dict, root: Path, espeak: str, summary: Summary) -> None:
    """Make (or keep, when its text is unchanged) every audio file of one questionnaire version."""
    folder = version_folder(root, definition["code"], definition["version"])
    folder.mkdir(parents=True, exist_ok=True)
    old, new = _manifest(folder), {}
    for stem, texts in speech_items(definition):
        for lang in LANGUAGES:
            name, text = file_name(stem, lang), texts.get(lang) or texts["vi"]
            new[name] = {"text": text, "voice": lang, "speed": SPEED, "rate": RATE}
            target = folder / name
            if old.get(name) == new[name] and target.exists():
                summary.kept.append(target)
                continue
            speak_to_wav(espeak, text, lang, target)
            summary.made.append(target)
    (folder / "manifest.json").write_text(json.dumps(new, ensure_ascii=False, indent=1,
                                                     sort_keys=True), encoding="utf-8")


def generate(definitions: list[dict], root: Path, espeak: str | None = None) -> Summary:
    """Audio for every definition under ``root``; :class:`EspeakMissing` without espeak-ng."""
    espeak = espeak or find_espeak()
    summary = Summary()
    for definition in definitions:
        generate_version(definition, Path(root), espeak, summary)
    return summary


def available(root: Path, code: str, version: int) -> set[str]:
    """Names of the audio files present for one questionnaire version (empty when none)."""
    folder = version_folder(root, code, version)
    try:
        return {p.name for p in folder.iterdir() if p.name.endswith(NAME_SUFFIX)}
    except OSError:
        return set()


def audio_map(names: set[str], definition: dict, url_for_name) -> dict[str, dict[str, str]]:
    """{lang: {item stem: URL}} of the items of ``definition`` that have a file."""
    result = {lang: {} for lang in LANGUAGES}
    for stem, _texts in speech_items(definition):
        for lang in LANGUAGES:
            if file_name(stem, lang) in names:
                result[lang][stem] = url_for_name(file_name(stem, lang))
    return result


def wav_seconds(path: Path) -> float:
    """The playing time of a WAV file, read from its header."""
    with wave.open(str(path), "rb") as source:
        return source.getnframes() / source.getframerate()


def _shipped_definitions() -> list[dict]:
    from ..questionnaires import load_file, shipped_files

    return [load_file(path) for path in shipped_files()]


def _folder_size(files: list[Path]) -> int:
    return sum(p.stat().st_size for p in files if p.exists())


def main(argv: list[str] | None = None) -> int:
    """``make audio``: audio for the shipped questionnaires (or the JSON files given).

    Without espeak-ng it prints how to install it and exits 0, because the kiosk works
    without the files (device voice, or no Nghe button): a missing voice must not stop
    ``make run``. ``--strict`` makes it exit 1 instead (for CI).
    """
    parser = argparse.ArgumentParser(prog="make audio", description=main.__doc__)
    parser.add_argument("--out", default=os.environ.get("SIPAS_AUDIO_DIR", "instance/audio"))
    parser.add_argument("--strict", action="store_true", help="exit 1 when espeak-ng is missing")
    parser.add_argument("files", nargs="*", help="questionnaire JSON files (default: shipped)")
    args = parser.parse_args(argv)
    try:
        from ..questionnaires import load_file

        definitions = [load_file(f) for f in args.files] if args.files else _shipped_definitions()
        summary = generate(definitions, Path(args.out))
    except EspeakMissing as missing:
        print(f"make audio: {missing}", file=sys.stderr)
        return 1 if args.strict else 0
    size = _folder_size(summary.files)
    print(f"make audio: {len(summary.made)} made, {len(summary.kept)} up to date, "
          f"{len(summary.files)} files, {size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

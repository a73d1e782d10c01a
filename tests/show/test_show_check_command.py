"""`run.py check SHOW`, as a subprocess and through the CLI's main: a summary and exit 0, or one
line and exit 2."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]


def check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_valid_show(tmp_path):
    result = check(ROOT / "shows" / "midi_performance.toml")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")
    assert "8 keyframes (lerp), 32 beats per period" in result.stdout


def test_invalid_show(tmp_path):
    show = tmp_path / "bad.toml"
    show.write_text('[show]\nname = "bad"\n[display]\nfit = "zoom"\n')
    result = check(show)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f'error: {show}:4: display.fit: expected one of "fit", "fill", "stretch", got "zoom"\n'
    )


def check_main(capsys, path: Path) -> tuple[int, str, str]:
    """`run.py check PATH` in this process, as the CLI runs it: (exit code, stdout, stderr)."""
    from installation.cli import main

    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


MISTAKES = {
    "undeclared mapping target": (
        '[[mappings]]\nkey = "g"\nto = "glowx"\n',
        ":3: mappings[0].to: no parameter 'glowx' (declare it under [parameters.glowx])",
    ),
    "scene value out of range": (
        "[scenes.calm]\nvalues = { psi = 7 }\n",
        ":2: scenes.calm.values: psi = 7.0 is outside its range 0 to 2",
    ),
    "scene value of an unknown parameter": (
        "[scenes.calm]\nvalues = { glowx = 1 }\n",
        ":2: scenes.calm.values: no parameter 'glowx'",
    ),
    "autopilot naming a missing scene": (
        '[scenes.calm]\n[autopilot]\nscenes = ["calm", "storm"]\n',
        ":3: autopilot.scenes: no scene 'storm'",
    ),
    "missing webcam video": (
        '[webcam]\nenabled = true\nsource = "visitors.mp4"\n',
        ":3: webcam.source: no such video file or device: {dir}/visitors.mp4",
    ),
    "model that is a device": (
        '[model]\npath = "/dev/zero"\n',
        ":2: model.path: /dev/zero is not a regular file (a device, a pipe or a socket)",
    ),
    "keyframe of the wrong width": (
        '[motion]\nkeyframes = [1, "wide.npy"]\n',
        ":2: motion.keyframes[1]: wide.npy: z is 300 wide, the model's is 256",
    ),
    "keyframe of random bytes": (
        '[motion]\nkeyframes = ["noise.npy"]\n',
        ":2: motion.keyframes[0]: noise.npy is not a NumPy .npy file",
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_whole_show_mistakes_fail_check_with_file_line_and_key(capsys, tmp_path, mistake):
    text, expected = MISTAKES[mistake]
    np.save(tmp_path / "wide.npy", np.zeros((1, 300), np.float32))  # the default model's z is 256
    (tmp_path / "noise.npy").write_bytes(np.random.default_rng(0).bytes(256))
    show = tmp_path / "piece.toml"
    show.write_text(text)
    code, out, err = check_main(capsys, show)
    assert (code, out) == (2, "")
    assert err == f"error: {show}{expected.format(dir=tmp_path)}\n"
    assert "allow_pickle" not in err


def test_an_empty_show_file_is_refused(capsys, tmp_path):
    show = tmp_path / "empty.toml"
    show.write_bytes(b"")
    code, _, err = check_main(capsys, show)
    assert code == 2 and err.startswith(f"error: {show}: the show file is empty") and err.count("\n") == 1


def test_check_loads_the_model_file_as_play_does(capsys, tmp_path):
    from tests.sinks.show_files import write_show

    code, out, err = check_main(capsys, write_show(tmp_path))
    assert code == 0, err
    assert "  model:      " in out and "tiny.pkl (32 px, z 32, w 32)" in out


@pytest.mark.filterwarnings("error")  # torch's warning about the pickle protocol stays out
def test_a_hostile_or_corrupt_checkpoint_fails_check(capsys, tmp_path):
    from tests.checkpoints.ckpt_writers import reduce_pickle, replace_in_zip, torch_save_bytes

    genuine = tmp_path / "genuine.pt"
    genuine.write_bytes(torch_save_bytes({"g_ema": {"x": torch.zeros(4)}}))
    replace_in_zip(genuine, tmp_path / "hostile.pt", "data.pkl", reduce_pickle("os", "system", "true"))
    show = tmp_path / "piece.toml"
    show.write_text('[model]\npath = "hostile.pt"\n')
    code, _, err = check_main(capsys, show)
    assert code == 2
    assert err.startswith(f"error: {show}:2: model.path: {tmp_path / 'hostile.pt'}: refused: the file asks")
    # A zip with no version record: torch's check fails with advice meant for its developers.
    with zipfile.ZipFile(genuine) as whole, zipfile.ZipFile(tmp_path / "cut.pt", "w") as cut:
        for info in whole.infolist():
            if not info.filename.endswith("/version"):
                cut.writestr(info, whole.read(info))
    show.write_text('[model]\npath = "cut.pt"\n')
    code, _, err = check_main(capsys, show)
    assert code == 2 and "truncated or corrupt torch.save zip" in err and err.count("\n") == 1
    assert "PyTorch" not in err and "improved" not in err

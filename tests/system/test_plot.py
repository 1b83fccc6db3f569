"""``backsight plot``: a recording or a scenario run drawn to an image file."""

import struct
import sys

import pytest

from pi_app.cli import main
from pi_app.plot import ttc_series
from pi_app.record import read_recording
from pi_app.sim.rig import record_scenario
from pi_app.sim.scenario import load_scenario

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def wall_recording(tmp_path_factory):
    """wall-approach recorded as `backsight run --record` would, plus its result."""
    path = tmp_path_factory.mktemp("rec") / "wall.rec"
    return path, record_scenario(load_scenario("wall-approach"), path)


def test_ttc_from_the_recording_follows_the_true_time_to_contact(wall_recording):
    path, result = wall_recording
    t_contact = result["hazards"][0]["t_contact_s"]
    series = ttc_series(read_recording(path))
    assert list(series) == ["rear"]               # the obstacle sensor only
    near = [(t, ttc) for t, ttc in series["rear"] if t_contact - 1.0 <= t <= t_contact - 0.1]
    assert len(near) >= 15
    errors = sorted(abs(ttc - (t_contact - t)) for t, ttc in near)
    assert errors[len(errors) // 2] < 0.2         # median error


def test_plot_a_recording_to_png(wall_recording, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the [plot] extra (matplotlib) is not installed")
    path, _ = wall_recording
    out = tmp_path / "wall.png"
    assert main(["plot", str(path), "-o", str(out)]) == 0
    width, height = png_size(out)
    assert width >= 800 and height >= 600 and out.stat().st_size > 20_000
    assert "readings" in capsys.readouterr().out


def test_plot_a_scenario_with_its_hazards(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the [plot] extra (matplotlib) is not installed")
    out = tmp_path / "kerb.png"
    assert main(["plot", "--scenario", "kerb-down", "--policy", "naive", "-o", str(out)]) == 0
    assert png_size(out)[0] >= 800
    said = capsys.readouterr().out
    assert "kerb-down (naive)" in said and "1 hazards" in said


def test_without_matplotlib_it_says_what_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)     # import fails
    out = tmp_path / "x.png"
    assert main(["plot", "--scenario", "wall-approach", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'backsight[plot]'" in err
    assert not out.exists()


def test_needs_exactly_one_source(tmp_path, capsys):
    assert main(["plot", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["plot", "rec.txt", "--scenario", "wall-approach", "-o", "x.png"]) == 2


def test_a_file_that_is_not_a_recording_is_an_error(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the [plot] extra (matplotlib) is not installed")
    bad = tmp_path / "bad.rec"
    bad.write_text("hello\n")
    assert main(["plot", str(bad), "-o", str(tmp_path / "x.png")]) == 1
    assert "not a backsight recording" in capsys.readouterr().err

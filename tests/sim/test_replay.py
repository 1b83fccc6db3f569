"""Replay reproduces the live run: same alerts, to the same time, level, kind and source.

Recorded the way ``backsight run --sim NAME --record FILE`` records (the device built on
SimBus, the recorder handed to it), then replayed from the file alone.
"""

import json

import pytest

from pi_app.clock import PacedClock
from pi_app.config import Config
from pi_app.detect import Level
from pi_app.record import Recorder, read_recording
from pi_app.replay import differences, replay
from pi_app.sim.rig import JitterClock, SimRig
from pi_app.sim.scenario import load_scenario, shipped_scenarios


def _record(tmp_path, name, *, clock=None, policy="backsight", until_s=None, before_run=None):
    scenario = load_scenario(name)
    path = tmp_path / f"{name}.rec"
    cfg_probe = SimRig(scenario, policy=policy)      # the config the rig will run
    cfg = cfg_probe.cfg
    cfg_probe.close()
    recorder = Recorder(path, cfg, policy=policy)
    rig = SimRig(scenario, policy=policy, clock=clock, recorder=recorder)
    try:
        if before_run is not None:
            before_run(rig)
        rig.run() if until_s is None else rig.loop.run(until_s=until_s)
        live = list(rig.loop.alerts)
    finally:
        rig.close()
        recorder.close()
    return read_recording(path), live


def _same(recording, live, replayed) -> None:
    assert recording.skipped_lines == 0
    as_recorded = [(t, s.level.label, s.kind, s.source) for t, s in live]
    assert recording.alerts == as_recorded           # the file holds what the loop commanded
    assert differences(recording.alerts, replayed.alerts) == []
    assert [(t, s) for t, s in replayed.alerts] == live   # detail included
    assert replayed.divergences == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_scenarios())
def test_replay_reproduces_every_shipped_scenario(tmp_path, name):
    recording, live = _record(tmp_path, name)
    _same(recording, live, replay(recording))


@pytest.mark.parametrize("name", ["wall-approach", "unplug-replug"])
def test_replay_reproduces_a_run_at_eight_times_real_time(tmp_path, name):
    """Paced by the wall clock, the cycles come when the machine lets them (late, bunched,
    a re-initialisation's waits in between): the replay follows the recorded instants."""
    recording, live = _record(tmp_path, name, clock=PacedClock(speed=8.0))
    assert live, "the scenario warns"
    _same(recording, live, replay(recording))


class CreepingClock(JitterClock):
    """Simulated time that moves on by 1 ms at every reading, as a busy wall clock moves
    between two reads: deterministic where the paced run is not."""

    def now_s(self) -> float:
        self._t_s += 1e-3
        return self._t_s


def test_replay_is_exact_when_the_clock_moves_between_two_reads(tmp_path):
    """The 8x paced run's hazard, made repeatable: each re-initialisation of the
    unplugged sensor must be recorded at the instant its next probe counts from, or the
    replay probes at other cycles (and warns differently)."""
    recording, live = _record(tmp_path, "unplug-replug", clock=CreepingClock(seed=1))
    assert sum(1 for e in recording.events if e[0] == "x") >= 3, "re-initialisations"
    _same(recording, live, replay(recording))


def test_replay_follows_a_configuration_changed_during_the_run(tmp_path):
    """A threshold set over the console mid-run (handed to the loop between two cycles)
    is in the recording and replayed at the same cycle."""
    def change_at_3_s(rig):
        loop = rig.loop
        stricter = loop.cfg.with_value("obstacle.warning_ttc_s", 3.5)

        def hook(t_s, done=[]):
            if t_s >= 3.0 and not done:
                done.append(loop.apply_config(stricter))
        loop.hooks.append(hook)
    recording, live = _record(tmp_path, "wall-approach", before_run=change_at_3_s)
    assert sum(1 for e in recording.events if e[0] == "g") == 2
    _same(recording, live, replay(recording))


def test_replay_with_other_thresholds_shows_what_they_would_have_done(tmp_path):
    recording, live = _record(tmp_path, "wall-approach")
    cfg = Config.from_dict(recording.config, "test").with_value("obstacle.warning_ttc_s", 1.6)
    other = replay(recording, cfg=cfg)
    live_warning_s = min(t for t, s in live if s.level == Level.WARNING)
    other_warning_s = min(t for t, s in other.alerts if s.level == Level.WARNING)
    assert other_warning_s > live_warning_s       # a shorter TTC warns later


def test_the_naive_policy_is_recorded_and_replayed_as_such(tmp_path):
    recording, live = _record(tmp_path, "park-bench", policy="naive")
    assert recording.policy == "naive"
    _same(recording, live, replay(recording))


def test_replay_command_says_identical_and_reports_json(tmp_path, capsys):
    from pi_app.cli import main

    recording, live = _record(tmp_path, "kerb-down")
    path = str(tmp_path / "kerb-down.rec")
    assert main(["replay", path]) == 0
    out = capsys.readouterr().out
    assert "identical to the recorded alerts" in out
    assert main(["replay", path, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["identical"] is True and doc["divergences"] == 0 and doc["format"] == 2
    assert [(a["t_s"], a["level"]) for a in doc["alerts"]] == \
        [(t, s.level.label) for t, s in live]


def test_replay_command_names_the_differences_of_other_thresholds(tmp_path, capsys):
    from pi_app.cli import main

    _record(tmp_path, "wall-approach")
    other = tmp_path / "other.toml"
    other.write_text("[obstacle]\nwarning_ttc_s = 1.6\n")
    assert main(["replay", str(tmp_path / "wall-approach.rec"), "--config", str(other)]) == 0
    out = capsys.readouterr().out
    assert "thresholds from" in out and "differences from the recorded alerts" in out

"""Plots of a recording or a scenario run (``backsight plot``; needs matplotlib, the
``plot`` extra).

Three panels over time, sharing the time axis:
1. distance per sensor (valid readings as dots; invalid ones as ticks along the bottom),
2. time to contact per obstacle sensor, from the same ``ObstacleDetector`` the device
   runs, fed the recorded readings and IMU samples in time order,
3. the commanded alert level (a step plot: what the runner felt).
A scenario run adds its hazards: a shaded span from ``t_detectable_s`` (the physical
limit) to ``t_contact_s`` on every panel and a marker at the first warning.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from pi_app.exc import BacksightError

LEVELS = ("clear", "caution", "fault", "warning", "danger")
LEVEL_COLORS = {"clear": "#2a9d8f", "caution": "#e9c46a", "fault": "#8d99ae",
                "warning": "#f4a261", "danger": "#e63946"}
TTC_CEILING_S = 10.0          # longer times to contact are off the chart (nothing near)
INSTALL_HINT = "pip install 'backsight[plot]'"


class PlotUnavailable(BacksightError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(f"plotting needs matplotlib: {INSTALL_HINT}") from None
    matplotlib.use("Agg")          # files only: no display needed (a Pi, CI)
    import matplotlib.pyplot as plt
    return plt


def ttc_series(recording, cfg=None) -> dict[str, list[tuple[float, float]]]:
    """``{sensor id: [(t_s, ttc_s)]}`` for each obstacle sensor of the recording: the
    device's obstacle detector run over its readings (IMU pitch from the recorded IMU
    samples), sampled after every reading that leaves it with a closing target."""
    from pi_app.config import Config, SensorConfig
    from pi_app.detect.contract import Pose
    from pi_app.detect.imu import ImuTracker
    from pi_app.device import make_detector

    if cfg is None:
        cfg = Config.from_dict(recording.config, "recording") if recording.config \
            else Config.defaults()
    known = {s.id: s for s in cfg.sensors}
    detectors = {}
    for sid in recording.sensor_ids:
        sc = known.get(sid) or SensorConfig(sid, "vl53l1x", "obstacle")
        if sc.role == "obstacle":
            detectors[sid] = make_detector(sc, cfg, "backsight")
    imu = ImuTracker(None)
    pose = Pose()         # set from the replayed IMU before each reading
    events = [(t, 0, None, (a, g)) for t, a, g in recording.imu]
    events += [(r.t_s, 1, sid, r) for sid, r in recording.readings if sid in detectors]
    events.sort(key=lambda e: (e[0], e[1]))
    out: dict[str, list] = {sid: [] for sid in detectors}
    for t_s, is_reading, sid, payload in events:
        if not is_reading:
            imu.update(t_s, *payload)
            continue
        det = detectors[sid]
        pose.t_s = t_s
        pose.pitch_deg, pose.bounce_m = (imu.pitch_deg if imu.ready else 0.0), imu.bounce_m
        det.feed(payload, pose)
        det.judge(t_s)
        ttc = getattr(det, "ttc_s", None)
        if ttc is not None and ttc <= TTC_CEILING_S:
            out[sid].append((t_s, ttc))
    return out


def plot_recording(recording, out_path, *, hazards=(), title: str | None = None,
                   cfg=None) -> Path:
    """Draw ``recording`` (``pi_app.record.Recording``) to ``out_path`` (PNG, SVG or PDF
    by suffix). ``hazards``: rows of the ``sim --json`` object's ``hazards``."""
    plt = _pyplot()
    fig, (ax_d, ax_t, ax_l) = plt.subplots(3, 1, sharex=True, figsize=(11, 8),
                                           gridspec_kw={"height_ratios": (3, 2, 1.4)})
    colors = {sid: f"C{i % 10}" for i, sid in enumerate(recording.sensor_ids)}
    try:
        _distances(ax_d, recording, colors)
        _ttc(ax_t, ttc_series(recording, cfg), colors)
        _levels(ax_l, recording.alerts, recording)
        for ax in (ax_d, ax_t, ax_l):
            _hazards(ax, hazards, label=ax is ax_d)
            ax.grid(True, alpha=0.3)
        if recording.sensor_ids:        # no readings: no labels, and no legend
            ax_d.legend(loc="upper right", fontsize="small")
        ax_l.set_xlabel("time (s)")
        fig.suptitle(title or "backsight recording")
        fig.tight_layout()
        out = Path(out_path)
        fig.savefig(out, dpi=110)
        return out
    finally:
        plt.close(fig)


def _distances(ax, recording, colors) -> None:
    by_sensor: dict[str, tuple[list, list, list]] = {}
    for sid, r in recording.readings:
        ts, ds, bad = by_sensor.setdefault(sid, ([], [], []))
        if r.distance_m is None:
            bad.append(r.t_s)
        else:
            ts.append(r.t_s)
            ds.append(r.distance_m)
    for sid, (ts, ds, bad) in by_sensor.items():
        ax.plot(ts, ds, ".", markersize=2, color=colors[sid], label=f"{sid} (m)")
        if bad:
            ax.plot(bad, [0.0] * len(bad), "|", color=colors[sid], markersize=6, alpha=0.5)
    ax.set_ylabel("distance (m)\n| = no valid range")
    ax.set_ylim(bottom=-0.1)


def _ttc(ax, series, colors) -> None:
    for sid, points in series.items():
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], ".", markersize=2,
                    color=colors[sid], label=sid)
    ax.set_ylabel("time to contact (s)")
    ax.set_ylim(0.0, TTC_CEILING_S)
    if any(series.values()):
        ax.legend(loc="upper right", fontsize="small")


def _levels(ax, alerts, recording) -> None:
    t_end = max([r.t_s for _, r in recording.readings] + [a[0] for a in alerts] + [0.0])
    ts, ys = [0.0], [0]
    for t, level, _kind, _source in alerts:
        ts.append(t)
        ys.append(LEVELS.index(level) if level in LEVELS else 0)
    ts.append(t_end)
    ys.append(ys[-1])
    ax.step(ts, ys, where="post", color="black", linewidth=1.2)
    for i, name in enumerate(LEVELS):
        ax.axhspan(i - 0.5, i + 0.5, color=LEVEL_COLORS[name], alpha=0.15, linewidth=0)
    ax.set_yticks(range(len(LEVELS)), LEVELS)
    ax.set_ylim(-0.5, len(LEVELS) - 0.5)
    ax.set_ylabel("commanded")


def _hazards(ax, hazards, *, label: bool) -> None:
    for h in hazards:
        t0, t1 = h.get("t_detectable_s"), h.get("t_contact_s")
        if t0 is not None and t1 is not None:
            ax.axvspan(t0, t1, color="#e63946", alpha=0.08)
            if label:
                ax.annotate(f"{h['id']}: {h['outcome']}", (t0, 1.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -12), textcoords="offset points", fontsize="small")
        if t1 is not None:
            ax.axvline(t1, color="#e63946", linewidth=0.8)
        if h.get("t_first_warning_s") is not None:
            ax.axvline(h["t_first_warning_s"], color="#f4a261", linewidth=0.8, linestyle="--")


def plot_scenario(name_or_path, out_path, *, policy: str = "backsight") -> tuple[Path, dict]:
    """Run a scenario with a recorder, then plot it with its hazards; returns the file
    written and the ``sim --json`` object of the run."""
    from pi_app.record import read_recording
    from pi_app.sim.rig import record_scenario, scenario_config
    from pi_app.sim.scenario import load_scenario

    _pyplot()                      # fail before running anything
    scenario = load_scenario(name_or_path)
    with tempfile.TemporaryDirectory(prefix="backsight-plot-") as tmp:
        path = Path(tmp) / "run.rec"
        result = record_scenario(scenario, path, policy)
        recording = read_recording(path)
    s = result["summary"]
    title = (f"{scenario.name} ({policy}): {s['hit']} hit, {s['late']} late, "
             f"{s['missed']} missed, {result['false_alarms']} false alarms")
    return plot_recording(recording, out_path, hazards=result["hazards"], title=title,
                          cfg=scenario_config(scenario)), result

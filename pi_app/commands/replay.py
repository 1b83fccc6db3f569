"""``backsight replay FILE``: re-run the device loop on a recording and compare."""

from __future__ import annotations

import json
import sys


def configure_parser(p) -> None:
    p.add_argument("file", help="a recording made with `backsight run --record FILE`")
    p.add_argument("--policy", choices=("backsight", "naive"),
                   help="detectors to replay with (default: the recorded ones)")
    p.add_argument("--config", metavar="FILE", help="replay with these thresholds instead "
                   "of the recorded ones (the recorded sensors are kept)")
    p.add_argument("--json", action="store_true")


def run(args) -> int:
    from pi_app.config import load_config
    from pi_app.exc import ConfigError
    from pi_app.record import read_recording
    from pi_app.replay import differences, replay

    rec = read_recording(args.file)
    cfg = load_config(args.config) if args.config else None
    try:
        result = replay(rec, policy=args.policy, cfg=cfg)
    except ConfigError as exc:    # the recording's own config or its time span
        raise ConfigError(f"{args.file}: {exc}") from None
    policy = args.policy or rec.policy or "backsight"
    same_inputs = cfg is None and policy == (rec.policy or "backsight")
    diffs = differences(rec.alerts, result.alerts)
    alerts = [{"t_s": t, "level": s.level.label, "kind": s.kind, "source": s.source}
              for t, s in result.alerts]
    recorded = [{"t_s": t, "level": lvl, "kind": k, "source": src}
                for t, lvl, k, src in rec.alerts]
    if args.json:
        json.dump({"file": args.file, "format": rec.version, "policy": policy,
                   "config": args.config, "readings": len(rec.readings), "cycles": rec.cycles,
                   "skipped_lines": rec.skipped_lines, "identical": not diffs,
                   "differences": diffs, "divergences": result.divergences,
                   "alerts": alerts, "recorded_alerts": recorded}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{args.file}: {len(rec.readings)} readings from {', '.join(rec.sensor_ids) or '-'}"
          f", {len(rec.imu)} IMU samples, {rec.cycles} loop cycles, "
          f"{rec.skipped_lines} damaged lines skipped")
    if rec.version < 2:
        print("format 1 (no cycle times): the replay is approximate")
    what = f"policy {policy}" + (f", thresholds from {args.config}" if args.config else "")
    print(f"replayed alerts ({what}): {len(alerts)}; recorded: {len(recorded)}")
    for a in alerts:
        print(f"  {a['t_s']:8.3f}s  {a['level']:8} {a['kind'] or '':9} {a['source'] or ''}")
    if not diffs:
        print("identical to the recorded alerts")
    elif same_inputs and rec.version >= 2:
        print(f"differs from the recorded alerts ({len(diffs)}): the recording is damaged "
              f"or was made by another version of backsight")
        for line in diffs[:10]:
            print(f"  {line}")
    else:
        print(f"{len(diffs)} differences from the recorded alerts, e.g. {diffs[0]}")
    return 0

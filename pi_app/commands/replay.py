"""``backsight replay FILE``: re-run the detectors on a recording and compare."""

from __future__ import annotations

import json
import sys


def configure_parser(p) -> None:
    p.add_argument("file", help="a recording made with `backsight run --record FILE`")
    p.add_argument("--policy", choices=("backsight", "naive"), default="backsight")
    p.add_argument("--config", metavar="FILE", help="replay with these thresholds instead "
                   "of the recorded ones")
    p.add_argument("--json", action="store_true")


def run(args) -> int:
    from pi_app.config import load_config
    from pi_app.exc import ConfigError
    from pi_app.record import read_recording
    from pi_app.replay import replay

    rec = read_recording(args.file)
    cfg = load_config(args.config) if args.config else None
    try:
        loop = replay(rec, policy=args.policy, cfg=cfg)
    except ConfigError as exc:    # the recording's own config or its time span
        raise ConfigError(f"{args.file}: {exc}") from None
    alerts = [{"t_s": round(t, 4), "level": s.level.label, "kind": s.kind, "source": s.source}
              for t, s in loop.alerts]
    recorded = [{"t_s": t, "level": lvl, "kind": k, "source": src}
                for t, lvl, k, src in rec.alerts]
    if args.json:
        json.dump({"file": args.file, "policy": args.policy, "readings": len(rec.readings),
                   "skipped_lines": rec.skipped_lines, "alerts": alerts,
                   "recorded_alerts": recorded}, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{args.file}: {len(rec.readings)} readings from {', '.join(rec.sensor_ids) or '-'}"
          f", {len(rec.imu)} IMU samples, {rec.skipped_lines} damaged lines skipped")
    print(f"replayed alerts ({args.policy}): {len(alerts)}; recorded: {len(recorded)}")
    for a in alerts:
        print(f"  {a['t_s']:8.3f}s  {a['level']:8} {a['kind'] or '':9} {a['source'] or ''}")
    return 0

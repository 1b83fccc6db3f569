"""The device's own settings: loop and bus, sensor health, the outputs that tell the
runner, the posture and rest coaches, the serial console. Pure data: one ``Field`` per
key with its unit, default, allowed range and a one-line doc.
"""

from __future__ import annotations

from pi_app.config.board import STANDARD_BAUDRATES
from pi_app.config.fields import DIMENSIONLESS, RESTART, device_path_problem
from pi_app.config.fields import Field as F

DEVICE = (
    F("device.mode", str, "belt", doc="belt (hip belt, moving) or treadmill (handrail mount)",
      choices=("belt", "treadmill")),
    F("device.loop_period_s", float, 0.004, "s", "period of the polling loop", 0.002, 0.1),
)

I2C = (
    F("i2c.bus", int, 1, DIMENSIONLESS, "I2C bus number (/dev/i2c-N)", 0, 31, applies=RESTART),
)

HEALTH = (
    F("health.stale_after_s", float, 0.2, "s", "a sensor with no valid reading for this long is in fault", 0.05, 5.0),
    F("health.blind_after_s", float, 0.5, "s", "a ground sensor with no valid range this long cannot see the ground", 0.05, 10.0),
    F("health.stuck_samples", int, 30, DIMENSIONLESS, "identical distances in a row that mean a stuck sensor (noise makes it near impossible for a live one)", 5, 10000),
    F("health.fault_signal_s", float, 0.25, "s", "the fault pattern starts within this", 0.05, 5.0),
    F("health.probe_period_s", float, 0.05, "s",
      "a sensor that does not answer is probed this often (one I2C address probe, about "
      "0.1 ms of bus time); it is re-initialised as soon as it answers", 0.01, 5.0),
    F("health.retry_backoff_s", float, 0.1, "s", "first wait before re-initialising again a sensor that answered but failed to start", 0.05, 30.0),
    F("health.retry_backoff_max_s", float, 0.8, "s", "longest wait between re-initialisations that fail (it starts again from retry_backoff_s once anything on the bus answers)", 0.1, 120.0),
    F("health.implausible_samples", int, 2, DIMENSIONLESS,
      "results no healthy chip gives, in a row, before they can be a fault (one stray value "
      "between good ones is a glitch)", 1, 1000),
)

ALERT = (
    F("alert.output", str, "both", doc="what tells the runner", choices=("buzzer", "haptic", "both")),
    F("alert.buzzer_pin", int, 18, "BCM", "GPIO of the buzzer", 0, 27),
    F("alert.tonal", bool, False, doc="drive a passive buzzer with TonalBuzzer pitches"),
    F("alert.volume", float, 1.0, DIMENSIONLESS, "buzzer duty (0..1, PWM buzzers only)", 0.0, 1.0),
    F("alert.haptic", str, "pwm",
      doc="driver of the left (or only) vibration motor: a transistor on alert.motor_pin (pwm), "
          "a DRV2605L on the I2C bus, or none (no motor at all, the right one included)",
      choices=("pwm", "drv2605", "none")),
    F("alert.motor_pin", int, 13, "BCM",
      "GPIO of the left hip's PWM vibration motor transistor (the only motor when "
      "alert.motor_right_pin = -1; unused with alert.haptic = drv2605)", 0, 27),
    F("alert.motor_right_pin", int, 12, "BCM",
      "GPIO of the right hip's PWM vibration motor transistor, -1 = no second motor (a single "
      "motor and the buzzer tell an obstacle's side by rhythm; two motors also by which hip "
      "buzzes)", -1, 27),
    F("alert.actuator", str, "erm", doc="DRV2605 actuator: erm (coin/pager motor) or lra", choices=("erm", "lra")),
    F("alert.steady_mute_s", float, 3.0, "s", "a steady obstacle that is not closing goes quiet after this", 0.5, 60.0),
    F("alert.steady_gap_s", float, 0.1, "s",
      "a steady obstacle not reported for this long starts its quiet time afresh", 0.01, 2.0),
    F("alert.button_pin", int, -1, "BCM", "mute/profile button GPIO, -1 = none", -1, 27),
    F("alert.mute_s", float, 10.0, "s", "a short button press mutes this long (never DANGER)", 1.0, 120.0),
)

POSTURE = (
    F("posture.enabled", bool, True, doc="nudge when the trunk leans forward too long (belt mode)"),
    F("posture.max_pitch_deg", float, 20.0, "deg", "forward lean above this counts as bent over", 5.0, 60.0),
    F("posture.hold_s", float, 5.0, "s", "leaning this long gives a nudge", 1.0, 120.0),
    F("posture.repeat_s", float, 20.0, "s", "while still leaning, nudge again at most this often", 5.0, 600.0),
    F("posture.smoothing_s", float, 1.0, "s",
      "the lean is averaged over this long (cuts the stride's few-degree swing to ~6 %)",
      0.1, 10.0),
    F("posture.hysteresis_deg", float, 2.0, "deg",
      "once timed, a lean ends only when the average is this far below max_pitch_deg", 0.0, 20.0),
)

REST = (
    F("rest.enabled", bool, False, doc="remind to rest in long runs"),
    F("rest.interval_min", float, 50.0, "min", "running time before a rest reminder", 5.0, 240.0),
    F("rest.pause_min", float, 5.0, "min", "a stop this long counts as a rest and restarts the running time", 0.5, 60.0),
)

SERIAL = (
    F("serial.port", str, "/dev/serial0", doc="console port (a pyserial URL only with backsight run --serial-port)",
      applies=RESTART, check_text=device_path_problem),
    F("serial.baudrate", int, 115200, "baud", "console speed", choices=STANDARD_BAUDRATES,
      applies=RESTART),
    F("serial.stream_period_s", float, 0.2, "s", "shortest time between two telemetry lines", 0.02, 10.0),
)

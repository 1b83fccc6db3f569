"""The detectors' settings: what makes an obstacle, a surface hazard and a treadmill
drift worth a warning, how each detector filters its readings, and how the belt's IMU
turns into trunk pitch. Pure data: one
``Field`` per key with its unit, default, allowed range and a one-line doc.
"""

from __future__ import annotations

from pi_app.config.fields import DIMENSIONLESS
from pi_app.config.fields import Field as F

OBSTACLE = (
    F("obstacle.caution_ttc_s", float, 4.0, "s", "CAUTION when time to contact falls to this", 0.5, 15.0),
    F("obstacle.warning_ttc_s", float, 2.5, "s", "WARNING when time to contact falls to this", 0.3, 10.0),
    F("obstacle.danger_ttc_s", float, 1.2, "s", "DANGER when time to contact falls to this", 0.1, 5.0),
    F("obstacle.caution_distance_m", float, 1.5, "m", "CAUTION when nearer than this, even if not closing", 0.1, 8.0),
    F("obstacle.warning_distance_m", float, 0.9, "m", "WARNING when nearer than this, even if not closing", 0.1, 8.0),
    F("obstacle.danger_distance_m", float, 0.5, "m", "DANGER when nearer than this", 0.05, 5.0),
    F("obstacle.min_closing_speed_mps", float, 0.4, "m/s", "closing speeds below this are noise, not approach", 0.0, 5.0),
    F("obstacle.speed_window_s", float, 0.3, "s", "span of recent samples used for the closing speed", 0.05, 2.0),
    F("obstacle.speed_window_periods", int, 6, DIMENSIONLESS,
      "the closing-speed window spans at least this many of its sensor's sample periods, so a "
      "slow sensor's speed rests on as many echoes as a fast one's (a 10 Hz ultrasound that hears "
      "the ground between two echoes of its target keeps a third of them); DANGER waits until the "
      "samples span half of it", 2, 30),
    F("obstacle.range_noise_m", float, 0.03, "m", "range noise near the sensor's limit (sets how far a fresh closing speed is trusted)", 0.0, 0.5),
    F("obstacle.max_step_m", float, 0.4, "m", "a jump larger than this between samples needs confirmation", 0.05, 5.0),
    F("obstacle.confirm_samples", int, 2, DIMENSIONLESS, "agreeing samples needed to accept a jump", 1, 10),
    F("obstacle.near_birth_m", float, 0.6, "m",
      "a target first seen nearer than this (hands, arms) must persist near_confirm_s; so must "
      "a reading this near that would extend a track unseen for longer than near_confirm_s (or "
      "two of a slow sensor's sample periods): hands cross the beam there at every step", 0.0, 2.0),
    F("obstacle.near_confirm_s", float, 0.12, "s", "persistence needed for a target that appears near without approach history", 0.0, 1.0),
    F("obstacle.first_sight_speed_mps", float, 1.5, "m/s", "while running (IMU bounce), a new target's first reading warns if the runner alone (at least this fast: a jog) reaches it within warning_ttc_s; 0 = wait for a second reading", 0.0, 5.0),
    F("obstacle.slowing_tau_s", float, 1.5, "s",
      "time constant over which the IMU's acceleration along the path sums to the speed the "
      "runner has just lost; that much is taken off first_sight_speed_mps (a runner braking "
      "to a stop no longer closes at a jog)", 0.2, 10.0),
    F("obstacle.slowing_min_mps", float, 0.25, "m/s",
      "the runner counts as slowing once they have lost this much speed (see slowing_tau_s); "
      "while slowing or not running, a young track must earn a closing speed beyond the "
      "runner's own", 0.05, 3.0),
    F("obstacle.evidence_sigmas", float, 2.0, DIMENSIONLESS,
      "... and its samples prove a closing speed when it is this many sigmas below their "
      "estimate (one sigma is crossed by chance one time in six)", 0.0, 5.0),
    F("obstacle.earned_sigma_mps", float, 0.15, "m/s",
      "a track's closing speed counts as measured once its one-sigma uncertainty (range_noise_m "
      "over the samples' time spread) is below this; until then, while the runner slows or "
      "walks, it is judged faster than its samples prove only up to the runner's own closing "
      "speed on a static object", 0.05, 2.0),
    F("obstacle.track_timeout_s", float, 0.3, "s", "a track with no agreeing reading for this long is dropped", 0.05, 3.0),
    F("obstacle.ground_margin_deg", float, 0.5, "deg", "readings at least as far as the ground would be with the beam this much steeper are the ground", 0.0, 10.0),
    F("obstacle.ground_band_deg", float, 1.5, "deg",
      "a reading the ground would give with the beam up to this much steeper than ground_margin_deg "
      "allows (a wide beam's grazing ground echo, with the pitch and bounce estimates' error) may "
      "extend a followed target or corroborate a new one, but a new one needs a reading nearer "
      "than that: a thing standing there is found as it comes nearer, the ground stays at its "
      "range", 0.0, 10.0),
    F("obstacle.grade_margin", float, 0.02, DIMENSIONLESS,
      "a reading the ground could give at the beam's lower edge if it climbed behind at the "
      "grade the ground sensor measures plus this (its error, and the grade changing between "
      "the ground sensor's spot and the beam's) may extend or corroborate a target but not "
      "found one: a level beam low on the belt meets an 8 % climb 3 m back", 0.0, 0.3),
    F("obstacle.max_grade", float, 0.08, DIMENSIONLESS,
      "until the ground sensor has measured a grade (a kit without one assumes none), the ground "
      "may climb from the runner's feet at up to this (rise per metre; the device is "
      "specified for grades up to 8 %): a reading as far as the beam's lower edge meets "
      "that climb may be the ground and founds no target (a runner may switch on at a "
      "climb's foot, which the level beam meets before the ground sensor can measure it)",
      0.0, 0.3),
    F("obstacle.hold_s", float, 0.5, "s", "a level is held at least this long before it may drop", 0.0, 5.0),
    F("obstacle.timeout_periods", int, 4, DIMENSIONLESS,
      "a track lasts at least this many of its sensor's sample periods without an agreeing reading "
      "(a 10 Hz ultrasound hears the ground between two echoes of its target)", 1, 20),
    F("obstacle.max_closing_speed_mps", float, 12.0, "m/s",
      "fastest plausible closing speed (a sprinter at 7.3 m/s and an oncoming walker); "
      "faster estimates are clipped to it", 8.0, 40.0),
    F("obstacle.max_birth_speed_mps", float, 10.0, "m/s",
      "a new target whose first two readings imply a faster approach needs a third "
      "(more likely two things, e.g. the ground at two pitch angles)", 2.0, 40.0),
    F("obstacle.max_birth_opening_mps", float, 2.0, "m/s",
      "... or whose first two readings imply it moves away faster than this", 0.5, 20.0),
    F("obstacle.birth_noise_m", float, 0.15, "m",
      "a new target is founded on its newest candidate readings that follow each other within "
      "max_birth_speed_mps / max_birth_opening_mps plus this much range noise; older ones are "
      "other things (a slow sensor chains the ground at another pitch angle to a real echo)",
      0.0, 2.0),
    F("obstacle.braking_tau_s", float, 0.35, "s",
      "time constant of each of the two low-passes that find the deceleration the runner "
      "holds now from the IMU's acceleration along the path (a stride's push and landing "
      "at ~2.8 Hz are attenuated ~40 times; braking that ends falls to a tenth within 4 of "
      "these); the braking credited is the lesser of this and the sustained one "
      "(slowing_tau_s)", 0.1, 2.0),
    F("obstacle.braking_margin_mps2", float, 0.15, "m/s^2",
      "taken off the IMU's braking before time to contact assumes the runner keeps "
      "braking (a 0.9 deg error of the pitch it is measured along lets 0.15 m/s^2 of "
      "gravity through); of the closing speed only the runner's least own speed "
      "(first_sight_speed_mps less what they have lost) slows, and only once measured to "
      "earned_sigma_mps. Less margin trusts the IMU more; more warns runners who stop "
      "short (slowing-stop-2m-short, 12 seeds: none up to 0.2, 3 at 0.3, all at 3)",
      0.0, 3.0),
    F("obstacle.braking_pitch_tau_s", float, 4.0, "s",
      "the runner's braking is measured along a pitch that follows the gyro and is pulled "
      "toward the IMU tracker's pitch this slowly, so that a braking of a few seconds is not "
      "taken for leaning back (the tracker takes it so within ~imu.tau_s); none is credited "
      "until the tracker has held its pitch this long after finding down (a push while it "
      "settled leaves an error). A gyro bias leaves bias times this of pitch error", 1.0, 60.0),
    # --- the corridor: two level chips yawed apart (pi_app/detect/corridor.py) -----------
    F("obstacle.corridor_half_width_m", float, 0.35, "m",
      "half the width the runner needs: a target proven to keep its nearest edge at least "
      "this far beside the path's centre line passes them, and is no hazard (half the body "
      "with swinging arms, 0.25 m, plus 0.1 m for a stride's sideways wander)", 0.0, 2.0),
    F("obstacle.corridor_match_m", float, 0.3, "m",
      "the other chip sees the same target when it reads something no further than this "
      "beyond it (allowing for how far the target came since that reading); then it may "
      "be in the way, and its side is centre", 0.05, 2.0),
    F("obstacle.corridor_edge_margin_deg", float, 1.0, "deg",
      "a target must reach this far inside a chip's cone edge for that chip to see it "
      "(the illumination fades at the edge): 'the other chip does not see it' proves this "
      "much less of its bearing", 0.0, 10.0),
    F("obstacle.corridor_cross_mps", float, 0.5, "m/s",
      "a target's proven offset from the line is carried over, shrinking this fast, while "
      "the belt's sway narrows the overlap wedge (half of each stride): a person drifting "
      "toward the path. A faster crosser is hazard again as soon as both chips see it "
      "(the sway sweeps the wedge's edge over +-(13.5 - yaw + sway) deg each stride)",
      0.0, 20.0),
    F("obstacle.corridor_turn_dps", float, 10.0, "deg/s",
      "while the belt's mean yaw rate (the IMU's gyro z over corridor_yaw_tau_s) exceeds "
      "this the runner is turning: the path behind curves, nothing is excluded", 1.0, 90.0),
    F("obstacle.corridor_yaw_tau_s", float, 1.5, "s",
      "the belt's yaw sway is the gyro's z rate integrated and high-passed over this (several "
      "strides: the sway's own swing passes, a turn's heading does not stay)", 0.3, 10.0),
    F("obstacle.corridor_yaw_error_deg", float, 1.0, "deg",
      "what the integrated sway may be off by (gyro noise and bias over corridor_yaw_tau_s, "
      "the chip's tilt with the trunk's pitch); taken off the bearing a chip's silence proves",
      0.0, 10.0),
    F("obstacle.corridor_sway_deg", float, 6.0, "deg",
      "the belt's yaw sway assumed while no settled IMU measures it (pelvis rotation in "
      "running: docs/bearing.md); taken off the bearing a chip's silence proves", 0.0, 20.0),
)

SURFACE = (
    F("surface.drop_m", float, 0.05, "m", "warn for a hole/kerb at least this deep", 0.02, 0.5),
    F("surface.rise_m", float, 0.05, "m", "warn for a root/kerb at least this high", 0.02, 0.5),
    F("surface.occlusion_m", float, 0.3, "m", "a ground reading this much too near is something in the beam (a hand), not the ground", 0.1, 2.0),
    F("surface.blocked_confirm_s", float, 0.12, "s", "a ground reading occlusion_m too near for this long is something in the way (a bench, a low wall), not a hand: warn", 0.03, 2.0),
    F("surface.confirm_s", float, 0.05, "s", "or: two deviating samples this far apart confirm (slow sensors)", 0.0, 1.0),
    F("surface.confirm_samples", int, 3, DIMENSIONLESS, "consecutive deviating samples before a warning", 1, 20),
    F("surface.single_sample_period_s", float, 0.02, "s", "a sensor sampling this slowly sees a short root once: one sample may confirm (see single_sample_sigmas)", 0.0, 1.0),
    F("surface.single_sample_sigmas", float, 6.0, DIMENSIONLESS, "one sample of a slow sensor confirms when this many RMS residuals of the learned ground past it (and past the threshold); 0 = never", 0.0, 50.0),
    F("surface.pair_sigmas", float, 5.0, DIMENSIONLESS, "two samples in a row confirm when each is past the threshold and this many RMS residuals of the learned ground; 0 = never", 0.0, 50.0),
    F("surface.baseline_tau_s", float, 0.2, "s", "time constant of the learned ground (its level and how it changes with time and with the spot's reach)", 0.02, 10.0),
    F("surface.relearn_after_s", float, 1.5, "s", "a deviation lasting this long is a new ground level", 0.2, 10.0),
    F("surface.hold_s", float, 0.6, "s", "a surface warning is held at least this long", 0.0, 5.0),
    F("surface.learn_samples", int, 5, DIMENSIONLESS,
      "the first ground level is the median of at least this many readings ...", 1, 50),
    F("surface.learn_s", float, 0.2, "s",
      "... spanning at least this long (a hand flicking through the beam, ~30 ms, is outvoted)",
      0.0, 2.0),
    F("surface.fit_samples", int, 12, DIMENSIONLESS,
      "the learned ground spans at least this many samples (a slow sensor's, longer than "
      "baseline_tau_s)", 1, 100),
    F("surface.fit_min_weight", float, 3.0, DIMENSIONLESS,
      "samples' worth of weight the learned ground needs before it predicts "
      "(a 30 Hz sensor holds ~6.6 at baseline_tau_s = 0.2 s)", 1.0, 30.0),
    F("surface.fit_ridge_s", float, 0.05, "s",
      "the learned ground's change with time is pulled toward none as if its samples spanned "
      "this long more", 0.005, 1.0),
    F("surface.fit_ridge_reach_m", float, 0.05, "m",
      "... and its change with the spot's reach as if the spot swept this much more", 0.005, 1.0),
    F("surface.slow_persist_s", float, 0.05, "s",
      "a residual between half the threshold and the threshold is fully learned once such "
      "residuals last this long (a bias or a grade; a root's face is crossed faster)", 0.005, 1.0),
    F("surface.support_share", float, 1.0, DIMENSIONLESS,
      "share of drop_m / rise_m a sample must reach to keep a streak going", 0.5, 1.0),
    F("surface.validity_tau_s", float, 0.5, "s",
      "time constant of the share of readings that return a distance", 0.05, 5.0),
    F("surface.strict_validity", float, 0.7, DIMENSIONLESS,
      "a sensor returning the ground less than this share of the time (near its range limit, "
      "in sun) counts only deviations of twice the threshold", 0.1, 1.0),
    F("surface.sparse_learn_s", float, 0.8, "s",
      "a sensor returning the ground less than strict_validity of the time (in sun the TF-Luna "
      "reports only the stride's steep-beam phases; its valid readings are accurate) learns the "
      "ground's level from readings spanning at least this long: two steps at 150 steps/min, "
      "whose returns must agree (something approaching, an obstacle's face, changes its height "
      "across it and is not learned); meanwhile it judges against the mounted height", 0.2, 5.0),
    F("surface.noise_tau_s", float, 2.0, "s",
      "time constant of the RMS of the learned ground's residuals", 0.1, 30.0),
    F("surface.noise_learn_s", float, 1.0, "s",
      "ordinary ground seen this long before single_sample_sigmas or pair_sigmas may confirm",
      0.0, 30.0),
    F("surface.relearn_share", float, 0.3, DIMENSIONLESS,
      "fewer readings than this share matching the learned ground lately means it is wrong: "
      "learn it again (the share falls to it in relearn_after_s)", 0.05, 0.9),
    F("surface.beyond_validity", float, 0.9, DIMENSIONLESS,
      "a 'nothing within range' reading is a drop only from a sensor that returned a distance "
      "at least this share of the time", 0.5, 1.0),
    F("surface.step_memory_s", float, 0.8, "s",
      "a step (two residuals in a row past the threshold) stays in view this long after its "
      "last such residual: the readings beyond its near edge stay out of the learned ground "
      "and the ground is not relearned (its face and far level are a new level the runner "
      "is not on yet, not a bias); longer than a step at 120 steps/min, so the stride's "
      "sweep comes back to it",
      0.1, 5.0),
    F("surface.step_margin_m", float, 0.15, "m",
      "a step's face spans this much reach either side of its near edge (5 cm up a face "
      "seen 20-30 deg down is 0.1 m of reach): nearer than the edge less this is the "
      "runner's level, farther than the edge plus this the step's far level",
      0.0, 1.0),
    F("surface.hold_reach_m", float, 0.12, "m",
      "a deviation seen again, a stride later, no nearer than this less than where it was seen "
      "holds its distance: it does not approach the runner and is not warned", 0.03, 1.0),
    F("surface.approach_speed_mps", float, 1.0, "m/s",
      "the slowest backward run that brings a ground feature nearer: seen again after "
      "hold_reach_m / this, a feature that approaches is hold_reach_m nearer; and a step in "
      "view keeps the ground from being relearned until a runner this slow would be on it",
      0.2, 5.0),
    F("surface.hold_window_s", float, 1.2, "s",
      "a deviation is compared with the last one of its sign seen at most this long before "
      "(a stride at 60 steps/min, with its pauses)", 0.2, 5.0),
    F("surface.first_look_s", float, 0.5, "s",
      "for this long after the ground sensor's sweep is first watched, a deviation waits for "
      "its next sighting (no stride's sweep seen before it to compare with; a step lasts at "
      "most 0.4 s at 150 steps/min); longer would let a fast runner pass a first hazard",
      0.0, 5.0),
    F("surface.bend_grade", float, 0.12, DIMENSIONLESS,
      "a grade change bends the ground, it does not step it: a bend's residual moves by at "
      "most this per metre of ground the spot passed (the sweep's change of reach and the "
      "runner's travel, bend_speed_mps) plus bend_sigmas RMS residuals; such a reading is the "
      "ground, followed and never warned. A change of grade g seen b below horizontal bends "
      "it by g / (1 - g / tan b): 0.11 for 8 % from or to level at 16 deg (the default mount "
      "at a 10 deg lean). A face the sweep climbs grows by tan b, 0.29-0.55: a root or kerb "
      "up outgrows a bend. A crest from 8 % up to 8 % down bends as fast as a face: its far "
      "side may be warned. 0 = off",
      0.0, 1.0),
    F("surface.bend_speed_mps", float, 5.0, "m/s",
      "the fastest backward run (record pace 4.5 m/s, and margin): between two readings a "
      "bend may have passed this far times their interval under the runner and the spot, "
      "besides the sweep's change of reach (crossing a grade's start, the residual changes "
      "at every reach at once)", 0.0, 10.0),
    F("surface.bend_sigmas", float, 3.0, DIMENSIONLESS,
      "RMS residuals of the learned ground a bend's reading may move by besides its grade's "
      "share (one reading's noise against a few smoothed); a step's edge jumps by its height",
      0.0, 20.0),
    F("surface.bend_gap_s", float, 0.05, "s",
      "readings further apart than this are not followed as one bend (sun dropouts: the "
      "runner has moved on); a slower sensor never follows a bend",
      0.0, 0.5),
    F("surface.learn_offset_max_m", float, 0.3, "m",
      "a ground level learned this far from the sensor's mounted height is not the level the "
      "runner stands on (a grade of 8 % reads at most 0.24 m off 3 m back): a staircase or a "
      "bank in view, which in bright sun is what first comes into range; it is not learned",
      0.05, 2.0),
)

DECK = (
    F("deck.deck_length_m", float, 1.5, "m", "treadmill deck length from the console end", 0.8, 3.0),
    F("deck.console_warning_m", float, 0.45, "m", "WARNING when the runner's back is nearer the console than this", 0.2, 1.5),
    F("deck.console_danger_m", float, 0.3, "m", "DANGER when nearer the console than this", 0.1, 1.0),
    F("deck.rear_warning_m", float, 0.45, "m", "WARNING when nearer the deck's rear edge than this", 0.1, 1.5),
    F("deck.rear_danger_m", float, 0.3, "m", "DANGER when nearer the rear edge than this", 0.05, 1.0),
    F("deck.warning_ttc_s", float, 2.5, "s", "WARNING when a drift would reach the console/rear contact line within this", 0.3, 10.0),
    F("deck.danger_ttc_s", float, 1.2, "s", "DANGER when a drift would reach a contact line within this", 0.1, 5.0),
    F("deck.contact_margin_m", float, 0.2, "m", "distance from the console / rear edge that counts as contact", 0.05, 0.5),
    F("deck.min_drift_mps", float, 0.08, "m/s", "drifts slower than this are ordinary wandering", 0.0, 1.0),
    F("deck.hold_s", float, 0.5, "s", "a deck warning is held at least this long", 0.0, 5.0),
    F("deck.lost_after_s", float, 0.3, "s", "no sight of the runner for this long = left the deck", 0.05, 3.0),
    F("deck.smoothing_s", float, 0.6, "s", "while no step period is seen: window of the least-squares line that judges drift", 0.1, 3.0),
    F("deck.drift_window_s", float, 0.15, "s", "the drift is how far the sway-free (one-step mean) position moved in this long", 0.04, 0.6),
    F("deck.drift_noise_mps", float, 0.01, "m/s", "a noisy sensor's drift window grows until the drift's noise is below this", 0.002, 0.1),
    F("deck.max_drift_window_s", float, 0.6, "s",
      "the longest window a noisy sensor's drift is read over (never shorter than "
      "drift_window_s)", 0.04, 1.5),
    F("deck.off_deck_margin_m", float, 0.15, "m",
      "a back seen this far past the rear edge is off the deck (the room behind it)", 0.0, 1.0),
    F("deck.min_span_share", float, 0.8, DIMENSIONLESS,
      "while no step period is seen: share of smoothing_s the readings must span before a drift "
      "is judged", 0.3, 1.0),
    F("deck.period_window_s", float, 3.5, "s",
      "the step period is measured from the autocorrelation of this much of the sway", 1.5, 4.0),
    F("deck.detrend_s", float, 1.0, "s",
      "before the autocorrelation the mean over this long is taken out (a drift is not a "
      "period)", 0.2, 3.0),
    F("deck.period_every_s", float, 0.5, "s", "the step period is measured this often", 0.1, 5.0),
    F("deck.period_median_of", int, 5, DIMENSIONLESS,
      "the step period is the median of this many last measured", 1, 15),
    F("deck.min_correlation", float, 0.3, DIMENSIONLESS,
      "an autocorrelation peak below this is no step period", 0.05, 0.95),
    F("deck.near_best_share", float, 0.85, DIMENSIONLESS,
      "the shortest lag whose peak reaches this share of the best is the step period (the best "
      "may be a multiple of it)", 0.5, 1.0),
    F("deck.max_gap_s", float, 0.3, "s",
      "longer than this without a reading, the sway is followed afresh", 0.04, 2.0),
)

IMU = (
    F("imu.settle_s", float, 1.0, "s",
      "after power-on or a re-initialisation, the pitch is found from this long of samples "
      "(about two strides, whose own accelerations average out) before any detector uses it",
      0.0, 10.0),
    F("imu.settle_agree_deg", float, 1.0, "deg",
      "the settle window's two halves must agree on the starting pitch within this, plus what "
      "the stride's own push and braking can leave in a half-window mean, else it starts "
      "afresh: a hard start (2.2 m/s2 reads as a 13 deg lean the gyro never saw turn) is not "
      "taken for down", 0.2, 30.0),
    F("imu.recheck_deg", float, 2.0, "deg",
      "while the ground sensor finds no level at the IMU's pitch, two steady settle_s windows "
      "(no push within them) that agree on a pitch more than this off the filter's move it "
      "there at once, and the ground is learned again: a push the settle window took for a "
      "lean would take the filter ten seconds to shed at a run's trust in the accelerometer; "
      "0 = never", 0.0, 30.0),
    F("imu.tau_s", float, 0.5, "s",
      "time constant with which the accelerometer's gravity corrects the gyro's trunk pitch",
      0.05, 10.0),
    F("imu.accel_trust_g", float, 0.3, "g",
      "felt acceleration this far from 1 g (a stride's flight and landing): the accelerometer "
      "is ignored", 0.05, 1.0),
    F("imu.stale_periods", int, 3, DIMENSIONLESS,
      "samples missed (bus errors) before the trunk pitch is not trusted", 1, 50),
    F("imu.running_bounce_m", float, 0.01, "m",
      "the one rule for 'running' (first-sight warnings, rest reminders): the stride's bounce "
      "peak at least this (no IMU = never running)", 0.0, 0.2),
    F("imu.bounce_peak_tau_s", float, 2.0, "s",
      "the bounce peak fades with this time constant; every step (~0.35 s) renews it", 0.1, 30.0),
)

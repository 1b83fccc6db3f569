"""The paced clock: simulated time that follows the wall clock."""

import time

from pi_app.clock import PacedClock


def test_rebase_drops_the_wall_time_spent_setting_up():
    clock = PacedClock(speed=20.0, start_s=5.0)
    time.sleep(0.05)                        # set-up: 1 s of simulated time at 20x
    assert clock.now_s() >= 6.0
    clock.rebase()
    assert 5.0 <= clock.now_s() < 6.0       # the runner starts where the scenario does
    clock.rebase(7.0)
    assert clock.now_s() >= 7.0

"""MuteButton on a MockFactory pin; press durations measured on a SimClock.

The button is wired to GND with the internal pull-up: pressed = pin driven low."""

import threading

import pytest
from gpiozero.pins.mock import MockFactory

from pi_app.alert.button import MuteButton
from pi_app.clock import SimClock
from pi_app.config import Config
from pi_app.exc import OutputError


@pytest.fixture
def rig():
    clock = SimClock(100.0)
    factory = MockFactory()
    button = MuteButton(26, clock=clock, pin_factory=factory, mute_s=10.0)
    yield clock, factory.pin(26), button
    button.close()


def press(clock, pin, held_s):
    pin.drive_low()
    clock.advance(held_s)
    pin.drive_high()


def test_a_short_press_mutes_for_mute_s(rig):
    clock, pin, button = rig
    assert not button.muted(100.0)
    press(clock, pin, 0.2)                                   # released at 100.2
    assert button.muted(100.2) and button.muted(110.19)
    assert not button.muted(110.2)
    assert button.mute_remaining_s(105.2) == pytest.approx(5.0)
    assert button.short_presses == 1 and button.profile_requests == 0


def test_a_second_short_press_unmutes(rig):
    clock, pin, button = rig
    press(clock, pin, 0.2)
    clock.advance(3.0)
    press(clock, pin, 0.2)
    assert not button.muted(clock.now_s())


def test_a_long_press_requests_a_profile_switch_and_does_not_mute(rig):
    clock, pin, button = rig
    pin.drive_low()
    clock.advance(1.0)
    assert button.pressed
    clock.advance(1.0)
    assert button.profile_requests == 0                      # counted when released
    pin.drive_high()
    assert button.profile_requests == 1
    assert not button.muted(clock.now_s())


def test_contact_bounce_counts_as_one_press(rig):
    clock, pin, button = rig
    for _ in range(4):                                       # 2 ms chatter on contact
        pin.drive_low()
        clock.advance(0.002)
        pin.drive_high()
        clock.advance(0.002)
    press(clock, pin, 0.25)
    for _ in range(3):                                       # and on release
        clock.advance(0.002)
        press(clock, pin, 0.002)
    assert button.short_presses == 1 and button.muted(clock.now_s())


def test_presses_from_another_thread(rig):
    clock, pin, button = rig
    worker = threading.Thread(target=press, args=(clock, pin, 0.3))
    worker.start()
    worker.join(timeout=5.0)
    assert not worker.is_alive()
    assert button.muted(clock.now_s())


def test_from_config_and_configure():
    cfg = Config.defaults()
    assert MuteButton.from_config(cfg, clock=SimClock(), pin_factory=MockFactory()) is None
    cfg = cfg.with_value("alert.button_pin", 5).with_value("alert.mute_s", 20.0)
    with MuteButton.from_config(cfg, clock=SimClock(), pin_factory=MockFactory()) as button:
        assert button.mute_s == 20.0 and button.pin_number == 5
        button.configure(cfg.with_value("alert.mute_s", 30.0))
        assert button.mute_s == 30.0
    assert button.closed
    button.close()                                           # idempotent


def test_bad_pin_and_bad_timing_are_clear_errors():
    factory = MockFactory()
    first = MuteButton(6, clock=SimClock(), pin_factory=factory)
    with pytest.raises(OutputError, match="GPIO6"):
        MuteButton(6, clock=SimClock(), pin_factory=factory)
    first.close()
    with pytest.raises(ValueError, match="long_press_s"):
        MuteButton(7, clock=SimClock(), pin_factory=factory, debounce_s=2.0)

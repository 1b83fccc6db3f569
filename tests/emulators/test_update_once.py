"""RegisterDevice advances a chip to the bus time once per instant: the index write and
the read of one register read call ``update`` once, and a register written in between
makes the next transaction update again (a chip woken or started at this instant)."""

import pytest

from pi_app.clock import SimClock
from pi_app.sim.devices import MPU6050Device, RegisterDevice, TFLunaDevice
from pi_app.sim.simbus import SimBus


class Counting(RegisterDevice):
    DEFAULT_ADDRESS = 0x40

    def __init__(self):
        self.updates = []
        super().__init__()

    def update(self, now_s):
        self.updates.append(now_s)


def test_a_register_read_updates_once_per_instant():
    clock = SimClock(1.0)
    bus = SimBus(clock)
    dev = bus.attach(Counting())
    bus.read_byte_data(0x40, 0x10)
    bus.read_i2c_block_data(0x40, 0x20, 4)
    assert dev.updates == [1.0]
    clock.advance(0.004)
    bus.read_byte_data(0x40, 0x10)
    assert dev.updates == [1.0, 1.004]


def test_a_register_write_makes_the_next_transaction_update_again():
    clock = SimClock(1.0)
    bus = SimBus(clock)
    dev = bus.attach(Counting())
    bus.read_byte_data(0x40, 0x10)
    bus.write_byte_data(0x40, 0x11, 0x01)        # already up to date: just the write
    assert dev.updates == [1.0]
    bus.read_byte_data(0x40, 0x10)               # the write may have changed what is due
    assert dev.updates == [1.0, 1.0]


def test_a_chip_woken_at_this_instant_has_its_sample_at_once():
    clock = SimClock(1.0)
    bus = SimBus(clock)
    bus.attach(MPU6050Device(motion_source=lambda t_s: ((0.0, 0.0, 1.0), (0.0, 0.0, 0.0))))
    assert bus.read_i2c_block_data(0x68, 0x3B, 6) == [0] * 6    # asleep: data reads 0
    bus.write_byte_data(0x68, 0x6B, 0x00)                        # wake, same instant
    az = bus.read_i2c_block_data(0x68, 0x3B, 6)[4:6]
    assert az[0] << 8 | az[1] == pytest.approx(16384, abs=1000)  # 1 g (+-2 g scale), noisy


def test_a_tfluna_nacks_while_it_boots_then_answers():
    clock = SimClock(1.0)
    bus = SimBus(clock)
    luna = bus.attach(TFLunaDevice())
    luna.power_off()
    luna.power_on()                               # boots for BOOT_TIME_S from now
    with pytest.raises(OSError):
        bus.read_byte_data(0x10, 0x3C)
    clock.advance(0.1)
    assert bus.read_byte_data(0x10, 0x3C) == ord("L")


def test_one_byte_reads_go_through_read_register_when_every_register_is_computed():
    class Echo(RegisterDevice):            # overrides read_register, lists nothing
        DEFAULT_ADDRESS = 0x41

        def read_register(self, register):
            return (register + 1) & 0xFF

    bus = SimBus(SimClock())
    echo = bus.attach(Echo())
    assert bus.read_byte_data(0x41, 0x10) == 0x11
    assert echo.index == 0x11

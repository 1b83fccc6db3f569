"""SimBus wire semantics: each smbus2 call is the I2C transactions it puts on the wire,
answered by a plain register-file chip, as smbus2's own tests answer from a fake
register file."""

import errno

import pytest
from smbus2 import i2c_msg

from pi_app.sim.devices import RegisterDevice
from pi_app.sim.simbus import SimBus


class Chip(RegisterDevice):
    """An 8-bit-register chip at 0x40 that logs every transaction."""

    DEFAULT_ADDRESS = 0x40

    def __init__(self):
        super().__init__()
        self.log = []

    def i2c_write(self, address, data):
        self.log.append(("w", bytes(data)))
        super().i2c_write(address, data)

    def i2c_read(self, address, length):
        self.log.append(("r", length))
        return super().i2c_read(address, length)


@pytest.fixture
def chip(bus):
    return bus.attach(Chip())


def test_byte_data_is_index_write_then_read(bus, chip):
    bus.write_byte_data(0x40, 0x10, 0xAB)
    assert chip.log[-1] == ("w", b"\x10\xab")
    assert bus.read_byte_data(0x40, 0x10) == 0xAB
    assert chip.log[-2:] == [("w", b"\x10"), ("r", 1)]


def test_index_persists_so_a_plain_read_continues(bus, chip):
    bus.write_i2c_block_data(0x40, 0x20, [1, 2, 3])
    bus.write_byte(0x40, 0x20)               # set the index only
    assert [bus.read_byte(0x40) for _ in range(3)] == [1, 2, 3]


def test_words_are_little_endian_as_smbus_says(bus, chip):
    bus.write_word_data(0x40, 0x30, 0x1234)
    assert chip.regs[0x30:0x32] == b"\x34\x12"
    assert bus.read_word_data(0x40, 0x30) == 0x1234


def test_block_calls_and_their_32_byte_limit(bus, chip):
    bus.write_i2c_block_data(0x40, 0x00, list(range(32)))
    assert bus.read_i2c_block_data(0x40, 0x00, 32) == list(range(32))
    with pytest.raises(ValueError):
        bus.read_i2c_block_data(0x40, 0x00, 33)
    bus.write_block_data(0x40, 0x50, [7, 8])
    assert chip.regs[0x50:0x53] == b"\x02\x07\x08"   # SMBus block: count byte first


def test_i2c_rdwr_fills_read_messages_in_place(bus, chip):
    bus.write_i2c_block_data(0x40, 0x60, [0xDE, 0xAD])
    w, r = i2c_msg.write(0x40, [0x60]), i2c_msg.read(0x40, 2)
    bus.i2c_rdwr(w, r)
    assert bytes(r) == b"\xde\xad"


def test_absent_address_nacks_with_errno_121(bus, chip):
    with pytest.raises(OSError) as exc:
        bus.read_byte(0x41)
    assert exc.value.errno == errno.EREMOTEIO
    bus.detach(0x40)
    with pytest.raises(OSError):
        bus.read_byte(0x40)
    assert bus.scan() == []


def test_unplugged_chip_nacks_and_comes_back_in_power_on_state(bus, chip):
    chip.regs[0x10] = 5
    chip.power_off()
    with pytest.raises(OSError):
        bus.read_byte_data(0x40, 0x10)
    chip.power_on()
    assert bus.read_byte_data(0x40, 0x10) == 0


def test_injected_error_rate_is_seeded_and_uses_kernel_errnos(clock):
    counts = []
    for _ in range(2):
        bus = SimBus(clock, seed=7)
        bus.attach(Chip())
        bus.set_error_rate(0x40, 0.3)
        codes = []
        for _ in range(500):
            try:
                bus.read_byte(0x40)
            except OSError as exc:
                codes.append(exc.errno)
        counts.append(codes)
    assert counts[0] == counts[1]                      # same seed, same faults
    assert 100 < len(counts[0]) < 200                  # ~30 %
    assert set(counts[0]) <= {errno.EREMOTEIO, errno.EIO, errno.ETIMEDOUT}


def test_stuck_bus_times_out_until_released(bus, chip, clock):
    bus.hold_stuck(until_s=1.0)
    with pytest.raises(OSError) as exc:
        bus.read_byte(0x40)
    assert exc.value.errno == errno.ETIMEDOUT
    clock.advance(1.0)
    bus.read_byte(0x40)


def test_closed_bus_refuses_and_repr_says_so(bus, chip):
    bus.close()
    assert "closed" in repr(bus)
    with pytest.raises(OSError):
        bus.read_byte(0x40)

"""RegisterDevice's quick paths: a read that touches no computed register is copied out
of the register file, one that does goes byte by byte through ``read_register``; both
must read exactly what the chip's registers say."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pi_app.clock import SimClock
from pi_app.sim.devices import MPU6050Device, RegisterDevice, VL53L1XDevice
from pi_app.sim.simbus import SimBus


def byte_by_byte(dev, index, length):
    return bytes(dev.read_register((index + i) % dev.REGISTER_SPACE) & 0xFF
                 for i in range(length))


@settings(max_examples=300, deadline=None)
@given(index=st.one_of(st.integers(0x0000, 0x0140), st.integers(0xFFE0, 0xFFFF)),
       length=st.integers(1, 32), pending=st.booleans())
def test_vl53l1x_reads_match_its_registers_one_by_one(index, length, pending):
    dev = VL53L1XDevice()
    dev._interrupt_pending = pending        # data-ready bit 0x0031 is computed from it
    dev._first_range_done = pending         # and 0x00E5 from this
    expected = byte_by_byte(dev, index, length)
    dev.i2c_write(dev.address, index.to_bytes(2, "big"))
    assert dev.i2c_read(dev.address, length) == expected
    assert dev.index == (index + length) % dev.REGISTER_SPACE


def test_a_burst_read_over_int_status_still_clears_data_ready():
    clock = SimClock(1.0)
    bus = SimBus(clock)
    imu = bus.attach(MPU6050Device())
    bus.write_byte_data(0x68, 0x6B, 0x00)               # wake: samples from now on
    clock.advance(0.01)
    first = bus.read_i2c_block_data(0x68, 0x3A, 15)     # INT_STATUS + the sample
    assert first[0] & 0x01                              # a new sample was flagged ...
    assert bus.read_byte_data(0x68, 0x3A) & 0x01 == 0   # ... and the read cleared it
    assert bus.read_i2c_block_data(0x68, 0x3B, 14) == first[1:]
    assert imu.index == 0x3B + 14


class Counter(RegisterDevice):
    """Overrides read_register without listing computed registers: every byte goes
    through it."""

    DEFAULT_ADDRESS = 0x40

    def __init__(self):
        self.reads = 0
        super().__init__()

    def read_register(self, register):
        self.reads += 1
        return register & 0xFF


class Mirror(RegisterDevice):
    """Answers at its own address and the next one up."""

    DEFAULT_ADDRESS = 0x50

    def answers(self, address):
        return address in (self.address, self.address + 1)


def test_subclasses_keep_their_own_read_register_and_answers():
    bus = SimBus(SimClock())
    counter = bus.attach(Counter())
    assert bus.read_i2c_block_data(0x40, 0x10, 4) == [0x10, 0x11, 0x12, 0x13]
    assert counter.reads == 4
    mirror = bus.attach(Mirror())
    assert bus.device_at(0x51) is mirror
    mirror.present = False
    assert bus.device_at(0x50) is None and bus.device_at(0x51) is None

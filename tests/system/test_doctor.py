"""``backsight doctor`` against deliberately broken simulated systems: a SimBus with the
register-level chip emulators (the real ID registers) and a temp root with config.txt,
cmdline.txt, /etc/passwd, /etc/group and the device-tree model, as on an SD card.
Each problem must be named, with its fix."""

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pi_app.cli import main
from pi_app.clock import SimClock
from pi_app.config import Config, SensorConfig
from pi_app.doctor import FAIL, OK, WARN, Doctor, format_findings, scan, simulated_bus_factory
from pi_app.doctor.i2c import missing_bus_hint
from pi_app.doctor.system import BootConfig
from pi_app.sim.devices.base import RegisterDevice
from pi_app.sim.devices.drv2605 import DRV2605Device
from pi_app.sim.devices.mb1242 import MB1242Device
from pi_app.sim.devices.mpu6050 import MPU6050Device
from pi_app.sim.devices.tca9548a import TCA9548ADevice
from pi_app.sim.devices.tfluna import TFLunaDevice
from pi_app.sim.devices.vl53l1x import VL53L1XDevice
from pi_app.sim.simbus import SimBus

REPO = Path(__file__).resolve().parents[2]
PI4 = b"Raspberry Pi 4 Model B Rev 1.4\0"
GOOD_BOOT = "[all]\ndtparam=i2c_arm=on\ndtparam=i2c_arm_baudrate=400000\nenable_uart=1\ndtparam=watchdog=on\n"


class FakeChip(RegisterDevice):
    """Some other chip: a register file with chosen contents."""

    def __init__(self, address: int, **registers: int) -> None:
        self.DEFAULT_ADDRESS = address
        super().__init__()
        for reg, value in registers.items():
            self.regs[int(reg[1:], 16)] = value


def make_bus(*devices) -> SimBus:
    bus = SimBus(SimClock())
    for device, address in devices:
        bus.attach(device, address)
    return bus


def make_root(tmp_path, *, boot=GOOD_BOOT, cmdline="console=tty1 root=PARTUUID=1 rootwait\n",
              group="i2c:x:998:backsight\ngpio:x:997:backsight\ndialout:x:20:backsight\n", model=PI4,
              modules="i2c-dev\n"):
    """``modules`` is /etc/modules (raspi-config's do_i2c adds i2c-dev there); None = absent."""
    root = tmp_path / "root"
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/config.txt").write_text(boot)
    (root / "boot/firmware/cmdline.txt").write_text(cmdline)
    (root / "etc").mkdir()
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/bash\n"
                                     "backsight:x:999:999::/var/lib/backsight:/usr/sbin/nologin\n")
    (root / "etc/group").write_text("root:x:0:\nbacksight:x:999:\n" + group)
    (root / "proc/device-tree").mkdir(parents=True)
    (root / "proc/device-tree/model").write_bytes(model)
    if modules is not None:
        (root / "etc/modules").write_text("# /etc/modules: kernel modules to load at boot time.\n" + modules)
    return root


def doctor(bus, cfg, root, **kw):
    kw.setdefault("find_module", lambda name: name == "lgpio")
    return Doctor(lambda n: bus, cfg, root=root, **kw).run()


def named(findings, level, *words):
    """The findings at ``level`` whose text contains every word."""
    return [f for f in findings if f.level == level and all(w in f.what for w in words)]


def default_bus():
    return make_bus((VL53L1XDevice(), 0x29), (TFLunaDevice(), 0x10), (MPU6050Device(), 0x68))


# --- the misconfigured system of the brief ------------------------------------------------
@pytest.fixture
def broken(tmp_path):
    cfg = Config.defaults().with_sensors([
        SensorConfig("rear", "vl53l1x", "obstacle", address=0x30, xshut_pin=17),
        SensorConfig("ground", "tfluna", "surface", pitch_deg=-25.0),
        SensorConfig("imu", "mpu6050", "imu"),
    ])
    # the VL53L1X was never re-addressed, the TF-Luna is missing, a stranger sits at 0x3C
    bus = make_bus((VL53L1XDevice(), 0x29), (MPU6050Device(), 0x68), (FakeChip(0x3C), 0x3C))
    root = make_root(tmp_path, boot="#dtparam=i2c_arm=on\ndtparam=audio=on\n",
                     cmdline="console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait\n",
                     group="gpio:x:997:pi\ndialout:x:20:pi\n")
    return doctor(bus, cfg, root)


def test_vl53l1x_left_at_the_default_address_blames_xshut(broken):
    [f] = named(broken, FAIL, "'rear'", "0x30", "0x29")
    assert "XSHUT/re-addressing did not happen" in f.what
    assert "GPIO17" in f.fix


def test_missing_sensor_names_the_wiring(broken):
    [f] = named(broken, FAIL, "TF-Luna 'ground'", "not found at 0x10")
    assert "pin 5 to GND" in f.fix and "SDA/SCL" in f.fix


def test_unknown_device_is_reported(broken):
    [f] = named(broken, WARN, "unknown device", "0x3C")
    assert "config.toml" in f.fix
    assert not named(broken, WARN, "0x29")      # explained by the re-addressing finding


def test_identified_chip_is_ok(broken):
    assert named(broken, OK, "MPU-6050 'imu'", "identified")


def test_i2c_disabled_in_config_txt(broken):
    [f] = named(broken, FAIL, "I2C is disabled")
    assert "dtparam=i2c_arm=on" in f.what
    assert "raspi-config nonint do_i2c 0" in f.fix


def test_group_problems_are_named(broken):
    [missing] = named(broken, FAIL, "group i2c does not exist")
    assert "groupadd --system i2c" in missing.fix and "usermod -aG i2c backsight" in missing.fix
    [gpio] = named(broken, FAIL, "not in group gpio")
    assert "usermod -aG gpio backsight" in gpio.fix
    assert named(broken, FAIL, "not in group dialout")


def test_serial_console_and_uart(broken):
    [console] = named(broken, FAIL, "serial console", "console=serial0")
    assert "do_serial_cons 1" in console.fix
    [uart] = named(broken, FAIL, "enable_uart=1")
    assert "do_serial_hw 0" in uart.fix


def test_every_failure_has_a_fix(broken):
    assert all(f.fix for f in broken if f.level != OK)
    text = format_findings(broken)
    assert "fix: sudo raspi-config nonint do_i2c 0" in text
    assert text.splitlines()[-1].startswith(f"{len(broken)} checks:")


# --- a healthy system -------------------------------------------------------------------
def test_install_sh_root_plus_default_hardware_is_healthy(tmp_path):
    root = make_root(tmp_path, boot="dtparam=audio=on\n", group="dialout:x:20:\n")
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    if shutil.which("bash") is None:
        pytest.skip("bash not installed")
    done = subprocess.run(["bash", str(REPO / "scripts/install.sh"), "--root", str(root), "--no-venv"],
                          capture_output=True, text=True, env=dict(os.environ, PYTHON=sys.executable),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    findings = doctor(default_bus(), Config.defaults(), root)
    assert [f for f in findings if f.level != OK] == []
    assert named(findings, OK, "installed", "enabled")
    assert named(findings, OK, "gpiozero will use lgpio")


def test_wrong_chip_at_the_configured_address(tmp_path):
    bus = make_bus((VL53L1XDevice(), 0x29), (TFLunaDevice(), 0x10), (FakeChip(0x68, r75=0x70), 0x68))
    findings = doctor(bus, Config.defaults(), make_root(tmp_path))
    [f] = named(findings, FAIL, "MPU-6050 'imu'", "not a MPU-6050")
    assert "0x70" in f.what and "MPU-6500" in f.what


@pytest.mark.parametrize("status, level", [(7 << 5, OK), (3 << 5, OK), (4 << 5, FAIL)])
def test_drv2605_identified_by_status_bits(tmp_path, status, level):
    cfg = Config.defaults().with_value("alert.haptic", "drv2605")
    chip = DRV2605Device() if status == 7 << 5 else FakeChip(0x5A, r00=status)
    bus = make_bus((VL53L1XDevice(), 0x29), (TFLunaDevice(), 0x10), (MPU6050Device(), 0x68), (chip, 0x5A))
    findings = doctor(bus, cfg, make_root(tmp_path))
    assert named(findings, level, "DRV2605L haptic driver")
    if level == FAIL:
        assert "DRV2604" in named(findings, FAIL, "DRV2605L")[0].what


@pytest.mark.parametrize("baud, level", [(400_000, WARN), (None, WARN), (50_000, OK)])
def test_mb1242_on_the_hardware_bus_warns_about_clock_stretching(tmp_path, baud, level):
    cfg = Config.defaults().with_sensors([SensorConfig("rear", "mb1242", "obstacle")])
    boot = "dtparam=i2c_arm=on\n" + (f"dtparam=i2c_arm_baudrate={baud}\n" if baud else "")
    findings = doctor(make_bus((MB1242Device(), 0x70)), cfg, make_root(tmp_path, boot=boot + "enable_uart=1\n"))
    [f] = named(findings, level, "MB1242", "clock stretching")
    assert named(findings, OK, "MB1242 'rear' at 0x70 identified")
    if level == WARN:
        assert "i2c-gpio" in f.fix and "i2c.bus = 3" in f.fix


def test_sonar_bus_must_exist_in_config_txt(tmp_path):
    cfg = Config.defaults().with_value("i2c.bus", 3).with_sensors([SensorConfig("rear", "mb1242", "obstacle")])
    findings = doctor(make_bus((MB1242Device(), 0x70)), cfg, make_root(tmp_path))
    assert "dtoverlay=i2c-gpio,bus=3" in named(findings, FAIL, "creates no bus 3")[0].fix
    boot = GOOD_BOOT + "dtoverlay=i2c-gpio,bus=3,i2c_gpio_sda=24,i2c_gpio_scl=25,i2c_gpio_delay_us=2\n"
    findings = doctor(make_bus((MB1242Device(), 0x70)), cfg, make_root(tmp_path / "b", boot=boot))
    assert not named(findings, FAIL) and not named(findings, WARN, "clock stretching")


def muxed_config():
    return Config.defaults().with_sensors([
        SensorConfig("rear", "vl53l1x", "obstacle", mux_address=0x70, mux_channel=2),
        SensorConfig("imu", "mpu6050", "imu"),
    ])


def muxed_bus():
    mux = TCA9548ADevice()
    bus = make_bus((mux, 0x70), (MPU6050Device(), 0x68))
    mux.channel(2).attach(VL53L1XDevice())
    return bus, mux


def test_sensor_behind_a_multiplexer_and_mask_restored(tmp_path):
    bus, mux = muxed_bus()
    mux.mask = 0x81
    findings = doctor(bus, muxed_config(), make_root(tmp_path))
    assert named(findings, OK, "VL53L1X 'rear'", "channel 2", "identified")
    assert named(findings, OK, "TCA9548A multiplexer at 0x70 identified")
    assert mux.mask == 0x81


def test_multiplexer_left_alone_while_the_service_runs(tmp_path):
    bus, mux = muxed_bus()
    mux.mask = 0x04
    writes = []
    original = bus.write_byte
    bus.write_byte = lambda *a, **k: (writes.append(a), original(*a, **k))
    answers = {"is-active": (0, "active"), "is-enabled": (0, "enabled")}
    root = make_root(tmp_path)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/backsight.service").write_text("[Service]\n")
    (root / "etc/udev/rules.d").mkdir(parents=True)
    (root / "etc/udev/rules.d/99-backsight.rules").write_text("\n")
    findings = Doctor(lambda n: bus, muxed_config(), root=root, live=True, find_module=lambda n: True,
                      run_command=lambda argv: answers[argv[1]]).run()
    assert writes == [] and mux.mask == 0x04
    assert named(findings, WARN, "not checked while the service runs")


def test_simulated_bus_has_an_emulator_of_every_chip_kind(tmp_path):
    cfg = Config.defaults().with_value("alert.haptic", "drv2605").with_sensors([
        SensorConfig("rear", "vl53l1x", "obstacle", address=0x30, xshut_pin=17),
        SensorConfig("side", "vl53l1x", "obstacle", mux_address=0x71, mux_channel=3),
        SensorConfig("ground", "tfluna", "surface", pitch_deg=-25.0),
        SensorConfig("sonar", "mb1242", "obstacle"),
        SensorConfig("imu", "mpu6050", "imu"),
    ])
    factory, notes = simulated_bus_factory(cfg)
    assert notes == []
    findings = doctor(factory(cfg.i2c.bus), cfg, make_root(tmp_path))
    for what in ("VL53L1X 'rear' at 0x30", "VL53L1X 'side'", "TF-Luna 'ground' at 0x10",
                 "MB1242 'sonar' at 0x70", "MPU-6050 'imu' at 0x68", "DRV2605L haptic driver",
                 "TCA9548A multiplexer at 0x71"):
        assert named(findings, OK, what, "identified"), (what, format_findings(findings))


def test_address_clash_between_sonar_and_multiplexer(tmp_path):
    cfg = Config.defaults().with_sensors([
        SensorConfig("sonar", "mb1242", "obstacle"),
        SensorConfig("rear", "vl53l1x", "obstacle", mux_address=0x70, mux_channel=0),
    ])
    findings = doctor(make_bus((MB1242Device(), 0x70)), cfg, make_root(tmp_path))
    [f] = named(findings, FAIL, "both configured at 0x70")
    assert "TCA9548A" in f.what and "MB1242" in f.what


def test_bus_that_cannot_be_opened(tmp_path):
    def absent(n):
        raise FileNotFoundError(errno.ENOENT, f"/dev/i2c-{n}")

    def forbidden(n):
        raise PermissionError(errno.EACCES, f"/dev/i2c-{n}")

    root = make_root(tmp_path)
    f = named(Doctor(absent, Config.defaults(), root=root).run(), FAIL, "/dev/i2c-1 does not exist")
    assert "/etc/modules loads i2c-dev at boot" in f[0].what and f[0].fix == "sudo modprobe i2c-dev now"
    f = named(Doctor(forbidden, Config.defaults(), root=root).run(), FAIL, "no permission")
    assert "usermod -aG i2c" in f[0].fix


class PlainBus:
    """smbus2.SMBus has no scan(): doctor must probe each address itself."""

    def __init__(self, bus):
        self._bus = bus

    def __getattr__(self, name):
        if name == "scan":
            raise AttributeError(name)
        return getattr(self._bus, name)


def test_scan_without_a_scan_method_matches_i2cdetect():
    bus = default_bus()
    assert scan(PlainBus(bus)) == bus.scan() == [0x10, 0x29, 0x68]


def test_kernel_claimed_address_is_reported_not_hidden(tmp_path):
    class Claimed(FakeChip):
        def i2c_read(self, address, length):
            raise OSError(errno.EBUSY, "Device or resource busy")

    bus = make_bus((VL53L1XDevice(), 0x29), (TFLunaDevice(), 0x10), (Claimed(0x68), 0x68))
    findings = doctor(PlainBus(bus), Config.defaults(), make_root(tmp_path))
    assert "kernel driver" in named(findings, FAIL, "MPU-6050 'imu'")[0].what


@pytest.mark.parametrize("model, have, level, word", [
    (b"Raspberry Pi 5 Model B Rev 1.0\0", {"lgpio"}, OK, "lgpio"),
    (b"Raspberry Pi 5 Model B Rev 1.0\0", {"RPi.GPIO"}, FAIL, "does not work on a Pi 5"),
    (b"Raspberry Pi Zero 2 W Rev 1.0\0", {"RPi.GPIO"}, OK, "RPi.GPIO"),
    (b"Raspberry Pi 4 Model B Rev 1.4\0", set(), FAIL, "neither"),
    (b"Generic x86\0", set(), WARN, "not a Raspberry Pi"),
])
def test_pin_factory(tmp_path, model, have, level, word):
    findings = doctor(default_bus(), Config.defaults(), make_root(tmp_path, model=model),
                      find_module=lambda name: name in have)
    assert named(findings, level, word)


def test_forced_pin_factory(tmp_path):
    findings = doctor(default_bus(), Config.defaults(), make_root(tmp_path),
                      env={"GPIOZERO_PIN_FACTORY": "mock"})
    assert named(findings, OK, "GPIOZERO_PIN_FACTORY=mock")


def test_usb_gadget_port_needs_dwc2(tmp_path):
    cfg = Config.defaults().with_value("serial.port", "/dev/ttyGS0")
    findings = doctor(default_bus(), cfg, make_root(tmp_path))
    assert "modules-load=dwc2,g_serial" in named(findings, WARN, "USB gadget")[0].fix


@pytest.mark.parametrize("state, level, fix", [
    ("failed", FAIL, "journalctl -u backsight"),
    ("inactive", WARN, "systemctl start backsight"),
    ("active", OK, ""),
])
def test_live_service_state(tmp_path, state, level, fix):
    root = make_root(tmp_path)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/backsight.service").write_text("[Service]\n")
    d = Doctor(lambda n: default_bus(), Config.defaults(), root=root, live=True, find_module=lambda n: True,
               run_command=lambda argv: (0, state if argv[1] == "is-active" else "enabled"))
    from pi_app.doctor.system import check_service
    findings = check_service(d)
    f = [f for f in findings if "backsight.service" in f.what and "udev" not in f.what][0]
    assert f.level == level and fix in f.fix


def test_service_state_unknown_without_systemctl(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/backsight.service").write_text("[Service]\n")
    d = Doctor(lambda n: default_bus(), Config.defaults(), root=root, live=True, run_command=lambda argv: None)
    from pi_app.doctor.system import check_service
    assert named(check_service(d), WARN, "service state unknown")


def test_boot_config_parsing(tmp_path):
    root = make_root(tmp_path, boot="dtparam=i2c_arm=on,i2c_arm_baudrate=100000\n[none]\n"
                                    "dtparam=i2c_arm=off\n[all]\ndtparam=watchdog=on\n")
    boot = BootConfig.read(root)
    assert boot.i2c_enabled and boot.i2c_baudrate == 100_000
    (root / "boot/firmware/config.txt").write_text("dtparam=i2c_arm=on\ndtparam=i2c_arm=off\n")
    assert not BootConfig.read(root).i2c_enabled            # the later line wins
    (root / "boot/firmware/config.txt").unlink()
    (root / "boot/config.txt").write_text("dtparam=i2c=on\n")  # pre-Bookworm path, alias name
    assert BootConfig.read(root).i2c_enabled


def test_cli_doctor_sim_with_a_broken_root_exits_1(tmp_path, capsys):
    root = make_root(tmp_path, boot="dtparam=audio=on\n")
    assert main(["doctor", "--sim", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] I2C is disabled" in out and "fix: sudo raspi-config nonint do_i2c 0" in out
    assert "VL53L1X 'rear' at 0x29 identified" in out


def test_cli_doctor_sim_on_a_healthy_root_exits_0(tmp_path, capsys):
    root = make_root(tmp_path)
    # the image's own Python modules decide the pin library, not this machine's
    (root / "usr/lib/python3/dist-packages/RPi/GPIO").mkdir(parents=True)
    code = main(["doctor", "--sim", "--root", str(root)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[FAIL]" not in out and "gpiozero will use RPi.GPIO" in out


# --- i2c-dev: a missing /dev/i2c-N explained in one line ---------------------------------
def fake_kernel(root, *, proc_modules=None, sys_module=False, load_d=(), builtin=False, cmdline=None):
    """What the running kernel shows below ``root``: /proc/modules text, /sys/module/i2c_dev,
    modules-load.d files as (dir, name, text), a modules.builtin listing i2c-dev."""
    (root / "sys/module").mkdir(parents=True, exist_ok=True)
    if sys_module:
        (root / "sys/module/i2c_dev").mkdir()
    if proc_modules is not None:
        (root / "proc/modules").write_text(proc_modules)
    for directory, name, text in load_d:
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / name).write_text(text)
    if builtin:
        release = root / "lib/modules" / os.uname().release
        release.mkdir(parents=True)
        (release / "modules.builtin").write_text("kernel/drivers/i2c/i2c-core.ko\nkernel/drivers/i2c/i2c-dev.ko\n")
    if cmdline is not None:
        (root / "proc/cmdline").write_text(cmdline)
    return root


LSMOD_WITHOUT = "i2c_bcm2835 16384 0 - Live 0x0000000000000000\nspidev 20480 0 - Live 0x0\n"
LSMOD_WITH = LSMOD_WITHOUT + "i2c_dev 16384 0 - Live 0x0000000000000000\n"
OURS = ("etc/modules-load.d", "backsight-i2c.conf", "# comment\ni2c-dev\n")


@pytest.mark.parametrize("kernel, boot, said, fix, not_in_fix", [
    # not loaded, nothing loads it: modprobe now, and the modules-load.d file for every boot
    (dict(proc_modules=LSMOD_WITHOUT), GOOD_BOOT,
     ["the i2c-dev module is not loaded and nothing loads it at boot"],
     ["sudo modprobe i2c-dev now", "echo i2c-dev | sudo tee /etc/modules-load.d/backsight-i2c.conf"],
     ["reboot"]),
    # configured but not loaded yet (installed, not rebooted): modprobe is all it takes
    (dict(proc_modules=LSMOD_WITHOUT, load_d=[OURS]), GOOD_BOOT,
     ["not loaded (/etc/modules-load.d/backsight-i2c.conf loads it at boot)"],
     ["sudo modprobe i2c-dev now"], ["tee"]),
    # loaded (the other spelling, in /usr/lib), but config.txt never enabled the bus
    (dict(sys_module=True, load_d=[("usr/lib/modules-load.d", "i2c.conf", "i2c_dev\n")]),
     "dtparam=audio=on\n", ["lacks dtparam=i2c_arm=on", "i2c-dev is loaded"],
     ["add dtparam=i2c_arm=on to config.txt", "do_i2c 0", "reboot"], ["modprobe", "tee"]),
    # loaded by hand: the bus comes back now, gone again after a reboot
    (dict(proc_modules=LSMOD_WITH), GOOD_BOOT, ["i2c-dev is loaded but nothing loads it at boot"],
     ["for every boot: echo i2c-dev"], ["modprobe"]),
    # an empty file of the same name in /etc masks the one in /usr/lib; comments do not count
    (dict(proc_modules=LSMOD_WITHOUT, load_d=[("etc/modules-load.d", "i2c.conf", "#i2c-dev\n"),
                                             ("usr/lib/modules-load.d", "i2c.conf", "i2c-dev\n")]),
     GOOD_BOOT, ["nothing loads it at boot"], ["sudo modprobe i2c-dev now", "tee"], []),
    # kernel command line
    (dict(proc_modules=LSMOD_WITHOUT, cmdline="console=tty1 modules-load=dwc2,i2c-dev rootwait"),
     GOOD_BOOT, ["modules-load= in /proc/cmdline loads it at boot"], ["sudo modprobe i2c-dev now"], ["tee"]),
    # built into the kernel and the bus enabled: nothing to load, something else is wrong
    (dict(proc_modules=LSMOD_WITHOUT, builtin=True), GOOD_BOOT, ["i2c-dev is loaded"],
     ["dmesg | grep -i i2c"], ["modprobe", "tee"]),
])
def test_missing_bus_hint(tmp_path, kernel, boot, said, fix, not_in_fix):
    root = fake_kernel(make_root(tmp_path, boot=boot, modules=None), **kernel)
    hint = missing_bus_hint(1, root)
    what, _, fix_text = hint.partition("; fix: ")
    assert "\n" not in hint and what.startswith("/dev/i2c-1 does not exist: ")
    assert all(s in what for s in said), hint
    assert all(s in fix_text for s in fix), hint
    assert not any(s in fix_text for s in not_in_fix), hint


def test_missing_bit_banged_bus_names_its_overlay(tmp_path):
    root = fake_kernel(make_root(tmp_path, modules="i2c-dev\n"), proc_modules=LSMOD_WITH)
    hint = missing_bus_hint(3, root)
    assert hint.startswith("/dev/i2c-3 does not exist: ") and "creates no bus 3" in hint
    assert "dtoverlay=i2c-gpio,bus=3" in hint and "reboot" in hint


def test_missing_bus_hint_from_nothing_at_all(tmp_path):
    # no /proc, /sys, /etc or config.txt: still one line naming the node and a fix
    hint = missing_bus_hint(1, tmp_path / "absent")
    assert hint.startswith("/dev/i2c-1 does not exist: nothing loads the i2c-dev module at boot; fix: ")
    assert "sudo modprobe i2c-dev" in hint


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(modules=st.binary(max_size=200), proc=st.binary(max_size=200), conf=st.binary(max_size=200),
       bus=st.integers(0, 31))
def test_missing_bus_hint_never_raises_on_odd_files(tmp_path_factory, modules, proc, conf, bus):
    root = tmp_path_factory.mktemp("odd")
    for rel, data in (("etc/modules", modules), ("proc/modules", proc),
                      ("etc/modules-load.d/x.conf", conf), ("boot/firmware/config.txt", conf)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    hint = missing_bus_hint(bus, root)
    assert hint.startswith(f"/dev/i2c-{bus} does not exist: ") and "; fix: " in hint


def test_doctor_explains_a_missing_bus_with_the_same_words(tmp_path):
    def absent(n):
        raise FileNotFoundError(errno.ENOENT, f"/dev/i2c-{n}")

    root = fake_kernel(make_root(tmp_path, modules=None), proc_modules=LSMOD_WITHOUT)
    [f] = named(Doctor(absent, Config.defaults(), root=root).run(), FAIL, "I2C bus 1")
    assert f"{f.what}; fix: {f.fix}" == "I2C bus 1: " + missing_bus_hint(1, root)
    assert "not loaded" in f.what and "sudo modprobe i2c-dev" in f.fix


@pytest.mark.parametrize("kernel, modules, level, words", [
    (dict(), "i2c-dev\n", OK, "loads at boot (/etc/modules)"),
    (dict(proc_modules=LSMOD_WITH), None, WARN, "loaded now, by hand"),
    (dict(proc_modules=LSMOD_WITHOUT), None, FAIL, "nothing loads the i2c-dev module at boot"),
])
def test_doctor_checks_that_i2c_dev_loads_at_boot(tmp_path, kernel, modules, level, words):
    root = fake_kernel(make_root(tmp_path, modules=modules), **kernel)
    findings = doctor(default_bus(), Config.defaults(), root)
    [f] = named(findings, level, words)
    assert level == OK or "/etc/modules-load.d/backsight-i2c.conf" in f.fix


def test_the_hint_imports_nothing_outside_the_standard_library():
    # `backsight run` imports it to say the same words; it must stay cheap
    code = ("import sys; from pi_app.doctor.i2c_dev import missing_bus_hint; "
            "tops = {m.split('.')[0] for m in sys.modules}; "
            "print(sorted(t for t in tops - set(sys.stdlib_module_names) if t != 'pi_app' and not t.startswith('_')))")
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

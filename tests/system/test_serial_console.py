"""Serial console: every command and error reply on the pure line handler, the line
framer, and the console thread on a real pty (reconnect, write timeouts, prompt close)."""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.pty_port import PtyPort
from pi_app.clock import SimClock
from pi_app.config import SCHEMA, Config, load_config
from pi_app.config.mount import mount_keys
from pi_app.config_store import save_config
from pi_app.exc import ConfigError, DeviceClosed, SerialConsoleError
from pi_app.host import ConsoleClient, ConsoleReplyError
from pi_app.serial_console import SerialConsole
from pi_app.serial_protocol import KEPT_BY_DEFAULTS, ConsoleProtocol, LineFramer

KEY = "obstacle.warning_ttc_s"


class FakeLoop:
    """Swaps a handed-over config only when told to, like the device loop between cycles."""

    def __init__(self, cfg: Config | None = None) -> None:
        self.cfg = cfg or Config.defaults()
        self.pending = None
        self.applied = []

    def apply_config(self, cfg) -> None:
        self.pending = cfg
        self.applied.append(cfg)

    def swap(self) -> None:
        if self.pending is not None:
            self.cfg, self.pending = self.pending, None


def make_protocol(loop=None, **kwargs):
    loop = loop or FakeLoop()
    return loop, ConsoleProtocol(lambda: loop.cfg, loop.apply_config, **kwargs)


def wait_for(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


# --- the line handler ---------------------------------------------------------------
def test_help_lists_every_command_and_error_code():
    _, proto = make_protocol()
    lines = proto.handle_line("help")
    assert lines[-1] == "OK"
    text = "\n".join(lines)
    for word in ("get [KEY]", "set KEY VALUE", "save", "defaults", "status", "stream on|off", "version"):
        assert word in text
    for code in range(1, 10):
        assert f"{code} " in lines[-2]
    assert "set KEY VALUE confirm" in text and all(line.isascii() and line.isprintable() for line in lines)


def test_help_for_a_key_gives_doc_range_and_default():
    _, proto = make_protocol()
    (line,) = proto.handle_line(f"help {KEY}")
    assert line.startswith(f"OK {KEY}: WARNING") and "0.3..10 s" in line and "default 2.5" in line
    assert line.endswith("applies live)")
    assert proto.handle_line("help nope")[0].startswith("ERR 2 ")


def test_version():
    _, proto = make_protocol()
    assert proto.handle_line("version") == ["OK backsight 0.1.0 protocol 1"]
    assert proto.handle_line("version 2")[0].startswith("ERR 7 ")


def test_get_one_and_all():
    _, proto = make_protocol()
    assert proto.handle_line(f"get {KEY}") == [f"OK {KEY}=2.5"]
    assert proto.handle_line("get alert.tonal") == ["OK alert.tonal=false"]
    lines = proto.handle_line("get")
    mounts = [mk.key for mk in mount_keys(Config.defaults())]   # test_serial_mount.py
    assert lines[-1] == f"OK {len(SCHEMA) + len(mounts)} keys"
    pairs = dict(line.split("=", 1) for line in lines[:-1])
    assert list(pairs) == [f.key for f in SCHEMA] + mounts
    for key, text in list(pairs.items())[:len(SCHEMA)]:  # every value typed back is accepted
        assert Config.defaults().with_value(key, text) == Config.defaults()


@pytest.mark.parametrize("line, code", [
    ("get nope.key", 2), ("get a b", 7), ("frobnicate", 1), ("set", 7), (f"set {KEY}", 7),
    ("set nope.key 3", 2), (f"set {KEY} 30", 3), (f"set {KEY} abc", 3), (f"set {KEY} 4.5", 3),
    ("set alert.tonal perhaps", 3), ("stream maybe", 7), ("save now", 7), ("defaults please", 7),
    ("status x", 7),
])
def test_bad_lines_answer_err_and_change_nothing(line, code):
    loop, proto = make_protocol(status=lambda: {"level": "clear"})
    (reply,) = proto.handle_line(line)
    assert reply.startswith(f"ERR {code} "), reply
    assert loop.applied == [] and proto.current_config() == Config.defaults()


def test_set_hands_a_new_config_to_the_loop_and_get_sees_it_before_the_swap():
    loop, proto = make_protocol()
    assert proto.handle_line(f"set {KEY} 3") == [f"OK {KEY}=3.0"]
    assert loop.cfg.obstacle.warning_ttc_s == 2.5  # the loop has not swapped yet
    assert proto.handle_line(f"get {KEY}") == [f"OK {KEY}=3.0"]
    proto.handle_line("set obstacle.caution_ttc_s 5")  # builds on the pending change
    loop.swap()
    assert loop.cfg.obstacle.warning_ttc_s == 3.0 and loop.cfg.obstacle.caution_ttc_s == 5.0
    assert loop.cfg.sensors == Config.defaults().sensors


def test_a_change_made_elsewhere_after_the_swap_is_what_get_reports():
    loop, proto = make_protocol()
    proto.handle_line(f"set {KEY} 3")
    loop.swap()
    loop.cfg = loop.cfg.with_value(KEY, 2.0)  # e.g. a profile button
    assert proto.handle_line(f"get {KEY}") == [f"OK {KEY}=2.0"]


def test_changing_the_console_link_needs_confirm_then_applies_at_the_next_start():
    loop, proto = make_protocol()
    (reply,) = proto.handle_line("set serial.baudrate 9600")
    assert reply == ("ERR 9 confirm: after save and a restart the console moves from /dev/serial0 at "
                     "115200 baud to /dev/serial0 at 9600 baud and this session is cut off; "
                     "to accept: set serial.baudrate 9600 confirm")
    assert loop.applied == []
    (reply,) = proto.handle_line("set serial.baudrate 9600 CONFIRM")
    assert reply == "OK serial.baudrate=9600 (applies at the next start, after save)"
    assert proto.current_config().serial.baudrate == 9600
    (reply,) = proto.handle_line("set serial.port /dev/ttyGS0")
    assert reply.startswith("ERR 9 confirm: ") and "to /dev/ttyGS0 at 9600 baud" in reply
    assert proto.handle_line("set serial.port /dev/ttyGS0 confirm") == [
        "OK serial.port=/dev/ttyGS0 (applies at the next start, after save)"]


def test_the_link_unchanged_needs_no_confirm_and_a_bad_link_is_err_3_even_confirmed():
    loop, proto = make_protocol()
    assert proto.handle_line("set serial.baudrate 115200") == [
        "OK serial.baudrate=115200 (applies at the next start, after save)"]
    for line in ("set serial.port socket://10.0.0.2:7000 confirm", "set serial.port spy:///dev/ttyS0?file=x",
                 "set serial.baudrate 1234 confirm", "set serial.port confirm",
                 f"set {KEY} 3 confirm"):
        assert proto.handle_line(line)[0].startswith("ERR 3 "), line
    assert len(loop.applied) == 1 and proto.current_config().serial == Config.defaults().serial


def test_the_i2c_bus_applies_at_the_next_start_and_help_says_when_a_key_applies():
    _, proto = make_protocol()
    assert proto.handle_line("set i2c.bus 7") == ["OK i2c.bus=7 (applies at the next start, after save)"]
    assert proto.handle_line("help i2c.bus")[0].endswith("applies at the next start)")
    assert proto.handle_line(f"help {KEY}")[0].endswith("; applies live)")
    assert proto.handle_line("help serial.baudrate")[0].startswith("OK serial.baudrate: console speed (one of")


@pytest.mark.parametrize("lines, words", [
    (["set alert.output haptic", "set alert.haptic none"], "nothing would tell the runner"),
    (["set alert.haptic none", "set alert.output haptic"], "nothing would tell the runner"),
    (["set alert.buzzer_pin 13"], "alert.buzzer_pin=13 and alert.motor_pin=13"),
    (["set alert.button_pin 2"], "GPIO2 is SDA of I2C bus 1"),
    (["set alert.motor_pin 14"], "GPIO14 is the console UART's TXD"),
])
def test_set_refuses_what_check_refuses_whatever_the_order(lines, words):
    loop, proto = make_protocol()
    replies = [proto.handle_line(line)[0] for line in lines]
    assert all(r.startswith("OK ") for r in replies[:-1]) and replies[-1].startswith("ERR 3 ")
    assert words in replies[-1]
    proto.current_config().check()


def test_a_config_the_loop_refuses_is_err_3_and_not_pending():
    class RefusingLoop(FakeLoop):
        def apply_config(self, cfg) -> None:
            if cfg.alert.haptic == "drv2605":
                raise ConfigError("not applied: alert.haptic = drv2605 needs the I2C bus")
            super().apply_config(cfg)

    loop, proto = make_protocol(RefusingLoop(), status=lambda: {})
    assert proto.handle_line("set alert.haptic drv2605") == [
        "ERR 3 not applied: alert.haptic = drv2605 needs the I2C bus"]
    assert proto.current_config() is loop.cfg and proto.handle_line("status") == ["OK unsaved=0"]
    assert proto.handle_line("get alert.haptic") == ["OK alert.haptic=pwm"]
    loop.cfg = loop.cfg.with_value("alert.haptic", "drv2605").with_value(KEY, 3.0)
    assert proto.handle_line("defaults") == ["ERR 3 not applied: alert.haptic = drv2605 needs the I2C bus"]
    assert proto.current_config().obstacle.warning_ttc_s == 3.0


_SET_KEYS = ["alert.output", "alert.haptic", "alert.buzzer_pin", "alert.motor_pin", "alert.button_pin",
             "i2c.bus", "serial.port", "serial.baudrate", "obstacle.warning_ttc_s", "obstacle.danger_ttc_s",
             "deck.console_warning_m", "deck.deck_length_m"]
_SET_VALUES = ["haptic", "none", "both", "buzzer", "pwm", "drv2605", "-1", "0", "1", "2", "3", "13", "14",
               "15", "17", "18", "23", "9600", "/dev/ttyGS0", "/dev/ttyAMA0", "socket://h:1", "0.5", "1.3",
               "2.5", "4.5"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_SET_KEYS), st.sampled_from(_SET_VALUES), st.booleans())
                | st.just(("defaults", "", False)), max_size=12))
def test_no_sequence_of_sets_makes_a_config_that_fails_check(steps):
    loop, proto = make_protocol()
    for key, value, confirm in steps:
        line = "defaults" if key == "defaults" else f"set {key} {value}{' confirm' if confirm else ''}"
        (reply,) = proto.handle_line(line)
        assert reply.startswith(("OK ", "ERR 3 ", "ERR 9 ")), (line, reply)
        proto.current_config().check()
        loop.swap()
        loop.cfg.check()


def test_commands_are_case_insensitive_and_blank_lines_are_ignored():
    _, proto = make_protocol()
    assert proto.handle_line(f"GET {KEY}") == [f"OK {KEY}=2.5"]
    assert proto.handle_line("   ") == []
    assert proto.handle_line(f"\tset  {KEY}   3.5  ") == [f"OK {KEY}=3.5"]


def test_save_writes_the_current_config_atomically(tmp_path):
    path = tmp_path / "config.toml"
    loop, proto = make_protocol(config_path=path, status=lambda: {})
    proto.handle_line(f"set {KEY} 3.2")
    assert proto.handle_line("status") == ["OK unsaved=1"]
    assert proto.handle_line("save") == [f"OK saved {path}"]
    assert load_config(path).obstacle.warning_ttc_s == 3.2  # the pending one, not loop.cfg
    assert proto.handle_line("status") == ["OK unsaved=0"]


def test_save_without_a_path_or_to_an_impossible_path_is_err_4(tmp_path):
    _, proto = make_protocol()
    assert proto.handle_line("save")[0].startswith("ERR 4 no config file")
    (tmp_path / "file").write_text("")
    _, proto = make_protocol(config_path=tmp_path / "file" / "config.toml")
    assert proto.handle_line("save")[0].startswith("ERR 4 cannot write")


def test_defaults_resets_thresholds_keeps_sensors_and_wiring_and_does_not_save(tmp_path):
    path = tmp_path / "config.toml"
    custom = (Config.defaults().with_value(KEY, 3.0).with_value("alert.buzzer_pin", 23)
              .with_value("device.mode", "treadmill").with_value("surface.drop_m", 0.1)
              .with_sensors(Config.defaults().sensors[:1]))
    save_config(custom, path)
    loop, proto = make_protocol(FakeLoop(custom), config_path=path)
    assert proto.handle_line("defaults")[0].startswith("OK defaults applied")
    new = proto.current_config()
    assert new.obstacle.warning_ttc_s == 2.5 and new.surface.drop_m == 0.05
    assert new.sensors == custom.sensors
    for key in KEPT_BY_DEFAULTS:
        assert new.get(key) == custom.get(key)
    assert load_config(path) == custom  # nothing saved until `save`
    new.check()


def test_defaults_after_a_buzzer_only_setup_keeps_a_working_output():
    custom = Config.defaults().with_value("alert.output", "buzzer").with_value("alert.haptic", "none")
    loop, proto = make_protocol(FakeLoop(custom))
    assert proto.handle_line("defaults")[0].startswith("OK defaults applied")
    new = proto.current_config()
    assert (new.alert.output, new.alert.haptic) == ("both", "none")
    new.check()


def test_status_formats_the_status_source_on_one_line():
    status = {"level": "warning", "kind": "obstacle", "rear.distance_m": 1.23456789,
              "ground.health": "no answer", "source": None, "loop_hz": 200.0}
    _, proto = make_protocol(status=lambda: status)
    (line,) = proto.handle_line("status")
    assert line == ("OK level=warning kind=obstacle rear.distance_m=1.23457 "
                    "ground.health=no_answer source=none loop_hz=200 unsaved=0")


def test_status_and_stream_without_a_source_are_err_8():
    _, proto = make_protocol()
    assert proto.handle_line("status")[0].startswith("ERR 8 ")
    assert proto.handle_line("stream on")[0].startswith("ERR 8 ")
    assert proto.handle_line("stream off") == ["OK stream off"]


def test_a_failing_callback_is_err_8_and_the_handler_carries_on(caplog):
    def broken():
        raise RuntimeError("sensor table changed")

    _, proto = make_protocol(status=broken)
    with caplog.at_level(logging.ERROR):
        assert proto.handle_line("status")[0].startswith("ERR 8 internal error")
    assert proto.handle_line("version")[0].startswith("OK")


def test_stream_switches_telemetry_lines():
    _, proto = make_protocol(stream_source=lambda: "level=clear rear=1.000")
    assert proto.handle_line("stream on") == ["OK stream on"] and proto.streaming
    assert proto.telemetry_line(1.5) == "DATA t_s=1.500 level=clear rear=1.000"
    assert proto.handle_line("stream") == ["OK stream on"]
    assert proto.handle_line("stream OFF") == ["OK stream off"] and not proto.streaming


def test_raw_lines_that_are_too_long_or_not_printable():
    loop, proto = make_protocol()
    assert proto.handle_bytes(None)[0].startswith("ERR 5 ")
    for raw in (b"get \xff", b"set obstacle.warning_ttc_s 3\x00", "get é".encode(), b"\x1b[A"):
        assert proto.handle_bytes(raw)[0].startswith("ERR 6 "), raw
    assert loop.applied == []


# --- framing ----------------------------------------------------------------------------
def test_framer_accepts_lf_crlf_and_bare_cr_and_buffers_partial_lines():
    framer = LineFramer()
    assert framer.feed(b"get a\nget b\r\nget c\rge") == [b"get a", b"get b", b"get c"]
    assert framer.feed(b"t d") == []
    assert framer.feed(b"\r\n\n\n") == [b"get d"]


def test_framer_reports_an_over_long_line_once_and_resyncs_at_the_next_newline():
    framer = LineFramer(256)
    assert framer.feed(b"x" * 256 + b"\n") == [b"x" * 256]
    out = framer.feed(b"y" * 200) + framer.feed(b"y" * 200) + framer.feed(b"y" * 5000)
    assert out == [None]
    assert framer.feed(b"yyy\nversion\n") == [b"version"]
    assert framer.feed(b"z" * 257 + b"\nget\n") == [None, b"get"]


# --- the console thread on a pty ------------------------------------------------------------
class Holder:
    """Like ``backsight run``'s ConfigHolder: the latest accepted config."""

    def __init__(self) -> None:
        self.cfg = Config.defaults()

    def apply(self, cfg) -> None:
        self.cfg = cfg


@pytest.fixture
def link():
    """(holder, console, client) talking over a real pty."""
    holder = Holder()
    with PtyPort() as pty:
        console = SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                apply_config=holder.apply, status=lambda: {"level": "clear"})
        with console:
            assert console.connected.wait(5.0)
            yield holder, console, ConsoleClient(pty, timeout_s=5.0)


def test_commands_over_a_pty(link):
    holder, console, client = link
    assert client.command("version") == ["OK backsight 0.1.0 protocol 1"]
    assert client.command(f"set {KEY} 3.0") == [f"OK {KEY}=3.0"]
    assert holder.cfg.obstacle.warning_ttc_s == 3.0
    assert client.get(KEY) == "3.0"
    assert len(client.command("get")) == len(SCHEMA) + len(mount_keys(holder.cfg)) + 1
    with pytest.raises(ConsoleReplyError) as info:
        client.command(f"set {KEY} 99")
    assert info.value.code == 3 and holder.cfg.obstacle.warning_ttc_s == 3.0


def test_garbage_on_the_wire_changes_nothing_and_the_console_keeps_answering(link):
    holder, console, client = link
    before = holder.cfg
    pty = client._ser
    pty.write(bytes(range(256)) * 8 + b"\n" + b"set " + b"9" * 600 + b"\n" + b"\xff\xfe\r\n")
    pty.write(b"set obstacle.warning_ttc_s 3.0\x00\n")  # one bad byte spoils the whole line
    replies = []
    while more := client.read_lines(0.2):
        replies += more
    assert replies and all(r.startswith("ERR ") for r in replies)
    assert {r.split()[1] for r in replies} >= {"5", "6"}
    assert client.command("version")[0].startswith("OK")
    assert holder.cfg is before and console._thread.is_alive()


def test_terminal_style_input_with_bare_cr(link):
    holder, console, client = link
    client._ser.write(f"set {KEY} 2.8\r".encode())
    assert wait_for(lambda: holder.cfg.obstacle.warning_ttc_s == 2.8)


@pytest.mark.slow
def test_thousands_of_pipelined_commands(link):
    holder, console, client = link
    n = 3000
    data = b"".join(f"set {KEY} {2.0 + (i % 50) / 100}\n".encode() for i in range(n))
    writer = threading.Thread(target=client._ser.write, args=(data,))  # ~90 kB, more than a pty holds
    writer.start()
    replies = []
    assert wait_for(lambda: replies.extend(client.read_lines()) or len(replies) >= n, 20.0)
    writer.join()
    assert len(replies) == n and all(r.startswith(f"OK {KEY}=") for r in replies)
    assert holder.cfg.obstacle.warning_ttc_s == 2.0 + ((n - 1) % 50) / 100


def test_stream_spacing_follows_the_injected_clock():
    clock = SimClock()
    holder = Holder()
    holder.cfg = holder.cfg.with_value("serial.stream_period_s", 0.5)
    with PtyPort() as pty, SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                         apply_config=holder.apply, clock=clock,
                                         stream_source=lambda: "level=clear") as console:
        assert console.connected.wait(5.0)  # opening a port flushes what came before
        client = ConsoleClient(pty, timeout_s=5.0)
        assert client.command("stream on") == ["OK stream on"]
        first = []
        assert wait_for(lambda: first.extend(client.read_telemetry(0.05)) or first)
        assert first == ["DATA t_s=0.000 level=clear"]  # at once, then one per period
        assert client.read_telemetry(0.2) == []  # simulated time stands still: no new line
        clock.advance(0.3)
        assert client.read_telemetry(0.2) == []  # 0.3 s < stream_period_s
        clock.advance(0.2)
        lines = []
        assert wait_for(lambda: lines.extend(client.read_telemetry(0.05)) or lines)
        assert lines == ["DATA t_s=0.500 level=clear"]
        assert client.command("stream off") == ["OK stream off"]
        console.close()


def test_start_does_not_wait_for_a_missing_port_and_connects_when_it_appears(tmp_path):
    link_path = tmp_path / "ttyGS0"
    holder = Holder()
    console = SerialConsole(str(link_path), get_config=lambda: holder.cfg, apply_config=holder.apply,
                            retry_min_s=0.01, retry_max_s=0.05)
    t0 = time.monotonic()
    console.start()
    assert time.monotonic() - t0 < 0.5 and not console.connected.is_set()
    with console, PtyPort() as pty:
        os.symlink(pty.slave_path, link_path)  # the USB host attaches
        assert console.connected.wait(5.0)
        assert ConsoleClient(pty, timeout_s=5.0).command("version")[0].startswith("OK")


def test_the_console_reconnects_after_its_port_disappears(tmp_path):
    link_path = tmp_path / "ttyUSB0"
    holder = Holder()
    with SerialConsole(str(link_path), get_config=lambda: holder.cfg, apply_config=holder.apply,
                       retry_min_s=0.01, retry_max_s=0.05) as console:
        first = PtyPort()
        os.symlink(first.slave_path, link_path)
        assert console.connected.wait(5.0)
        os.unlink(link_path)
        first.close()  # unplugged: reads fail with EIO
        assert wait_for(lambda: not console.connected.is_set())
        with PtyPort() as second:
            os.symlink(second.slave_path, link_path)
            assert console.connected.wait(5.0)
            client = ConsoleClient(second, timeout_s=5.0)
            assert client.command(f"set {KEY} 3.1") == [f"OK {KEY}=3.1"]
        assert console.reconnects >= 1 and console._thread.is_alive()


def test_a_port_nobody_reads_drops_output_instead_of_blocking():
    holder = Holder()
    holder.cfg = holder.cfg.with_value("serial.stream_period_s", 0.02)
    big = "x=" + "y" * 4000  # fills the pty's buffer in a few lines
    with PtyPort() as pty, SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                         apply_config=holder.apply, stream_source=lambda: big,
                                         write_timeout_s=0.02, stall_backoff_s=0.05) as console:
        assert console.connected.wait(5.0)
        pty.write(b"stream on\n")
        assert wait_for(lambda: console.dropped_writes > 0, 30.0)  # nobody reads the master
        pty.write(b"stream off\n")
        assert wait_for(lambda: not console.protocol.streaming)
        client = ConsoleClient(pty, timeout_s=1.0)
        # The backlog that filled the pty drains as we read; a reply written while it was
        # still full is dropped by design (write timeout), so ask until one gets through.
        replies = []
        for _ in range(20):
            while client.read_lines(0.1):
                pass
            try:
                replies = client.command("version")
                break
            except SerialConsoleError:
                continue
        assert replies and replies[0].startswith("OK")
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 2.0 and not console._thread.is_alive()


def test_close_is_idempotent_prompt_and_final():
    holder = Holder()
    with PtyPort() as pty:
        console = SerialConsole(pty.slave_path, get_config=lambda: holder.cfg,
                                apply_config=holder.apply, read_timeout_s=0.1)
        console.start()
        assert console.connected.wait(5.0) and "connected" in repr(console)
        console.close()
        console.close()
        assert not console._thread.is_alive() and "closed" in repr(console)
        with pytest.raises(DeviceClosed):
            console.start()


def test_a_thread_that_will_not_die_is_reported(caplog):
    release = threading.Event()
    entered = threading.Event()

    def stuck_status():
        entered.set()
        release.wait(10.0)
        return {}

    holder = Holder()
    with PtyPort() as pty:
        console = SerialConsole(pty.slave_path, get_config=lambda: holder.cfg, apply_config=holder.apply,
                                status=stuck_status, join_timeout_s=0.05).start()
        assert console.connected.wait(5.0)
        pty.write(b"status\n")
        assert entered.wait(5.0)
        with caplog.at_level(logging.WARNING):
            console.close()
        assert "did not stop" in caplog.text
        release.set()
        console._thread.join(5.0)
        assert not console._thread.is_alive()

"""``backsight config``: the host side of the serial protocol against a real console,
reached by a pyserial ``socket://`` URL bridged to the console's pty (as
``socat TCP-LISTEN:PORT PTY`` would); replies printed, exit codes 0 / 1 / 2."""

from __future__ import annotations

import io
import select
import socket
import subprocess
import sys
import threading

import pytest

from helpers.pty_port import PtyPort
from pi_app.cli import main
from pi_app.config import SCHEMA, Config, load_config
from pi_app.config.mount import mount_keys
from pi_app.host import ConsoleClient, ConsoleReplyError, shell
from pi_app.serial_console import SerialConsole

#: slow: the host tool over a real pty and a TCP bridge, at real time
pytestmark = pytest.mark.slow


KEY = "obstacle.warning_ttc_s"


class TcpBridge:
    """Serves one TCP client at a time, relaying its bytes to and from a pty master."""

    def __init__(self, pty: PtyPort) -> None:
        self.pty = pty
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                self._relay(conn)

    def _relay(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([conn], [], [], 0.0)
            if readable:
                data = conn.recv(4096)
                if not data:
                    return
                self.pty.write(data)
            data = self.pty.read(4096)
            if data:
                conn.sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self.server.close()


class Device:
    def __init__(self) -> None:
        self.cfg = Config.defaults()

    def apply(self, cfg) -> None:
        self.cfg = cfg


@pytest.fixture
def device(tmp_path):
    """A console on a pty with a config file, reachable at ``device.url``."""
    dev = Device()
    dev.path = tmp_path / "config.toml"
    with PtyPort(timeout=0.01) as pty:
        console = SerialConsole(pty.slave_path, get_config=lambda: dev.cfg, apply_config=dev.apply,
                                status=lambda: {"level": "clear", "loop_hz": 200.0},
                                stream_source=lambda: "level=clear rear=1.500",
                                config_path=dev.path)
        with console:
            assert console.connected.wait(5.0)
            bridge = TcpBridge(pty)
            dev.url, dev.console = bridge.url, console
            yield dev
            bridge.close()


def cli(device, *args):
    return main(["config", "--port", device.url, "--timeout", "5", *args])


def test_get_one_and_all(device, capsys):
    assert cli(device, "get", KEY) == 0
    assert capsys.readouterr().out == f"OK {KEY}=2.5\n"
    assert cli(device, "get") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(SCHEMA) + len(mount_keys(device.cfg)) + 1 and out[-1].startswith("OK")


def test_set_applies_live_and_err_replies_exit_1(device, capsys):
    assert cli(device, "set", KEY, "3.0") == 0
    assert capsys.readouterr().out == f"OK {KEY}=3.0\n"
    assert device.cfg.obstacle.warning_ttc_s == 3.0
    assert cli(device, "set", KEY, "30") == 1
    err = capsys.readouterr().err
    assert err.startswith("ERR 3 ") and "outside the allowed range" in err
    assert cli(device, "set", "obstacle.nope", "1") == 1
    assert capsys.readouterr().err.startswith("ERR 2 ")
    assert cli(device, "set", "alert.button_pin", "-1") == 0  # a negative value is not an option
    assert device.cfg.obstacle.warning_ttc_s == 3.0


def test_a_console_link_change_needs_confirm(device, capsys):
    assert cli(device, "set", "serial.baudrate", "9600") == 1
    assert capsys.readouterr().err.startswith("ERR 9 confirm")
    assert device.cfg.serial.baudrate == 115200
    assert cli(device, "set", "serial.baudrate", "9600", "--confirm") == 0
    assert "applies at the next start" in capsys.readouterr().out
    assert device.cfg.serial.baudrate == 9600


def test_save_defaults_status(device, capsys):
    assert cli(device, "set", KEY, "3.4") == 0
    assert cli(device, "save") == 0
    assert load_config(device.path).obstacle.warning_ttc_s == 3.4
    assert cli(device, "defaults") == 0
    assert device.cfg.obstacle.warning_ttc_s == 2.5
    capsys.readouterr()
    assert cli(device, "status") == 0
    assert capsys.readouterr().out == "OK level=clear loop_hz=200 unsaved=1\n"


def test_stream_prints_telemetry_for_the_given_time_then_stops(device, capsys):
    assert cli(device, "stream", "--seconds", "0.5") == 0
    out = capsys.readouterr().out.splitlines()
    data = [line for line in out if line.startswith("DATA ")]
    assert data and all(line.endswith("level=clear rear=1.500") for line in data)
    assert not device.console.protocol.streaming


def test_shell_reads_piped_commands(device, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"get {KEY}\n\nset {KEY} 3.3\nbogus\nversion\n"))
    assert cli(device, "shell") == 1  # one command got ERR
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"OK {KEY}=2.5" and out[1] == f"OK {KEY}=3.3"
    assert out[2].startswith("ERR 1 ") and out[3].startswith("OK backsight")
    assert "backsight>" not in "".join(out)  # no prompt when piped


def test_shell_stops_at_quit_and_prints_a_prompt_on_a_terminal(device):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = io.StringIO()
    with ConsoleClient(device.url, timeout_s=5.0) as client:
        assert shell(client, Tty("version\nquit\nversion\n"), out) == 0
    lines = out.getvalue().split("backsight> ")
    assert lines[1].startswith("OK backsight") and len(lines) == 3


def test_a_port_that_cannot_be_opened_is_exit_2(tmp_path, capsys):
    assert main(["config", "--port", str(tmp_path / "ttyUSB9"), "status"]) == 2
    assert "cannot open" in capsys.readouterr().err
    assert main(["config", "--port", "nosuch://x", "status"]) == 2


def test_no_reply_is_exit_2_with_a_hint(capsys):
    with PtyPort() as silent:  # a port with nothing on the other end
        assert main(["config", "--port", silent.slave_path, "--timeout", "0.2", "status"]) == 2
    err = capsys.readouterr().err
    assert "no reply" in err and "right port and baud rate" in err


def test_usage_errors_are_exit_2(capsys):
    for argv in (["config", "get"], ["config", "--port", "loop://"], ["config", "--port", "loop://", "set", KEY]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


def test_client_rejects_a_line_it_cannot_send():
    with PtyPort() as pty:
        client = ConsoleClient(pty, timeout_s=0.1)
        for bad in ("", "get\nset", "set x \u00e9"):
            with pytest.raises(ValueError):
                client.command(bad)


def test_reply_error_carries_code_and_message(device):
    with ConsoleClient(device.url, timeout_s=5.0) as client:
        with pytest.raises(ConsoleReplyError) as info:
            client.command("frobnicate")
    assert info.value.code == 1 and info.value.message.startswith("unknown command")


def test_the_installed_command_line_end_to_end(device):
    result = subprocess.run([sys.executable, "-m", "pi_app", "config", "--port", device.url,
                             "set", KEY, "2.9"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"OK {KEY}=2.9\n" and device.cfg.obstacle.warning_ttc_s == 2.9

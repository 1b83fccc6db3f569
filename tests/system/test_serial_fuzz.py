"""Property tests: thousands of random and valid-looking lines never raise out of the line
handler, never change the config unless they are a valid ``set`` (or ``defaults``), and
the console thread on a real pty agrees with the pure handler."""

from __future__ import annotations

import itertools
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.pty_port import PtyPort
from pi_app.config import FIELDS, Config
from pi_app.exc import ConfigError
from pi_app.host import ConsoleClient
from pi_app.serial_console import SerialConsole
from pi_app.serial_protocol import KEPT_BY_DEFAULTS, MAX_LINE_BYTES, ConsoleProtocol, LineFramer

KEYS = sorted(FIELDS)
WORDS = ["help", "version", "get", "set", "SET", "Set", "save", "defaults", "status", "stream",
         "on", "off", "sett", "", "get\t", "set  "]
VALUES = ["3.0", "0.3", "10", "10.0001", "-1", "1e3", "nan", "inf", "-inf", "true", "off", "0x10",
          "2.5", "1.19", "4.0", "treadmill", "bike", "", "3.0 4.0", "1_0", "  7 ",
          "9600", "9600 confirm", "/dev/ttyGS0", "/dev/ttyGS0 CONFIRM", "loop://", "18", "2", "14"]


@st.composite
def valid_looking_lines(draw) -> bytes:
    parts = [draw(st.sampled_from(WORDS))]
    parts += draw(st.lists(st.one_of(st.sampled_from(KEYS), st.sampled_from(VALUES),
                                     st.sampled_from(["obstacle.", "obstacle.warning_ttc", "x.y"]),
                                     st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126),
                                             max_size=12)), max_size=3))
    sep = draw(st.sampled_from([" ", "  ", "\t", " \t "]))
    return sep.join(parts).encode("ascii")


VALID_SETS = [b"set obstacle.warning_ttc_s 3.0", b"SET alert.tonal on", b"set surface.drop_m 0.08",
              b"set device.mode treadmill", b"set\tobstacle.warning_ttc_s 2.2 ", b"defaults"]
LINES = st.one_of(valid_looking_lines(), st.sampled_from(VALID_SETS),
                  st.binary(max_size=MAX_LINE_BYTES + 40),
                  st.text(max_size=40).map(lambda t: t.encode("utf-8")))


def expected_config(cfg: Config, raw: bytes | None) -> Config:
    """The protocol spec for config changes, written independently of the handler."""
    if raw is None or len(raw) > MAX_LINE_BYTES or any(not (32 <= b <= 126 or b == 9) for b in raw):
        return cfg
    words = raw.decode("ascii").split()
    if not words:
        return cfg
    command = words[0].lower()
    if command == "defaults" and len(words) == 1:
        values = dict(Config.defaults().values)
        values.update({k: cfg.get(k) for k in KEPT_BY_DEFAULTS})
        return Config(values, cfg.sensors, cfg.source)
    if command != "set" or len(words) < 3 or words[1] not in FIELDS:
        return cfg
    key, value = words[1], raw.decode("ascii").split(None, 2)[2].strip()
    confirmed = False
    if key in ("serial.port", "serial.baudrate") and len(value.split()) > 1 \
            and value.split()[-1].lower() == "confirm":
        value, confirmed = value.rsplit(None, 1)[0], True
    try:
        new = cfg.with_value(key, value)
    except ConfigError:
        return cfg
    if key in ("serial.port", "serial.baudrate") and new.get(key) != cfg.get(key) and not confirmed:
        return cfg       # the console link changes only when confirmed
    return new


def check_replies(raw: bytes, replies: list[str]) -> None:
    if raw is not None and not raw.strip(b" \t"):
        assert replies == []  # blank lines are ignored
        return
    assert replies, raw
    final = replies[-1]
    assert final == "OK" or final.startswith("OK ") or final.startswith("ERR "), final
    if final.startswith("ERR "):
        assert len(replies) == 1 and 1 <= int(final.split()[1]) <= 9
    for line in replies:
        assert line.isascii() and line.isprintable() and "\n" not in line


def _feed_and_check(lines) -> Config:
    state = {"cfg": Config.defaults()}
    proto = ConsoleProtocol(lambda: state["cfg"], lambda c: state.update(cfg=c),
                            status=lambda: {"level": "clear"}, stream_source=lambda: "x=1")
    for raw in lines:
        expected = expected_config(state["cfg"], raw)
        frame = None if len(raw) > MAX_LINE_BYTES else raw
        replies = proto.handle_bytes(frame)
        check_replies(frame, replies)
        assert state["cfg"] == expected
    return state["cfg"]


@settings(max_examples=800, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=8))
def test_random_lines_never_raise_and_change_config_only_by_valid_commands(lines):
    _feed_and_check(lines)


def test_twenty_thousand_seeded_random_lines():
    rng = random.Random(6)
    vocabulary = WORDS + KEYS + VALUES

    def line() -> bytes:
        kind = rng.random()
        if kind < 0.4:
            return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 4))).encode()
        if kind < 0.5:
            return f"set {rng.choice(KEYS)} {rng.choice(VALUES)}".encode()
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))

    lines = [line() for _ in range(20000)]
    final = _feed_and_check(lines)
    assert final != Config.defaults()  # some of the sets were valid and did apply


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=1, max_value=300), max_size=20))
def test_framing_does_not_depend_on_how_the_bytes_were_chunked(stream, cuts):
    whole = LineFramer().feed(stream)
    framer = LineFramer()
    pieces, start = [], 0
    for cut in itertools.accumulate(cuts):
        pieces.append(framer.feed(stream[start:cut]))
        start = cut
    pieces.append(framer.feed(stream[start:]))
    assert [line for piece in pieces for line in piece] == whole
    for line in whole:
        assert line is None or (0 < len(line) <= MAX_LINE_BYTES and b"\n" not in line and b"\r" not in line)


class _Device:
    def __init__(self) -> None:
        self.cfg = Config.defaults()

    def apply(self, cfg) -> None:
        self.cfg = cfg


def _sync(client: ConsoleClient, pty: PtyPort, nonce: str) -> list[str]:
    """Wait until everything sent so far was answered: the reply to a unique bad key."""
    pty.write(f"\nhelp {nonce}\n".encode())
    seen: list[str] = []
    deadline_s = time.monotonic() + 5.0
    while time.monotonic() < deadline_s:
        seen += client.read_lines(0.0)
        if any(nonce in line for line in seen):
            return seen
        time.sleep(0.001)
    raise AssertionError(f"no reply to the sync line {nonce}")


def test_the_console_on_a_pty_agrees_with_the_pure_handler():
    device = _Device()
    counter = itertools.count()
    configs_seen = set()
    with PtyPort() as pty, SerialConsole(pty.slave_path, get_config=lambda: device.cfg,
                                         apply_config=device.apply) as console:
        assert console.connected.wait(5.0)
        client = ConsoleClient(pty, timeout_s=5.0)

        @settings(max_examples=60, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(st.lists(st.one_of(LINES, st.binary(min_size=300, max_size=700)), max_size=5),
               st.sampled_from([b"\n", b"\r\n", b"\r"]))
        def run(lines, terminator):
            expected = device.cfg
            for raw in lines:
                for frame in LineFramer().feed(raw.replace(b"\n", b"").replace(b"\r", b"") + b"\n"):
                    expected = expected_config(expected, frame)
                pty.write(raw.replace(b"\n", b"").replace(b"\r", b"") + terminator)
            nonce = f"sync{next(counter)}"
            replies = _sync(client, pty, nonce)
            assert replies[-1].startswith(f"ERR 2 unknown key '{nonce}'")
            assert device.cfg == expected
            configs_seen.add(device.cfg.to_toml())

        run()
        assert console._thread.is_alive() and console.reconnects == 0
        assert len(configs_seen) > 2  # valid sets went through, not only rejections

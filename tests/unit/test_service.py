"""sd_notify over a real AF_UNIX datagram socket, as systemd's notification socket."""

import os
import socket
import sys

import pytest

from pi_app.service import Notifier, notify_address, watchdog_period_s


@pytest.fixture
def manager(tmp_path):
    """A datagram socket standing in for systemd's /run/systemd/notify."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)  # a failing test must not hang
    yield sock, str(path)
    sock.close()


def receive(sock) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def nothing_pending(sock) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(4096)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(2.0)
    return False


def test_ready_status_stopping_reach_the_socket(manager):
    sock, path = manager
    with Notifier(env={"NOTIFY_SOCKET": path}) as notifier:
        assert notifier.enabled
        assert notifier.ready(status="self-test passed: 3 sensors")
        assert receive(sock) == ["READY=1", "STATUS=self-test passed: 3 sensors"]
        assert notifier.status("obstacle WARNING\nrear 1.2 m")
        assert receive(sock) == ["STATUS=obstacle WARNING rear 1.2 m"]  # stays one field
        assert notifier.stopping()
        assert receive(sock) == ["STOPPING=1"]


def test_watchdog_is_rate_limited_to_half_the_period(manager):
    sock, path = manager
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": str(os.getpid())}
    notifier = Notifier(env=env)
    assert notifier.watchdog_interval_s == pytest.approx(1.5)
    sent = [t for t in (0.0, 0.005, 1.0, 1.499, 1.5, 2.0, 2.999, 3.0) if notifier.watchdog(t)]
    assert sent == [0.0, 1.5, 3.0]
    assert [receive(sock) for _ in sent] == [["WATCHDOG=1"]] * 3
    assert nothing_pending(sock)
    # without a time it always pings
    assert notifier.watchdog()
    assert receive(sock) == ["WATCHDOG=1"]
    notifier.close()
    notifier.close()


def test_watchdog_with_time_does_nothing_when_no_watchdog_is_configured(manager):
    sock, path = manager
    notifier = Notifier(env={"NOTIFY_SOCKET": path})
    assert notifier.watchdog_interval_s is None
    assert not notifier.watchdog(10.0)
    assert nothing_pending(sock)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract sockets are Linux-only")
def test_abstract_socket_name():
    name = f"backsight-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(2.0)
    try:
        assert notify_address({"NOTIFY_SOCKET": "@" + name}) == b"\0" + name.encode()
        assert Notifier(env={"NOTIFY_SOCKET": "@" + name}).ready()
        assert receive(sock) == ["READY=1"]
    finally:
        sock.close()


def test_no_notify_socket_means_no_ops():
    notifier = Notifier(env={})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert not notifier.watchdog(1.0)
    assert not notifier.status("x")
    assert not notifier.stopping()
    assert "disabled" in repr(notifier)


def test_a_vanished_socket_does_not_raise(tmp_path, caplog):
    notifier = Notifier(env={"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert len([r for r in caplog.records if "sd_notify" in r.message]) == 1  # warned once


def test_relative_notify_socket_is_ignored():
    assert notify_address({"NOTIFY_SOCKET": "relative/path"}) is None


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "5000000"}, 5.0),
    ({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "4242"}, 5.0),
    ({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "1"}, None),      # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "x"}, None),
])
def test_watchdog_period(env, expected):
    assert watchdog_period_s(env, pid=4242) == expected

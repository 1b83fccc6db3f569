"""One exception tree. Each class also inherits the matching builtin, so callers may
catch either ``BacksightError`` or e.g. ``ValueError`` / ``OSError`` (as gpiozero does)."""


class BacksightError(Exception):
    """Base of every error raised by backsight."""


class ConfigError(BacksightError, ValueError):
    """A configuration value or file is invalid; the message names the key."""


class ScenarioError(ConfigError):
    """A scenario file is invalid; the message names the file and the key."""


class SensorError(BacksightError, OSError):
    """A sensor could not be started or talked to."""


class ChipIdError(SensorError):
    """The chip at an address is not the one expected (wiring, address or part)."""


class SensorTimeout(SensorError):
    """A sensor did not become ready before its deadline."""


class OutputError(BacksightError, OSError):
    """A buzzer or haptic output could not be driven."""


class SerialConsoleError(BacksightError, OSError):
    """The serial console could not open or use its port."""


class ProtocolError(BacksightError, ValueError):
    """A serial protocol reply was an ERR (host side)."""


class DeviceClosed(BacksightError, RuntimeError):
    """An operation was attempted on a closed device."""

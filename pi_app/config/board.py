"""Raspberry Pi facts the settings are checked against: which GPIOs the I2C buses and
the console UART own (an output or button there would break them), and the rates a
host terminal can be set to.
"""

from __future__ import annotations

# BCM GPIO numbers. I2C bus 1 is GPIO2 SDA / GPIO3 SCL; bus 0 is GPIO0 ID_SD / GPIO1
# ID_SC, the HAT ID EEPROM pins. Other bus numbers are i2c-gpio overlays whose pins
# config.txt chooses: nothing fixed to check for them.
I2C_PINS = {0: {0: "ID_SD", 1: "ID_SC"}, 1: {2: "SDA", 3: "SCL"}}
# The GPIO UART that the console uses by default: TXD on GPIO14, RXD on GPIO15, reached
# through these device names (serial0 is the Pi's alias for whichever UART is on the header).
UART_PINS = {14: "TXD", 15: "RXD"}
GPIO_UART_PORTS = ("/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0")
# Rates the Linux tty layer has a constant for (termios B1200..B4000000): a terminal on
# the host can be set to any of them, to an odd rate often not.
STANDARD_BAUDRATES = (1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
                      460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
                      2500000, 3000000, 3500000, 4000000)

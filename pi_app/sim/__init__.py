"""Simulated hardware: an smbus2-compatible bus over register-level chip emulators,
a world model that the emulators measure, scenarios and their evaluation."""

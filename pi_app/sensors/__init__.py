"""Sensor drivers. Each speaks bytes through an smbus2-compatible bus object."""

"""Outputs that tell the runner: the pattern table, the buzzer, the haptic motors
(one per hip; PWM or DRV2605), the mute/profile button, and ``AlertOutputs`` that the loop
commands every cycle on its own clock."""

from pi_app.alert.base import PatternOutput
from pi_app.alert.patterns import Pattern, PatternPlayer, pattern_for

__all__ = ["Pattern", "PatternOutput", "PatternPlayer", "pattern_for"]

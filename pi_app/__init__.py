"""backsight: rear-obstacle warnings for people who run backwards."""

__version__ = "0.1.0"

"""``python3 -m pi_app.config``: print the default config with a comment per key. The
installer runs it with the system python3, so it needs the standard library alone."""

from pi_app.config.files import documented_defaults_toml

print(documented_defaults_toml(), end="")

#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv, installs backsight into it, then
#   scripts/dev.sh demo [ARGS]   runs the simulated device in the terminal
#   scripts/dev.sh test [ARGS]   runs the test suite (pytest ARGS)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

make_venv() {
    if [ -x .venv/bin/python ]; then return; fi
    if ! "$PY" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "python3 -m venv failed; installing Debian's python3-venv" >&2
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            "$PY" -m venv .venv
        else
            echo "python3 -m venv failed: install it with 'sudo apt-get install python3-venv'" >&2
            exit 1
        fi
    fi
}

cmd="${1:-}"
shift || true
make_venv
case "$cmd" in
    demo)
        .venv/bin/pip install -q --disable-pip-version-check -e .
        exec .venv/bin/backsight demo "$@"
        ;;
    test)
        .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: scripts/dev.sh demo|test [ARGS...]" >&2
        exit 2
        ;;
esac

#!/usr/bin/env bash
# One entry point for a fresh machine: creates .venv, installs backsight into it, then
#   scripts/dev.sh demo [ARGS]   runs the simulated device in the terminal
#   scripts/dev.sh test [ARGS]   runs the test suite (pytest ARGS)
# It installs only when needed: .venv/.backsight-installed holds the sha256 of the
# pyproject.toml last installed and the extras installed with it, so once installed it
# runs offline until pyproject.toml changes (or the package cannot be imported).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
STAMP=.venv/.backsight-installed

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

pyproject_sha256() {
    if command -v sha256sum >/dev/null; then
        sha256sum pyproject.toml | cut -d' ' -f1
    else
        shasum -a 256 pyproject.toml | cut -d' ' -f1
    fi
}

# ensure_installed EXTRAS MODULES...: install backsight (with EXTRAS, "" for none)
# unless the stamp says this pyproject.toml is installed with them and MODULES import.
ensure_installed() {
    local extras="$1" sha have_sha="" have_extras=""
    shift
    sha="$(pyproject_sha256)"
    if [ -f "$STAMP" ]; then read -r have_sha have_extras < "$STAMP" || true; fi
    if [ "$sha" = "$have_sha" ] && { [ -z "$extras" ] || [ "$extras" = "$have_extras" ]; } \
            && .venv/bin/python -c "import $(IFS=,; echo "$*")" 2>/dev/null; then
        return
    fi
    echo "dev.sh: installing backsight${extras:+[$extras]} into .venv" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
    printf '%s %s\n' "$sha" "$extras" > "$STAMP"
}

cmd="${1:-}"
shift || true
case "$cmd" in
    demo)
        make_venv
        ensure_installed "" pi_app
        exec .venv/bin/python -m pi_app demo "$@"
        ;;
    test)
        make_venv
        ensure_installed test pi_app pytest hypothesis
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: scripts/dev.sh demo|test [ARGS...]" >&2
        exit 2
        ;;
esac

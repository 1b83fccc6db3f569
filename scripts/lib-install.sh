# shellcheck shell=bash
# Helpers shared by scripts/install.sh and scripts/uninstall.sh (sourced, not run).
# Expects die, ROOT ("" = this machine, else the image/test directory) and USER_NAME.
# Under --root, users and groups are edited in ROOT/etc/{passwd,group,shadow,gshadow}
# directly (what useradd --prefix would do), so nothing touches this machine.

STATE_FILE_REL="opt/backsight/install-state"
MODEL_FILES="${BACKSIGHT_MODEL_FILES:-/proc/device-tree/model /sys/firmware/devicetree/base/model}"

# resolve_root DIR: DIR as a real path (//, /./, trailing slashes and symlinks resolved);
# "" when that is this machine's /, which then gets every check a plain run gets. Any
# other DIR must look like a root file system, so nothing is ever written beside one.
resolve_root() {
    local real
    real="$(realpath -e -- "$1" 2>/dev/null)" && [ -d "$real" ] || die "--root $1: no such directory"
    if [ "$real" = / ]; then
        echo ""
        return 0
    fi
    [ -f "$real/etc/passwd" ] && [ -f "$real/etc/group" ] \
        || die "--root $1: $real has no etc/passwd and etc/group, so it is not a root file system"
    echo "$real"
}

board_model() {
    local f
    for f in $MODEL_FILES; do
        if [ -r "$f" ]; then tr -d '\0' < "$f"; return 0; fi
    done
    echo "unknown (no device-tree model file)"
}

# require_this_pi VERB: a run against this machine (no --root) must be on a Raspberry
# Pi and as root.
require_this_pi() {
    local model
    model="$(board_model)"
    case "$model" in
        *"Raspberry Pi"*) ;;
        *) die "refusing to $1: this is not a Raspberry Pi (model: $model); for a Raspberry Pi OS image or a test directory use --root DIR" ;;
    esac
    [ "$(id -u)" = 0 ] || die "run as root: sudo $0"
}

boot_config_path() {
    local c
    for c in "$ROOT/boot/firmware/config.txt" "$ROOT/boot/config.txt"; do
        if [ -f "$c" ]; then echo "$c"; return 0; fi
    done
    return 1
}

# put_file SRC DEST MODE: install only when content or mode differ (a rerun keeps mtimes).
put_file() {
    local src="$1" dest="$2" mode="$3"
    if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$dest")"
    install -m "$mode" "$src" "$dest"
    echo "install.sh: installed ${dest#"$ROOT"}"
}

# pi_extra PYTHON...: "[pi]" when the venv must get lgpio from PyPI (pyproject.toml's
# [pi] extra, the pin library gpiozero 2 tries first), "" when PYTHON already imports it:
# Raspberry Pi OS ships python3-lgpio, seen by the venv through --system-site-packages.
pi_extra() {
    if "$@" -c 'import lgpio' 2>/dev/null; then
        echo ""
    else
        echo "[pi]"
    fi
}

# --- install state (what install created, so uninstall removes only that) ------------
state_get() {
    local f="$ROOT/$STATE_FILE_REL"
    [ -f "$f" ] || return 0
    sed -n "s/^$1=//p" "$f"
}

state_set() {
    local f="$ROOT/$STATE_FILE_REL" key="$1" value="$2"
    [ "$(state_get "$key")" = "$value" ] && return 0
    mkdir -p "$(dirname "$f")"
    { [ -f "$f" ] && grep -v "^$key=" "$f" || true; echo "$key=$value"; } > "$f.new"
    mv "$f.new" "$f"
}

# --- account database --------------------------------------------------------------
has_group() {
    if [ -n "$ROOT" ]; then grep -q "^$1:" "$ROOT/etc/group" 2>/dev/null; else getent group "$1" >/dev/null; fi
}

has_user() {
    if [ -n "$ROOT" ]; then grep -q "^$1:" "$ROOT/etc/passwd" 2>/dev/null; else getent passwd "$1" >/dev/null; fi
}

in_group() {  # in_group USER GROUP
    if [ -n "$ROOT" ]; then
        awk -F: -v u="$1" -v g="$2" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 }
                                     END { exit !found }' "$ROOT/etc/group"
    else
        id -nG "$1" 2>/dev/null | tr ' ' '\n' | grep -qx "$2"
    fi
}

# Highest free id in the system range (100..999), as useradd --system picks them.
_free_id() {  # _free_id FILE [FILE...]
    local id
    for id in $(seq 999 -1 100); do
        if ! cat "$@" 2>/dev/null | awk -F: -v id="$id" '$3 == id { found = 1 } END { exit !found }'; then
            echo "$id"; return 0
        fi
    done
    die "no free system id below 1000"
}

_rewrite() {  # _rewrite FILE AWK-PROGRAM [awk -v args...]: edit in place, keep owner/mode
    local file="$1" prog="$2"; shift 2
    [ -f "$file" ] || return 0
    awk -F: -v OFS=: "$@" "$prog" "$file" > "$file.backsight-tmp"
    cat "$file.backsight-tmp" > "$file"
    rm -f "$file.backsight-tmp"
}

root_add_group() {  # root_add_group NAME [GID]
    local gid="${2:-$(_free_id "$ROOT/etc/group")}"
    echo "$1:x:$gid:" >> "$ROOT/etc/group"
    [ ! -f "$ROOT/etc/gshadow" ] || echo "$1:!::" >> "$ROOT/etc/gshadow"
}

root_add_user() {
    local uid gid
    uid="$(_free_id "$ROOT/etc/passwd" "$ROOT/etc/group")"
    gid="$uid"
    has_group "$1" || root_add_group "$1" "$gid"
    gid="$(awk -F: -v g="$1" '$1 == g { print $3 }' "$ROOT/etc/group")"
    echo "$1:x:$uid:$gid:backsight device service:/var/lib/backsight:/usr/sbin/nologin" >> "$ROOT/etc/passwd"
    [ ! -f "$ROOT/etc/shadow" ] || echo "$1:!:::::::" >> "$ROOT/etc/shadow"
}

root_add_member() {  # root_add_member GROUP USER
    local f
    for f in "$ROOT/etc/group" "$ROOT/etc/gshadow"; do
        _rewrite "$f" '$1 == g { $4 = ($4 == "" ? u : $4 "," u) } { print }' -v g="$1" -v u="$2"
    done
}

root_remove_member() {  # root_remove_member USER (from every group)
    local f
    for f in "$ROOT/etc/group" "$ROOT/etc/gshadow"; do
        _rewrite "$f" '{ n = split($4, m, ","); out = ""
                         for (i = 1; i <= n; i++) if (m[i] != u) out = (out == "" ? m[i] : out "," m[i])
                         if (NF >= 4) $4 = out; print }' -v u="$1"
    done
}

root_remove_entry() {  # root_remove_entry NAME FILE...
    local name="$1" f; shift
    for f in "$@"; do
        _rewrite "$f" '$1 != n { print }' -v n="$name"
    done
}

# Hand the config directory to the service user's group (serial "save" writes there).
own_by_service() {
    if [ -z "$ROOT" ]; then
        chown "root:$USER_NAME" "$@"
    elif [ "$(id -u)" = 0 ]; then
        chown "0:$(awk -F: -v g="$USER_NAME" '$1 == g { print $3 }' "$ROOT/etc/group")" "$@"
    else
        LOG_LINES+=("not run (--root, not root): chown root:$USER_NAME ${*#"$ROOT"}")
    fi
}

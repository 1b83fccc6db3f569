#!/usr/bin/env bash
# Remove what scripts/install.sh added, and nothing the user wrote.
#
#   sudo scripts/uninstall.sh [--purge]
#   scripts/uninstall.sh --root DIR [--purge]
#
# Stops and disables the service; removes the unit, its drop-ins, the udev rule, the
# watchdog drop-in, /etc/modules-load.d/backsight-i2c.conf, overlays/backsight.dtbo
# and /opt/backsight (venv included). In config.txt only the lines between
# "# >>> backsight >>>" and "# <<< backsight <<<" go: lines added after installing
# stay. If nothing else changed, the file is restored byte for byte from
# config.txt.backsight-orig; otherwise that backup is kept and named. Deletes the
# backsight user and the groups that install.sh had to create.
# /etc/backsight/config.toml is kept (and named) unless it still is exactly the
# defaults install.sh wrote; --purge deletes /etc/backsight whatever it holds.
# /var/lib/backsight (the service's own data) is kept.
# --root DIR works below DIR and runs nothing against this machine (DIR is resolved
# to its real path; if that is /, this machine is meant, with all its checks).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT=""
PURGE=0
USER_NAME="backsight"
BEGIN_MARK="# >>> backsight >>>"
END_MARK="# <<< backsight <<<"

die() { echo "uninstall.sh: $*" >&2; exit 1; }
say() { echo "uninstall.sh: $*"; }

# shellcheck source=scripts/lib-install.sh
. "$SRC/scripts/lib-install.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$(resolve_root "$2")" || exit 1; shift 2 ;;
        --root=*) ROOT="$(resolve_root "${1#--root=}")" || exit 1; shift ;;
        --purge) PURGE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[ -n "$ROOT" ] || require_this_pi uninstall

host() {  # against this machine only; ignore failures (the thing may be gone already)
    [ -z "$ROOT" ] || return 0
    say "+ $*"
    "$@" || true
}

remove() {
    local p
    for p in "$@"; do
        if [ -e "$p" ] || [ -L "$p" ]; then rm -rf "$p"; say "removed ${p#"$ROOT"}"; fi
    done
}

# cat FILE with a final newline added if it lacks one (as install.sh's merge leaves it)
with_final_newline() {
    cat "$1"
    [ -z "$(tail -c 1 "$1")" ] || echo
}

# config.txt: take out the marked block, keep every other line.
remove_boot_block() {
    local cfg="$1" backup="$1.backsight-orig" stripped
    stripped="$(mktemp)"
    awk -v begin="$BEGIN_MARK" -v end="$END_MARK" '
        index($0, begin) == 1 { skip = 1; next }
        skip { if (index($0, end) == 1) skip = 0; next }
        { print }' "$cfg" > "$stripped"
    if [ -f "$backup" ] && with_final_newline "$backup" | cmp -s - "$stripped"; then
        mv -f "$backup" "$cfg"      # unchanged since install: the exact original, mtime too
        say "restored $cfg from its backup (no other changes since install)"
    elif ! cmp -s "$stripped" "$cfg"; then
        cat "$stripped" > "$cfg"    # keeps the file's owner and mode
        say "removed the backsight block from $cfg; every other line is kept"
        [ ! -f "$backup" ] || say "kept $backup (config.txt from before install; yours changed since)"
    fi
    rm -f "$stripped"
}

# /etc/backsight: the user's settings stay unless they are still install.sh's defaults.
remove_config() {
    local dir="$ROOT/etc/backsight" cfg="$ROOT/etc/backsight/config.toml"
    if [ "$PURGE" = 1 ]; then
        remove "$dir"
        return
    fi
    [ -e "$cfg" ] || return 0
    if [ "$(state_get config_created)" = 1 ] \
            && [ "$(sha256sum < "$cfg" | cut -d' ' -f1)" = "$(state_get config_sha256)" ]; then
        remove "$cfg"
        rmdir "$dir" 2>/dev/null || say "kept ${dir#"$ROOT"}: it holds other files"
    else
        KEPT_CONFIG="$dir"
        say "kept ${cfg#"$ROOT"} (your settings; a new install uses them again;" \
            "scripts/uninstall.sh --purge deletes them)"
    fi
}

# A kept config must not stay owned by the group that is removed below (its id would
# pass to whichever group gets it next).
hand_kept_config_to_root() {
    [ -n "$KEPT_CONFIG" ] && [ -d "$KEPT_CONFIG" ] || return 0
    if [ -z "$ROOT" ] || [ "$(id -u)" = 0 ]; then
        chown -R 0:0 "$KEPT_CONFIG"
    fi
}

KEPT_CONFIG=""
host systemctl disable --now backsight.service
remove "$ROOT/etc/systemd/system/multi-user.target.wants/backsight.service" \
       "$ROOT/etc/systemd/system/backsight.service" \
       "$ROOT/etc/systemd/system/backsight.service.d" \
       "$ROOT/etc/udev/rules.d/99-backsight.rules" \
       "$ROOT/etc/systemd/system.conf.d/backsight-watchdog.conf" \
       "$ROOT/etc/modules-load.d/backsight-i2c.conf"
host systemctl daemon-reload
host udevadm control --reload

if cfg="$(boot_config_path)"; then
    remove_boot_block "$cfg"
    remove "$(dirname "$cfg")/overlays/backsight.dtbo"
fi

remove_config

# user and groups (read the state before /opt/backsight goes)
groups_created="$(state_get groups_created)"
if [ "$(state_get user_created)" = 1 ]; then
    hand_kept_config_to_root
    if [ -n "$ROOT" ]; then
        root_remove_member "$USER_NAME"
        root_remove_entry "$USER_NAME" "$ROOT/etc/passwd" "$ROOT/etc/shadow" "$ROOT/etc/group" "$ROOT/etc/gshadow"
    else
        host userdel "$USER_NAME"
        getent group "$USER_NAME" >/dev/null && host groupdel "$USER_NAME"
    fi
    say "removed user $USER_NAME"
fi
for g in $groups_created; do
    if [ -n "$ROOT" ]; then
        root_remove_entry "$g" "$ROOT/etc/group" "$ROOT/etc/gshadow"
    else
        host groupdel "$g"
    fi
    say "removed group $g (install.sh had created it)"
done
dirs_created="$(state_get dirs_created)"
remove "$ROOT/opt/backsight"
# directories install.sh created, deepest first; only empty ones go
# shellcheck disable=SC2086  # a space-separated list, split on purpose
for d in $(printf '%s\n' $dirs_created | sort -r); do
    rmdir "$ROOT/$d" 2>/dev/null || true
done
[ ! -d "$ROOT/var/lib/backsight" ] || say "kept /var/lib/backsight (what the service recorded); delete it if you do not need it"
say "done."

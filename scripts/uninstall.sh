#!/usr/bin/env bash
# Remove what scripts/install.sh added.
#
#   sudo scripts/uninstall.sh [--keep-config]
#   scripts/uninstall.sh --root DIR [--keep-config]
#
# Stops and disables the service; removes the unit, its drop-ins, the udev rule, the
# watchdog drop-in, overlays/backsight.dtbo and /opt/backsight (venv included);
# restores config.txt byte for byte from config.txt.backsight-orig (or, without that
# backup, deletes the "# >>> backsight >>>" block); deletes the backsight user and
# the groups that install.sh had to create; deletes /etc/backsight if install.sh
# created config.toml there (kept with --keep-config, or when it was there before).
# /var/lib/backsight (the service's own data) is kept.
# --root DIR works below DIR and runs nothing against this machine.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT=""
KEEP_CONFIG=0
USER_NAME="backsight"
BEGIN_MARK="# >>> backsight >>>"
END_MARK="# <<< backsight <<<"

die() { echo "uninstall.sh: $*" >&2; exit 1; }
say() { echo "uninstall.sh: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$(cd "$2" && pwd)" || die "no directory $2"; shift 2 ;;
        --root=*) ROOT="$(cd "${1#--root=}" && pwd)" || die "no directory ${1#--root=}"; shift ;;
        --keep-config) KEEP_CONFIG=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[ "$ROOT" = "/" ] && ROOT=""
[ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "run as root: sudo scripts/uninstall.sh"

# shellcheck source=scripts/lib-install.sh
. "$SRC/scripts/lib-install.sh"

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

host systemctl disable --now backsight.service
remove "$ROOT/etc/systemd/system/multi-user.target.wants/backsight.service" \
       "$ROOT/etc/systemd/system/backsight.service" \
       "$ROOT/etc/systemd/system/backsight.service.d" \
       "$ROOT/etc/udev/rules.d/99-backsight.rules" \
       "$ROOT/etc/systemd/system.conf.d/backsight-watchdog.conf"
host systemctl daemon-reload
host udevadm control --reload

# boot config
if cfg="$(boot_config_path)"; then
    if [ -f "$cfg.backsight-orig" ]; then
        mv -f "$cfg.backsight-orig" "$cfg"
        say "restored $cfg from its backup"
    elif grep -q "^$BEGIN_MARK" "$cfg"; then
        awk -v begin="$BEGIN_MARK" -v end="$END_MARK" '
            index($0, begin) == 1 { skip = 1; next }
            skip { if (index($0, end) == 1) skip = 0; next }
            { print }' "$cfg" > "$cfg.backsight-tmp"
        cat "$cfg.backsight-tmp" > "$cfg"
        rm -f "$cfg.backsight-tmp"
        say "removed the backsight block from $cfg (no backup found)"
    fi
    remove "$(dirname "$cfg")/overlays/backsight.dtbo"
fi

# config (only if install.sh wrote it)
if [ "$KEEP_CONFIG" = 0 ] && [ "$(state_get config_created)" = 1 ]; then
    remove "$ROOT/etc/backsight"
fi

# user and groups (read the state before /opt/backsight goes)
groups_created="$(state_get groups_created)"
if [ "$(state_get user_created)" = 1 ]; then
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

#!/usr/bin/env bash
# Install backsight as a boot-time service on a Raspberry Pi (or into an image).
#
#   sudo scripts/install.sh [--realtime] [--no-venv] [--no-enable]
#   scripts/install.sh --root DIR [--no-venv] ...     install into a mounted image / test tree
#
# What it does (every step is idempotent; a second run changes nothing):
#   1. /boot/firmware/config.txt (or /boot/config.txt): backs it up once to
#      config.txt.backsight-orig, then puts firmware/config.txt.fragment between
#      "# >>> backsight >>>" and "# <<< backsight <<<" (an existing block is
#      replaced in place, never duplicated). Compiles firmware/backsight-overlay.dts
#      into overlays/backsight.dtbo when dtc is installed (not enabled by default).
#   2. groups i2c, gpio, dialout (created if missing) and the system user
#      backsight (home /var/lib/backsight, no login) in those groups.
#   3. /opt/backsight/venv (python3 -m venv --system-site-packages) with this
#      package; plus its [pi] extra (lgpio, gpiozero's first choice) unless the OS
#      already provides lgpio (python3-lgpio).
#   4. /etc/backsight/config.toml with every setting at its default (rendered by
#      "python3 -m pi_app.config" before anything is changed), only if it does not
#      exist: a tuned config is never overwritten.
#   5. systemd/backsight.service, systemd/99-backsight.rules, the hardware
#      watchdog drop-in (with --realtime the SCHED_FIFO drop-in, without it an
#      earlier one is removed), /etc/modules-load.d/backsight-i2c.conf (loads
#      i2c-dev at boot; modprobe now); reloads udev and systemd, enables the service
#      (it starts at the next boot).
#
# --root DIR   writes everything below DIR and runs nothing against this machine
#              (DIR is resolved to its real path; if that is /, this machine is meant,
#              with all its checks; any other DIR needs etc/passwd and etc/group):
#              users and groups are written straight into DIR/etc/passwd, group,
#              shadow, gshadow; "enable" is the wants/ symlink systemctl would make;
#              the commands that were not run are listed in
#              DIR/opt/backsight/install.log. The venv is built with chroot into DIR
#              (needs DIR/usr/bin/python3 of this machine's architecture); use
#              --no-venv to skip it. The Raspberry Pi check is skipped.
# --no-venv    skip step 3 (also BACKSIGHT_NO_VENV=1). The tests use it.
# --realtime   also install systemd/realtime.conf (see the comments in it).
# --no-enable  install but do not enable the service.
# Environment: PYTHON (default python3, standard library only) renders the default
# config and builds the venv; BACKSIGHT_MODEL_FILES overrides where the board model
# is read (tests).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT=""
NO_VENV="${BACKSIGHT_NO_VENV:-0}"
REALTIME=0
ENABLE=1
PYTHON="${PYTHON:-python3}"
BEGIN_MARK="# >>> backsight >>>"
END_MARK="# <<< backsight <<<"
GROUPS_NEEDED="i2c gpio dialout"
USER_NAME="backsight"

MODULES_CONF="etc/modules-load.d/backsight-i2c.conf"
REALTIME_CONF="etc/systemd/system/backsight.service.d/realtime.conf"

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

# shellcheck source=scripts/lib-install.sh
. "$SRC/scripts/lib-install.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$(resolve_root "$2")" || exit 1; shift 2 ;;
        --root=*) ROOT="$(resolve_root "${1#--root=}")" || exit 1; shift ;;
        --no-venv) NO_VENV=1; shift ;;
        --realtime) REALTIME=1; shift ;;
        --no-enable) ENABLE=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done

[ -n "$ROOT" ] || require_this_pi install

if [ -n "$ROOT" ] && [ "$NO_VENV" != 1 ]; then   # check before changing anything
    [ -x "$ROOT/usr/bin/python3" ] || die "--root: $ROOT/usr/bin/python3 missing; cannot build the venv inside the image (use --no-venv)"
    [ "$(id -u)" = 0 ] || die "--root: building the venv needs chroot, i.e. root (or use --no-venv)"
fi

LOG_LINES=()
host() {  # run a command against this machine, or record it under --root
    if [ -n "$ROOT" ]; then
        LOG_LINES+=("not run (--root): $*")
    else
        say "+ $*"
        "$@"
    fi
}

# --- 1. boot config ------------------------------------------------------------------
merge_boot_config() {
    local cfg
    cfg="$(boot_config_path)" || die "no config.txt under ${ROOT:-/}boot/firmware or ${ROOT:-/}boot"
    [ -e "$cfg.backsight-orig" ] || cp -p "$cfg" "$cfg.backsight-orig"
    local block="$WORK/block" merged="$WORK/config.txt"
    { echo "$BEGIN_MARK (scripts/install.sh; edit firmware/config.txt.fragment, not this block)"
      cat "$SRC/firmware/config.txt.fragment"
      echo "$END_MARK"; } > "$block"
    awk -v blockfile="$block" -v begin="$BEGIN_MARK" -v end="$END_MARK" '
        BEGIN { while ((getline line < blockfile) > 0) text = text line "\n" }
        index($0, begin) == 1 { if (!done) printf "%s", text; done = 1; skip = 1; next }
        skip { if (index($0, end) == 1) skip = 0; next }
        { print }
        END { if (!done) printf "%s", text }' "$cfg" > "$merged"
    if cmp -s "$merged" "$cfg"; then
        say "$cfg already has the backsight block"
    else
        cat "$merged" > "$cfg"   # keeps the file's owner and mode
        say "updated the backsight block in $cfg (original saved as $cfg.backsight-orig)"
    fi
    local overlays
    overlays="$(dirname "$cfg")/overlays"
    if [ -d "$overlays" ]; then
        if command -v dtc >/dev/null; then
            dtc -@ -q -I dts -O dtb -o "$WORK/backsight.dtbo" "$SRC/firmware/backsight-overlay.dts"
            put_file "$WORK/backsight.dtbo" "$overlays/backsight.dtbo" 0644
        else
            LOG_LINES+=("skipped: overlays/backsight.dtbo (dtc not installed; optional)")
        fi
    fi
}

# --- 2. user and groups ----------------------------------------------------------------
create_user() {
    local g created=""
    for g in $GROUPS_NEEDED; do
        if ! has_group "$g"; then
            created="$created $g"
            if [ -n "$ROOT" ]; then root_add_group "$g"; else host groupadd --system "$g"; fi
        fi
    done
    if ! has_user "$USER_NAME"; then
        if [ -n "$ROOT" ]; then
            root_add_user "$USER_NAME"
        else
            host useradd --system --user-group --home-dir /var/lib/backsight --no-create-home \
                --shell /usr/sbin/nologin --comment "backsight device service" "$USER_NAME"
        fi
        state_set user_created 1
    fi
    for g in $GROUPS_NEEDED; do
        if ! in_group "$USER_NAME" "$g"; then
            if [ -n "$ROOT" ]; then root_add_member "$g" "$USER_NAME"; else host usermod -aG "$g" "$USER_NAME"; fi
        fi
    done
    # The log states the end result, not this run's steps, so a rerun rewrites it unchanged.
    [ -z "$ROOT" ] || LOG_LINES+=("not run (--root): groupadd/useradd/usermod; instead written to etc/passwd, etc/group (and shadow, gshadow if present): system user $USER_NAME in groups ${GROUPS_NEEDED// /, }")
    [ -z "$created" ] || state_set groups_created "$(state_get groups_created)$created"
}

# --- 3. venv ---------------------------------------------------------------------------
make_venv() {
    local venv="$ROOT/opt/backsight/venv"
    if [ "$NO_VENV" = 1 ]; then
        LOG_LINES+=("skipped: /opt/backsight/venv (--no-venv); run scripts/install.sh on the Pi to build it")
        return
    fi
    if [ -n "$ROOT" ]; then
        mkdir -p "$ROOT/opt/backsight/src"
        cp -r "$SRC/pyproject.toml" "$SRC/README.md" "$SRC/pi_app" "$ROOT/opt/backsight/src/"
        [ -x "$venv/bin/python" ] || chroot "$ROOT" /usr/bin/python3 -m venv --system-site-packages /opt/backsight/venv
        chroot "$ROOT" /opt/backsight/venv/bin/pip install -q --disable-pip-version-check \
            "/opt/backsight/src$(pi_extra chroot "$ROOT" /opt/backsight/venv/bin/python)"
        return
    fi
    if [ ! -x "$venv/bin/python" ]; then
        host "$PYTHON" -m venv --system-site-packages "$venv" \
            || die "python3 -m venv failed: sudo apt-get install python3-venv"
    fi
    host "$venv/bin/pip" install -q --disable-pip-version-check "$SRC$(pi_extra "$venv/bin/python")"
}

# --- 4. config -------------------------------------------------------------------------
CONFIG="$ROOT/etc/backsight/config.toml"

# Before anything changes: the whole default config as TOML, checked to parse, into
# $WORK/config.toml. Rendered by the package itself with the standard library only, so
# the system python3 works without the venv. Dies (having changed nothing) if it fails.
render_config() {
    local err="$WORK/render.err"
    PYTHONPATH="$SRC" "$PYTHON" -m pi_app.config > "$WORK/config.toml" 2>"$err" \
        && "$PYTHON" -c 'import sys, tomllib
with open(sys.argv[1], "rb") as f:
    sys.exit(0 if tomllib.load(f) else "no settings in the output")' "$WORK/config.toml" 2>>"$err" \
        || die "cannot render the default config with \"$PYTHON -m pi_app.config\" ($(tail -n 1 "$err" 2>/dev/null || true)); nothing was changed"
}

install_config() {
    local dir="$ROOT/etc/backsight"
    mkdir -p "$dir"
    chmod 0775 "$dir"
    if [ -e "$CONFIG" ]; then
        say "keeping existing $CONFIG"
    else
        install -m 0664 "$WORK/config.toml" "$CONFIG"
        state_set config_created 1
        state_set config_sha256 "$(sha256sum < "$CONFIG" | cut -d' ' -f1)"
        say "wrote $CONFIG (every setting at its default)"
    fi
    own_by_service "$dir" "$CONFIG"
}

# --- 5. systemd and udev -----------------------------------------------------------------
install_units() {
    put_file "$SRC/systemd/backsight.service" "$ROOT/etc/systemd/system/backsight.service" 0644
    put_file "$SRC/systemd/99-backsight.rules" "$ROOT/etc/udev/rules.d/99-backsight.rules" 0644
    put_file "$SRC/systemd/watchdog.conf" "$ROOT/etc/systemd/system.conf.d/backsight-watchdog.conf" 0644
    put_file "$SRC/README.md" "$ROOT/opt/backsight/README.md" 0644
    put_file "$SRC/systemd/i2c-dev.conf" "$ROOT/$MODULES_CONF" 0644
    if [ "$REALTIME" = 1 ]; then
        put_file "$SRC/systemd/realtime.conf" "$ROOT/$REALTIME_CONF" 0644
    elif [ -e "$ROOT/$REALTIME_CONF" ]; then
        rm -f "$ROOT/$REALTIME_CONF"
        rmdir "$(dirname "$ROOT/$REALTIME_CONF")" 2>/dev/null || true
        say "removed /$REALTIME_CONF (installed without --realtime: no SCHED_FIFO)"
    fi
    host modprobe i2c-dev || say "note: modprobe i2c-dev failed; /$MODULES_CONF loads it at the next boot"
    host udevadm control --reload
    host udevadm trigger --subsystem-match=i2c-dev --subsystem-match=gpio \
        --subsystem-match=bcm2835-gpiomem --subsystem-match=rpi-gpiomem
    host systemctl daemon-reload
    if [ "$ENABLE" = 1 ]; then
        if [ -n "$ROOT" ]; then
            local wants="$ROOT/etc/systemd/system/multi-user.target.wants"
            mkdir -p "$wants"
            [ -L "$wants/backsight.service" ] || ln -s /etc/systemd/system/backsight.service "$wants/backsight.service"
            LOG_LINES+=("not run (--root): systemctl enable backsight.service (made the wants/ symlink)")
        else
            host systemctl enable backsight.service
        fi
    fi
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
[ -e "$CONFIG" ] || render_config
# Directories that uninstall.sh may remove again because this install created them.
new_dirs=""
for d in opt etc/systemd etc/systemd/system etc/systemd/system/multi-user.target.wants \
         etc/systemd/system.conf.d etc/udev etc/udev/rules.d etc/modules-load.d; do
    [ -d "$ROOT/$d" ] || new_dirs="$new_dirs $d"
done
mkdir -p "$ROOT/opt/backsight"
[ -n "$(state_get dirs_created)" ] || [ -z "$new_dirs" ] || state_set dirs_created "$new_dirs"
merge_boot_config
create_user
make_venv
install_config
install_units
if [ -n "$ROOT" ]; then
    printf '%s\n' "# scripts/install.sh --root: what was not run against the build machine" "${LOG_LINES[@]}" \
        > "$WORK/install.log"
    put_file "$WORK/install.log" "$ROOT/opt/backsight/install.log" 0644
fi
cmdline="$(dirname "$(boot_config_path)")/cmdline.txt"
if [ -r "$cmdline" ] && grep -Eq 'console=(serial0|ttyAMA0|ttyS0)' "$cmdline"; then
    say "note: the kernel console still uses the serial port ($cmdline);"
    say "      free it for backsight with: sudo raspi-config nonint do_serial_cons 1"
fi
say "done. Reboot, then check with: backsight doctor   (logs: journalctl -u backsight)"

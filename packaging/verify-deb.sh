#!/usr/bin/env bash
# Check a RadVal .deb the way a workstation would run it, without installing it system-wide:
# unpack it into a temporary root (dpkg-deb -x: no dpkg database, no root needed), then run
# the frozen app from there with an empty environment — no Python, no venv, nothing on PATH:
#   1. `radval --self-test` offscreen: must exit 0 and print PASS;
#   2. the window offscreen: the time until the model is loaded and it is ready to draft.
# The frozen app reads IT's file only at /etc/radval/config.toml (RADVAL_SYSTEM_CONFIG is
# honoured only from a source checkout, issue 17): this check runs with the build machine's
# file, usually none; the shipped one is checked for presence and applies once installed.
#
#   packaging/verify-deb.sh [FILE.deb]     (default: the newest in packaging/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
deb="${1:-$(ls -t packaging/dist/radval-desktop_*.deb 2>/dev/null | head -1)}"
[ -f "$deb" ] || { echo "verify-deb.sh: no .deb (build one: packaging/build-linux.sh)" >&2; exit 2; }

tmp="$(mktemp -d)"
app_pid=""
# The app runs in its own process group (setsid), so it and every process it started are
# stopped together; killing only the PID that `&` gives stopped a subshell and left the
# app (~730 MB) running.
stop_app() {
    [ -n "$app_pid" ] || return 0
    kill -TERM -- "-$app_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 -- "-$app_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
}
cleanup() {
    stop_app
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/root" "$tmp/home" "$tmp/empty-path"
dpkg-deb -x "$deb" "$tmp/root"
echo "package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)," \
     "$(du -m "$deb" | cut -f1) MB, installs $(dpkg-deb -f "$deb" Installed-Size) kB"
for path in usr/bin/radval opt/radval-desktop/radval etc/radval/config.toml \
            usr/share/applications/radval-desktop.desktop \
            usr/share/icons/hicolor/256x256/apps/radval-desktop.png; do
    [ -e "$tmp/root/$path" ] || { echo "verify-deb.sh: /$path is missing" >&2; exit 1; }
done

radval() {
    env -i PATH="$tmp/empty-path" HOME="$tmp/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
        "$tmp/root/usr/bin/radval" "$@"
}
now() { date +%s.%N; }
elapsed() { echo "$(now) $1" | awk '{printf "%.2f", $1 - $2}'; }

t=$(now)
radval --version >/dev/null
echo "cold start (radval --version): $(elapsed "$t") s"

t=$(now)
set +e
radval --self-test
status=$?
set -e
echo "self-test: exit $status in $(elapsed "$t") s"
[ "$status" = 0 ] || exit 1

# The window: started offscreen, ready when its log says the model is loaded.
t=$(now)
setsid env -i PATH="$tmp/empty-path" HOME="$tmp/home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
    "$tmp/root/usr/bin/radval" app >"$tmp/app.out" 2>&1 &
app_pid=$!
ready=""
for _ in $(seq 1 600); do
    log="$(find "$tmp/home" -name radval.log 2>/dev/null | head -1)"
    if [ -n "$log" ] && grep -q "loaded in" "$log"; then ready=$(elapsed "$t"); break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
done
stop_app
if [ -z "$ready" ]; then
    echo "verify-deb.sh: the window did not load the model; its output:" >&2
    cat "$tmp/app.out" >&2
    [ -n "${log:-}" ] && cat "$log" >&2
    exit 1
fi
grep "loaded in" "$log" | sed 's/^.*INFO [^ ]* [^ ]* /window log: /'
echo "window start-up (offscreen, to model loaded): $ready s"
echo "verify-deb.sh: PASS"

#!/usr/bin/env bash
# Installs the programs Lentera runs beside Python, from Debian's packages, when they are missing.
#   scripts/system-deps.sh run    ffmpeg/ffprobe (video), Unicode fonts incl. CJK (certificates)
#   scripts/system-deps.sh test   the above plus PostgreSQL and Chromium (the real services of the tests)
#   scripts/system-deps.sh bench  the test set plus wrk (the load generator of bench/)
set -euo pipefail
mode=${1:-run}
need=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
[ -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || need+=(fonts-noto-core)
# Chinese, Japanese and Korean names on certificates (TrueType outlines, which ReportLab embeds)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n1 || true)
  { command -v initdb >/dev/null || [ -n "$pg" ]; } || need+=(postgresql)
  command -v chromium >/dev/null || need+=(chromium)
fi
if [ "$mode" = bench ]; then
  command -v wrk >/dev/null || need+=(wrk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another install (unattended-upgrades, a second terminal) may hold apt's or dpkg's lock: wait for it,
# with a message, instead of failing with "Could not get lock".
apt_waiting() {
  local waited=0 err
  while true; do
    if err=$(apt-get -o DPkg::Lock::Timeout=900 "$@" 2>&1 >/dev/null); then return 0; fi
    if ! grep -q "Could not get lock\|Unable to lock" <<<"$err" || [ "$waited" -ge 900 ]; then
      echo "$err" >&2
      return 1
    fi
    [ "$waited" -eq 0 ] && echo "Waiting for another package installation to finish (apt lock)..."
    sleep 5
    waited=$((waited + 5))
  done
}
apt_waiting update -qq
apt_waiting install -y -qq --no-install-recommends "${need[@]}"

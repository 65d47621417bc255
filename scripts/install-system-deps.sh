#!/usr/bin/env bash
# Install the Debian packages listed in scripts/debian-packages.txt that are missing.
# Does nothing on systems without apt-get; needs root (or sudo) where packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t pkgs < <(grep -v '^\s*#' scripts/debian-packages.txt | sed '/^\s*$/d')
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-system-deps: kein apt-get; bitte installieren Sie selbst: ${pkgs[*]}"
  exit 0
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3 -m venv works without the Debian package when Python is not Debian's own
if [[ " ${missing[*]-} " == *" python3-venv "* ]] && python3 -m venv --help >/dev/null 2>&1 \
   && python3 -c 'import ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]-}" | sed '/^\s*$/d')
if ((${#missing[@]} == 0)); then
  echo "install-system-deps: alle Systempakete vorhanden"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-system-deps: installiere ${missing[*]}"
# Another program may hold the package manager's lock (an update running in the background,
# another installation): wait for it up to 15 minutes and say so, instead of failing at once.
LOCK_WAIT=${PLANLABOR_APT_WAIT:-900}
apt_retry() {
  local waited=0 out
  while true; do
    if out=$("$@" 2>&1); then return 0; fi
    if grep -qiE 'lock|sperre' <<<"$out" && ((waited < LOCK_WAIT)); then
      ((waited == 0)) && echo "install-system-deps: Die Paketverwaltung (apt) ist gerade von einem anderen Programm belegt; warte bis zu $((LOCK_WAIT / 60)) Minuten …"
      sleep 10; waited=$((waited + 10)); continue
    fi
    echo "$out" >&2
    if grep -qiE 'lock|sperre' <<<"$out"; then
      echo "install-system-deps: Die Paketverwaltung ist seit $((LOCK_WAIT / 60)) Minuten belegt. Warten Sie, bis die andere Installation (z. B. automatische Updates) fertig ist, und rufen Sie 'make demo' erneut auf." >&2
    fi
    return 1
  done
}
apt_retry $SUDO apt-get -o DPkg::Lock::Timeout=60 update -qq
DEBIAN_FRONTEND=noninteractive apt_retry $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 install -y -qq --no-install-recommends "${missing[@]}"

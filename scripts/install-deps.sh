#!/usr/bin/env bash
# Installs what rtlink's tests need on Debian 12: C and C++ compilers with glibc's static and
# shared libraries (the inspect tests compare against gcc's binaries), binutils (ld, gold, nm, readelf,
# objdump, strip, ar, as --32), lld, mold, make, taskset and setpriv (util-linux; tests/bad_input.rs
# runs rtlink as nobody with it), Go (the inspect tests read Go binaries) and
# gdb (its gcore writes the core file the inspect tests read) and strace (the scheduler tests
# count the threads a program starts).
# Quick when everything is there: it only calls apt-get for packages that are missing.
# Extra package names given as arguments are installed too (benches/run.sh passes its tools).
set -euo pipefail

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in gcc g++ libc6-dev binutils lld mold make util-linux golang-go gdb strace "$@"; do
  have "$pkg" || need+=("$pkg")
done

if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

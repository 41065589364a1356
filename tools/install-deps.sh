#!/usr/bin/env bash
# Installs the Debian 12 packages proptalk builds, tests and benchmarks with,
# when any is missing.  Needs root (or sudo) only when something is missing.
set -eu
PKGS="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev libjansson-dev libsodium-dev
libutf8proc-dev libjwt-dev libcurl4-openssl-dev python3 clang libclang-rt-14-dev wrk sqlite3 tzdata"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null

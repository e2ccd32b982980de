#!/usr/bin/env bash
# Install Debian packages the project needs (gettext, later chromium and slurm) when missing.
set -euo pipefail
missing=()
for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then echo "Please install: ${missing[*]} (sudo apt-get install ${missing[*]})"; exit 1; fi
echo "Installing ${missing[*]} from Debian's packages…"
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

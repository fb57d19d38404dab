#!/usr/bin/env bash
# Installs everything pt2tflite needs to build and test on a fresh Debian machine:
# system libraries through apt-get, test-side Python packages in .venv. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_pkgs=(g++ cmake ninja-build pkg-config
          libprotobuf-dev protobuf-compiler libonnx-dev
          libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
          libeigen3-dev libgtest-dev libstb-dev)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test-side Python. torch is pinned: the unpinned name pulls a multi-GB CUDA build.
venv="$root/.venv"
stamp="$venv/.pt2tflite-setup"
reqs="$root/tests/requirements.txt"
if [ ! -f "$stamp" ] || ! cmp -s "$reqs" "$stamp"; then
  echo "setup: preparing Python venv in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -r "$reqs"
  cp "$reqs" "$stamp"
fi

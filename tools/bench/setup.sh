#!/usr/bin/env bash
# Installs what `npm run bench` needs besides the test servers (tools/scripts/setup-test-deps.sh:
# gpg, sshd, moto): rclone and AWS CLI v2 (Debian packages) and GNU time, to run the peers and
# measure them. Idempotent; needs root for apt-get, otherwise it prints what to install.
# The WAN case's latency is the harness's own TCP delay proxy (libs/testing, startLatencyProxy):
# nothing to install for it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/../scripts/setup-test-deps.sh"

need_apt=()
command -v rclone >/dev/null 2>&1 || need_apt+=(rclone)
# AWS CLI v2 from Debian at /usr/bin/aws: a pyenv or pip `aws` (v1) earlier on PATH is not used.
[ -x /usr/bin/aws ] || need_apt+=(awscli)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v gzip >/dev/null 2>&1 || need_apt+=(gzip)
command -v sftp >/dev/null 2>&1 || need_apt+=(openssh-client)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench setup: installing ${need_apt[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "bench setup: missing Debian packages: ${need_apt[*]}; install them with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

if ! /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2'; then
  echo "bench setup: /usr/bin/aws is not AWS CLI v2 ($(/usr/bin/aws --version 2>&1 | head -1)); the plain-upload peer expects v2" >&2
  exit 1
fi

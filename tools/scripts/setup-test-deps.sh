#!/usr/bin/env bash
# Installs what the integration tests need when it is missing: GnuPG (interop fixtures), xz, bzip2, zstd,
# OpenSSH's sshd (SFTP), redis-server (the shared job store), Debian's chromium (the web console's browser
# tests, driven by playwright-core: Playwright's own browser download is not used) and moto's S3 server (Python). The SFTP/S3 harness
# (libs/testing) runs /usr/sbin/sshd and moto_server from PATH on loopback ports. Idempotent; needs root
# for apt-get, otherwise it prints exactly what to install.
set -euo pipefail

need_apt=()
command -v gpg >/dev/null 2>&1 || need_apt+=(gnupg)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_apt+=(openssh-client)
# xz and bzip2 decode .xz/.bz2 files (the product needs them too); zstd makes the tests' fixtures.
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils)
command -v bzip2 >/dev/null 2>&1 || need_apt+=(bzip2)
command -v zstd >/dev/null 2>&1 || need_apt+=(zstd)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_apt[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${need_apt[*]}; install them with: sudo apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
fi

if ! command -v moto_server >/dev/null 2>&1; then
  if command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1; then
    echo "setup: installing moto[server] with pip" >&2
    # moto 5.1+ serves AbortMultipartUpload, ListMultipartUploads and flexible checksums (CRC32 per part).
    "$(command -v pip3 || command -v pip)" install -q "moto[server]>=5.1,<6" >&2
    hash -r
  else
    echo "setup: moto_server is missing; install it with: pip install 'moto[server]'" >&2
    exit 1
  fi
fi

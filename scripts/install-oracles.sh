#!/usr/bin/env bash
# Installs the outside oracles the tests compare against, only those missing:
# GNU binutils and GCC for ppc64le, qemu-user, and a host C compiler (Debian packages);
# and redis-server, which only the tests of `check --queue` start (test/cli/queue.test.ts).
set -euo pipefail
need=()
command -v powerpc64le-linux-gnu-objdump >/dev/null || need+=(binutils-powerpc64le-linux-gnu)
command -v powerpc64le-linux-gnu-gcc >/dev/null || need+=(gcc-powerpc64le-linux-gnu)
command -v qemu-ppc64le >/dev/null || need+=(qemu-user)
command -v cc >/dev/null || need+=(gcc)
command -v redis-server >/dev/null || need+=(redis-server)
((${#need[@]})) || exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo"; else
    echo "textpoke: error: the tests need these Debian packages: ${need[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
fi
echo "installing ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/bin/sh
# Build the freestanding C program corpus in fixtures/programs/ into committed
# ppc64le binaries: <name>.p9 (-mcpu=power9) and <name>.p10 (-mcpu=power10).
# -Wl,-q (--emit-relocs) keeps the .rela.* sections in the executables so the
# ELF reader's relocation parsing can be checked against readelf on them;
# --build-id=none keeps the output free of a content hash note; 4 KiB segment
# alignment (instead of 64 KiB) keeps each file a few KiB.
# Requires gcc-powerpc64le-linux-gnu (GCC 12 was used for the committed files).
set -eu
cd "$(dirname "$0")/../fixtures/programs"
CC=${CC:-powerpc64le-linux-gnu-gcc}
CFLAGS="-O2 -static -nostdlib -ffreestanding -Wall -Wextra -Werror"
LDFLAGS="-Wl,-q -Wl,--build-id=none -Wl,-z,max-page-size=0x1000"
for src in *.c; do
  name=${src%.c}
  for cpu in 9 10; do
    # shellcheck disable=SC2086
    $CC $CFLAGS -mcpu=power$cpu $LDFLAGS -o "$name.p$cpu" "$src"
  done
done
# One relocatable object, so the ELF reader is also checked on ET_REL files
# (section-relative symbol values, relocations against undefined symbols).
$CC $CFLAGS -mcpu=power9 -c -o recurse.o recurse.c
ls -l ./*.p9 ./*.p10 ./*.o

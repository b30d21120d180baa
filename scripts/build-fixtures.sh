#!/usr/bin/env bash
# Rebuild the committed GCC objects in fixtures/gcc from their C sources:
# each foo.c gives foo.p9.o (-mcpu=power9) and foo.p10.o (-mcpu=power10).
# CI does not run this; the objects are committed. Needs gcc-powerpc64le-linux-gnu.
set -euo pipefail
cd "$(dirname "$0")/../fixtures/gcc"
CC=${CC:-powerpc64le-linux-gnu-gcc}
FLAGS=(-O2 -c -fno-asynchronous-unwind-tables -fno-stack-protector -ffreestanding)
for src in *.c; do
  base=${src%.c}
  "$CC" "${FLAGS[@]}" -mcpu=power9 -o "$base.p9.o" "$src"
  "$CC" "${FLAGS[@]}" -mcpu=power10 -o "$base.p10.o" "$src"
done
"$CC" --version | head -1 > COMPILER
echo "built: $(ls ./*.o | tr '\n' ' ')"

// User-mode Linux emulation: what `textpoke exec` accepts, the initial stack
// and the system calls a program sees, and the signals it dies of — checked
// against qemu-ppc64le running the same program wherever the two must agree
// (argv, auxv page size and entry, syscall results and errors, exit status).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { execProgram } from "../../src/api/exec.ts";
import { execCommand } from "../../src/cli/commands/exec.ts";
import { UserError } from "../../src/util/user-error.ts";
import { buildExecutable, qemu } from "../machine/exec/toolchain.ts";

const FIXTURES = new URL("../../fixtures/programs/", import.meta.url).pathname;

function run(
  file: string,
  args: string[] = [],
  opts: { cpu?: "power9" | "power10"; maxInsns?: number } = {},
) {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const r = execProgram(new Uint8Array(readFileSync(file)), {
    argv: [file, ...args],
    cpu: opts.cpu ?? "power10",
    ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
    stdout: (b) => out.push(b.slice()),
    stderr: (b) => err.push(b.slice()),
  });
  return {
    ...r,
    stdout: Buffer.concat(out).toString("latin1"),
    stderr: Buffer.concat(err).toString(),
  };
}

/** Assembly helpers: print the NUL-terminated string at r3, print r3 in hex, exit. */
const RUNTIME = `
  .abiversion 2
  .text
# puts: r3 = string; clobbers r0,r3-r6
puts:
  mr 4,3
  li 5,0
1: lbzx 6,4,5
  cmpdi 6,0
  beq 2f
  addi 5,5,1
  b 1b
2: li 0,4
  li 3,1
  sc
  blr
# putx: r3 = value, printed as 16 hex digits and a newline
putx:
  lis 4,hexbuf@ha
  addi 4,4,hexbuf@l
  li 5,16
  mtctr 5
  addi 6,4,15
3: rldicl 7,3,0,60
  cmpdi 7,10
  addi 7,7,48
  blt 4f
  addi 7,7,39
4: stb 7,0(6)
  addi 6,6,-1
  srdi 3,3,4
  bdnz 3b
  li 7,10
  stb 7,16(4)
  li 0,4
  li 3,1
  li 5,17
  sc
  blr
`;
const DATA = `
  .data
hexbuf: .space 24
`;

describe("linux-user: what exec accepts", () => {
  it("runs the corpus's static ELFv2 executables", () => {
    const r = run(`${FIXTURES}exitcode.p10`);
    assert.equal(r.status, 42);
  });
  it("refuses a file that is not ELF, in one line", () => {
    assert.throws(
      () =>
        execProgram(new TextEncoder().encode("#!/bin/sh\necho hi\n"), {
          argv: ["x"],
          stdout: () => {},
          stderr: () => {},
        }),
      (e: unknown) =>
        e instanceof UserError &&
        /^not a ppc64le executable: bad ELF: not an ELF file/.test(e.message) &&
        !e.message.includes("\n"),
    );
  });
  it("refuses an ELF for another machine", () => {
    const b = new Uint8Array(readFileSync(`${FIXTURES}hash.p9`));
    b[18] = 62; // e_machine = EM_X86_64
    assert.throws(
      () => execProgram(b, { argv: ["x"], stdout: () => {}, stderr: () => {} }),
      (e: unknown) => e instanceof UserError && /e_machine 62/.test(e.message),
    );
  });
  it("refuses a relocatable object", () => {
    assert.throws(
      () =>
        execProgram(new Uint8Array(readFileSync(`${FIXTURES}recurse.o`)), {
          argv: ["x"],
          stdout: () => {},
          stderr: () => {},
        }),
      (e: unknown) =>
        e instanceof UserError &&
        /not an executable \(ELF type 1, a relocatable object\)/.test(e.message),
    );
  });
  it("refuses a dynamically linked executable (PT_INTERP)", () => {
    const b = new Uint8Array(readFileSync(`${FIXTURES}hash.p9`));
    const dv = new DataView(b.buffer);
    const phoff = Number(dv.getBigUint64(32, true));
    const phnum = dv.getUint16(56, true);
    // Turn the last program header (not a PT_LOAD the loader needs first) into PT_INTERP.
    let patched = false;
    for (let i = phnum - 1; i >= 0 && !patched; i--) {
      if (dv.getUint32(phoff + 56 * i, true) !== 1) {
        dv.setUint32(phoff + 56 * i, 3, true);
        patched = true;
      }
    }
    assert.ok(patched);
    assert.throws(
      () => execProgram(b, { argv: ["x"], stdout: () => {}, stderr: () => {} }),
      (e: unknown) => e instanceof UserError && /dynamically linked/.test(e.message),
    );
  });
});

describe("linux-user: the initial stack as qemu-ppc64le builds it", () => {
  it("argc, argv strings, AT_PAGESZ, AT_ENTRY and AT_PHENT agree with qemu", () => {
    const exe = buildExecutable(`${RUNTIME}
  .globl _start
_start:
  ld 14,0(1)          # argc
  mr 3,14
  bl putx
  li 15,0
5: cmpd 15,14
  beq 6f
  addi 16,15,1
  sldi 16,16,3
  ldx 3,1,16
  bl puts
  li 3,10
  lis 4,hexbuf@ha
  addi 4,4,hexbuf@l
  stb 3,0(4)
  li 0,4
  li 3,1
  li 5,1
  sc
  addi 15,15,1
  b 5b
6: addi 16,14,2       # skip argv and its NULL
  sldi 16,16,3
  add 16,1,16
7: ld 3,0(16)         # skip envp
  addi 16,16,8
  cmpdi 3,0
  bne 7b
8: ld 17,0(16)        # auxv pairs
  ld 18,8(16)
  addi 16,16,16
  cmpdi 17,0
  beq 9f
  cmpdi 17,6
  beq 10f
  cmpdi 17,9
  beq 10f
  cmpdi 17,4
  beq 10f
  b 8b
10: mr 3,17
  bl putx
  mr 3,18
  bl putx
  b 8b
9: li 0,1
  li 3,0
  sc
${DATA}`);
    const args = ["alpha", "b e t a", ""];
    const q = qemu("power10", exe, args);
    const t = run(exe, args);
    assert.equal(t.status, 0, t.stderr);
    // argv[0]: both print the path they were given.
    assert.equal(t.stdout, q.stdout.toString("latin1"));
    assert.match(t.stdout, /^0000000000000004\n/);
  });
});

describe("linux-user: system calls", () => {
  const SYSCALLS = `${RUNTIME}
  .globl _start
_start:
  li 0,4              # write(5, ...) → -EBADF: r3 = 9, CR0[SO] set
  li 3,5
  lis 4,hexbuf@ha
  addi 4,4,hexbuf@l
  li 5,1
  sc
  mfcr 20
  bl putx
  rlwinm 3,20,4,31,31
  bl putx
  li 0,45             # brk(0)
  li 3,0
  sc
  mr 21,3
  addis 3,21,1        # brk(cur + 64 KiB)
  li 0,45
  sc
  mr 24,3
  subf 3,21,3
  bl putx
  li 4,77
  std 4,-8(24)
  ld 3,-8(24)
  bl putx
  li 0,90             # mmap(0, 65536, RW, PRIVATE|ANONYMOUS, -1, 0)
  li 3,0
  lis 4,1
  li 5,3
  li 6,0x22
  li 7,-1
  li 8,0
  sc
  mr 23,3
  li 4,99
  std 4,4096(23)
  ld 3,4096(23)
  bl putx
  li 0,91             # munmap → 0
  mr 3,23
  lis 4,1
  sc
  bl putx
  li 0,234            # exit_group(7)
  li 3,7
  sc
${DATA}`;

  it("write to a bad fd fails with EBADF and CR0[SO]; brk grows the heap; anonymous mmap; munmap; exit_group status", () => {
    const exe = buildExecutable(SYSCALLS);
    const q = qemu("power10", exe);
    const t = run(exe);
    assert.equal(t.stdout, q.stdout.toString("latin1"));
    assert.equal(t.status, 7);
    assert.equal(q.status, 7);
    assert.equal(
      t.stdout,
      [
        "0000000000000009",
        "0000000000000001",
        "0000000000010000",
        "000000000000004d",
        "0000000000000063",
        "0000000000000000",
        "",
      ].join("\n"),
    );
  });

  it("an unimplemented syscall returns ENOSYS with one note per number on stderr", () => {
    const exe = buildExecutable(`${RUNTIME}
  .globl _start
_start:
  li 0,20             # getpid, twice
  sc
  li 0,20
  sc
  bl putx
  li 0,1
  li 3,0
  sc
${DATA}`);
    const t = run(exe);
    assert.equal(t.stdout, "0000000000000026\n");
    assert.equal(
      t.stderr,
      "textpoke: exec: unimplemented syscall 20 (getpid), returning -ENOSYS\n",
    );
    assert.equal(t.status, 0);
  });
});

describe("linux-user: fatal signals and bounds", () => {
  const cases: [string, string, number, RegExp][] = [
    [
      "a store to address 0",
      "li 4,0\n  std 4,0(4)",
      139,
      /^textpoke: exec: SIGSEGV at 0x0 \(pc 0x[0-9a-f]+\)\n$/,
    ],
    [
      "an illegal instruction",
      ".long 0",
      132,
      /^textpoke: exec: SIGILL at 0x[0-9a-f]+ \(pc 0x[0-9a-f]+\)\n$/,
    ],
    ["a trap", "trap", 133, /^textpoke: exec: SIGTRAP at /],
  ];
  for (const [what, code, status, message] of cases) {
    it(`${what}: exit status ${status} as qemu reports, one line on stderr`, () => {
      const exe = buildExecutable(
        `  .abiversion 2\n  .text\n  .globl _start\n_start:\n  ${code}\n  li 0,1\n  sc\n`,
      );
      assert.equal(qemu("power10", exe).status, status);
      const t = run(exe);
      assert.equal(t.status, status);
      assert.match(t.stderr, message);
    });
  }

  it("--max-insns: status 3 and a note with the pc", () => {
    const t = run(`${FIXTURES}loops.p9`, [], { cpu: "power9", maxInsns: 1000 });
    assert.equal(t.status, 3);
    assert.equal(t.insns, 1000);
    assert.match(
      t.stderr,
      /^textpoke: exec: instruction budget of 1000 reached at pc 0x[0-9a-f]+\n$/,
    );
  });
});

describe("textpoke exec (the command)", () => {
  it("prints the program's output, sets its exit status, passes arguments through", async () => {
    const out: string[] = [];
    const err: string[] = [];
    let status = -1;
    const cmd = execCommand({ out: (t) => out.push(t), err: (t) => err.push(t) }, (s) => {
      status = s;
    });
    await cmd.parseAsync(["--cpu", "power9", `${FIXTURES}exitcode.p9`, "--not-an-option"], {
      from: "user",
    });
    assert.equal(status, 42);
    assert.ok(out.join("").length > 0);
    assert.equal(err.join(""), "");
  });

  it("--trace writes one line per instruction to stderr", async () => {
    const err: string[] = [];
    const cmd = execCommand({ out: () => {}, err: (t) => err.push(t) }, () => {});
    await cmd.parseAsync(["--trace", "--max-insns", "5", `${FIXTURES}exitcode.p10`], {
      from: "user",
    });
    const lines = err.join("").split("\n");
    assert.match(lines[0]!, /^[0-9a-f]{16}: {2}\S/);
    assert.equal(lines.filter((l) => /^[0-9a-f]{16}: /.test(l)).length, 5);
  });

  it("refuses an unreadable file with a UserError", async () => {
    const cmd = execCommand({ out: () => {}, err: () => {} }, () => {});
    await assert.rejects(cmd.parseAsync(["/nonexistent/file"], { from: "user" }), UserError);
  });
});

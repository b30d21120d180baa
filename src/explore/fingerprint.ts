/**
 * A fingerprint of the machine's state an execution ends in: real memory,
 * every CPU's TLB entries and icache lines (with their stale bits). Two
 * schedules that order every pair of dependent steps the same way end in
 * the same state, so a reduction that loses a schedule shows as a
 * fingerprint that plain enumeration or random scheduling reaches and the
 * reduced search does not (test/explore/reduction-oracle.test.ts).
 *
 * Time (the timebase, printk's timestamps) is left out: it differs between
 * equivalent schedules by design (docs/checker.md).
 */
import type { Machine } from "../machine/machine.ts";

/** Two independent 32-bit multiplicative hashes, folded word by word. */
class Hasher {
  private a = 0x811c9dc5;
  private b = 0x2545f491;

  word(w: number): void {
    this.a = Math.imul(this.a ^ w, 0x01000193) >>> 0;
    this.b = Math.imul(this.b ^ (w >>> 16) ^ (w << 16), 0x5bd1e995) >>> 0;
  }

  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  digest(): string {
    return this.a.toString(16).padStart(8, "0") + this.b.toString(16).padStart(8, "0");
  }
}

/** The fingerprint of `m`'s memory, TLBs and icaches, as 16 hex digits. */
export function machineFingerprint(m: Machine): string {
  const h = new Hasher();
  for (const base of m.mem.chunkAddresses()) {
    const view = m.mem.chunkForRead(base);
    if (view === undefined) continue;
    const words = view.byteLength >>> 2;
    let zero = true;
    for (let i = 0; i < words; i++) if (view.getUint32(i * 4, true) !== 0) zero = false;
    // A materialised chunk of zeros reads as unmaterialised memory.
    if (zero) continue;
    h.word(base / 4096);
    for (let i = 0; i < words; i++) h.word(view.getUint32(i * 4, true));
  }
  for (const cpu of m.cpus) {
    h.word(0xc0de0000 + cpu.id);
    const entries = (cpu.tlb?.entries() ?? []).map(
      (e) => `${e.lpid}:${e.pid}:${e.ea}:${e.shift}:${e.pa}:${e.pteHi}:${e.flags}`,
    );
    for (const e of entries.sort()) h.text(e);
    const ic = cpu.icache;
    for (const line of (ic?.lineAddresses() ?? []).sort((x, y) => x - y)) {
      h.word(line / 128);
      for (let o = 0; o < 128; o += 4) {
        const p = ic!.peek32(line + o)!;
        h.word(p.word);
        if (o === 0) h.word(p.stale ? 1 : 0);
      }
    }
  }
  return h.digest();
}

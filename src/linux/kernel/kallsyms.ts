/**
 * The kernel symbol table and the `%pS`/`%ps`/`%pB` symbol printing. Models
 * kernel/kallsyms.c (`kallsyms_lookup`, `kallsyms_lookup_name`,
 * `__sprint_symbol`, `sprint_symbol`, `sprint_backtrace`) and, for module
 * symbols, kernel/module/kallsyms.c (`module_address_lookup`,
 * `module_kallsyms_lookup_name`).
 *
 * Lookup by address is a binary search over symbols sorted by address, so a
 * table of a few thousand symbols answers in about a dozen comparisons.
 */
import { FORK } from "../../util/clone.ts";

/** What a symbol-table builder supplies for one symbol. */
export interface KallsymsEntry {
  readonly name: string;
  readonly address: bigint;
  /** Size in bytes. Zero-size symbols are found by name, never by address. */
  readonly size: bigint | number;
  /** `nm`-style type letter: T/t text, D/d data, R/r read-only, B/b bss, ... */
  readonly type: string;
  /** Owning module name; absent for the core kernel. */
  readonly module?: string;
}

/** A symbol as the table stores it. */
export interface KallsymsSymbol {
  readonly name: string;
  readonly address: bigint;
  readonly size: bigint;
  readonly type: string;
  readonly module: string | undefined;
}

/** The answer of `kallsyms_lookup()`: the symbol holding an address and the offset in it. */
export interface KallsymsHit {
  readonly symbol: KallsymsSymbol;
  readonly offset: bigint;
}

/** The kernel's `%#lx`: `0x` then lower-case hex, also for zero (the kernel prints `0x0`). */
function hexPrefixed(value: bigint): string {
  return `0x${value.toString(16)}`;
}

/**
 * A symbol table of the core kernel and loaded modules.
 *
 * SIMPLIFICATION: a symbol covers exactly [address, address + size). The
 * kernel stores no sizes; it takes a symbol's size as the distance to the next
 * symbol, so alignment padding after a function counts as part of it. The two
 * agree when the image is laid out without gaps, as textpoke's builder does;
 * an address in a gap prints as plain hex here.
 */
export class Kallsyms {
  private symbolList: KallsymsSymbol[] = [];
  /** Symbols with size > 0, sorted by address (ties keep insertion order). */
  private byAddress: KallsymsSymbol[] = [];
  private starts: BigUint64Array = new BigUint64Array(0);
  private byName = new Map<string, KallsymsSymbol[]>();
  /**
   * The tables are shared with a fork (or the kernel it was forked from):
   * `add` copies them first. The index (`byAddress`, `starts`) is only ever
   * replaced, never changed in place, and the symbol records are immutable.
   */
  private sharedTables = false;

  constructor(entries: Iterable<KallsymsEntry> = []) {
    this.add(entries);
  }

  /** Number of symbols (all, including zero-size ones). */
  get count(): number {
    return this.symbolList.length;
  }

  /** Adds symbols (e.g. a module's, when it loads) and rebuilds the address index. */
  add(entries: Iterable<KallsymsEntry>): void {
    if (this.sharedTables) this.unshare();
    for (const e of entries) {
      const size = BigInt(e.size);
      if (size < 0n) throw new RangeError(`kallsyms: negative size for ${e.name}`);
      const sym: KallsymsSymbol = {
        name: e.name,
        address: BigInt.asUintN(64, e.address),
        size,
        type: e.type,
        module: e.module,
      };
      this.symbolList.push(sym);
      const list = this.byName.get(sym.name);
      if (list === undefined) this.byName.set(sym.name, [sym]);
      else list.push(sym);
    }
    this.reindex();
  }

  /** Drops every symbol of `module` (when it unloads). */
  removeModule(module: string): void {
    // New tables: nothing shared is changed.
    this.symbolList = this.symbolList.filter((s) => s.module !== module);
    this.byName = new Map();
    for (const s of this.symbolList) {
      const list = this.byName.get(s.name);
      if (list === undefined) this.byName.set(s.name, [s]);
      else list.push(s);
    }
    this.sharedTables = false;
    this.reindex();
  }

  /** Own copies of the tables `add` changes in place. */
  private unshare(): void {
    this.symbolList = this.symbolList.slice();
    const byName = new Map<string, KallsymsSymbol[]>();
    for (const [name, list] of this.byName) byName.set(name, list.slice());
    this.byName = byName;
    this.sharedTables = false;
  }

  /**
   * A fork's table (src/util/clone.ts): it shares the tables with this one
   * until either adds symbols. A kernel's symbol table is large (every
   * modelled and compiled function) and changes only when a module loads.
   */
  [FORK](): Kallsyms {
    const t = new Kallsyms();
    t.symbolList = this.symbolList;
    t.byAddress = this.byAddress;
    t.starts = this.starts;
    t.byName = this.byName;
    t.sharedTables = true;
    this.sharedTables = true;
    return t;
  }

  private reindex(): void {
    // Array.prototype.sort is stable, so aliases keep insertion order and the
    // first-added alias wins, like the kernel's pick of the first alias.
    this.byAddress = this.symbolList
      .filter((s) => s.size > 0n)
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    this.starts = BigUint64Array.from(this.byAddress, (s) => s.address);
  }

  /** Models `kallsyms_lookup()`: the symbol containing `address`, or undefined. */
  lookup(address: bigint): KallsymsHit | undefined {
    const addr = BigInt.asUintN(64, address);
    const starts = this.starts;
    // Greatest index whose start <= addr.
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= addr) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    // Step back to the first alias at this address.
    const start = starts[found]!;
    while (found > 0 && starts[found - 1] === start) found--;
    const symbol = this.byAddress[found]!;
    const offset = addr - symbol.address;
    return offset < symbol.size ? { symbol, offset } : undefined;
  }

  /**
   * Models `__sprint_symbol()`. `symbolOffset` is -1 for backtraces (look up
   * the byte before a return address), `addOffset` appends `+off/size`.
   */
  private sprint(address: bigint, symbolOffset: bigint, addOffset: boolean): string {
    const addr = BigInt.asUintN(64, address);
    const hit = this.lookup(BigInt.asUintN(64, addr + symbolOffset));
    if (hit === undefined) return hexPrefixed(addr);
    let out = hit.symbol.name;
    if (addOffset) {
      out += `+${hexPrefixed(hit.offset - symbolOffset)}/${hexPrefixed(hit.symbol.size)}`;
    }
    if (hit.symbol.module !== undefined) out += ` [${hit.symbol.module}]`;
    return out;
  }

  /** Models `sprint_symbol()`, i.e. `%pS`: `name+0xoff/0xsize [module]`, or `0x…`. */
  sprintSymbol(address: bigint): string {
    return this.sprint(address, 0n, true);
  }

  /** Models `sprint_symbol_no_offset()`, i.e. `%ps`. */
  sprintSymbolNoOffset(address: bigint): string {
    return this.sprint(address, 0n, false);
  }

  /**
   * Models `sprint_backtrace()`, i.e. `%pB`: for return addresses, so a call
   * that is the last instruction of a function still names that function.
   */
  sprintBacktrace(address: bigint): string {
    return this.sprint(address, -1n, true);
  }

  /**
   * Models `kallsyms_lookup_name()`: the address of `name`, core kernel first,
   * then modules (`module:name` restricts to one module). Undefined if absent.
   */
  lookupName(name: string): bigint | undefined {
    return this.symbolByName(name)?.address;
  }

  /** The symbol record `kallsyms_lookup_name()` would pick, or undefined. */
  symbolByName(name: string): KallsymsSymbol | undefined {
    const colon = name.indexOf(":");
    if (colon >= 0) {
      const module = name.slice(0, colon);
      return this.byName.get(name.slice(colon + 1))?.find((s) => s.module === module);
    }
    const list = this.byName.get(name);
    if (list === undefined) return undefined;
    return list.find((s) => s.module === undefined) ?? list[0];
  }

  /** Every symbol, in insertion order. */
  symbols(): readonly KallsymsSymbol[] {
    return this.symbolList;
  }
}

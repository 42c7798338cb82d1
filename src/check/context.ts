// The checker's shared state: the resolved program, the diagnostics sink, and name lookup
// that follows imports to the declaring module.
import { diagnostic, type Diagnostic, type DiagnosticInit } from "../diagnostics/diagnostic.js";
import type { ModuleHost, Module, Program, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import type { Name } from "../syntax/ast.js";

/**
 * How many declarations may be evaluated inside one another (a preset built on a preset built
 * on ...). Real specs nest a few; a generated chain of 20,000 overflowed the stack (exit 70).
 */
export const MAX_CHAIN = 200;

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  /** Declarations being evaluated, to catch presets and variants that refer to themselves. */
  private readonly active: string[] = [];

  constructor(
    readonly program: Program,
    /** The files the checker may look at beyond the spec (a tokenizer's ids), through the host. */
    readonly files: Pick<ModuleHost, "tokenizerIds"> = {},
  ) {}

  private readonly memos = new Map<string, Map<Sym, unknown>>();
  private readonly depths = new Map<Sym, number>();

  /**
   * Records that `sym` is built on `base` (a preset on a preset, a variant on a model) and
   * reports MM2019 when the chain under it is longer than `MAX_CHAIN`. Declarations evaluated
   * once (presets, models) never nest deeply, so their depth is counted here instead.
   */
  chain(sym: Sym, base: Sym | undefined, at: Span): boolean {
    const baseDepth = base === undefined ? -1 : (this.depths.get(base) ?? 0);
    const depth = baseDepth + 1;
    // Built on a declaration already refused: that one was reported (one mistake, one error).
    if (baseDepth === Infinity || depth > MAX_CHAIN) this.depths.set(sym, Infinity);
    else this.depths.set(sym, depth);
    if (depth <= MAX_CHAIN) return true;
    if (baseDepth !== Infinity) this.tooDeep(sym.name, at);
    return false;
  }

  private tooDeep(name: string, at: Span, extra: { label?: string; notes?: string[] } = {}): void {
    this.report({
      code: "MM2019",
      message: `\`${name}\` is built on a chain of more than ${MAX_CHAIN} declarations`,
      span: at,
      ...extra,
      help: "build it from a kind or a shallower declaration; real specs nest presets and variants a few deep",
    });
  }

  /** `make()` once per declaration and purpose in this check; later calls get the same value. */
  once<T>(purpose: string, sym: Sym, make: () => T): T {
    let memo = this.memos.get(purpose);
    if (!memo) this.memos.set(purpose, (memo = new Map()));
    if (memo.has(sym)) return memo.get(sym) as T;
    const value = make();
    memo.set(sym, value);
    return value;
  }

  private readonly reported = new Set<string>();
  /** Cycles already reported, by their sorted members: one cycle is one mistake, one error. */
  private readonly cycles = new Set<string>();

  /** While `capture` runs: where reports go instead of the diagnostics. */
  private captured: DiagnosticInit[] | undefined;

  /**
   * Runs `fn`, collecting what it reports instead of recording it (a sweep checks each grid point
   * this way, then reports each problem once, naming the points it was found in).
   */
  capture<T>(fn: () => T): { result: T; reports: DiagnosticInit[] } {
    const outer = this.captured;
    const reports: DiagnosticInit[] = [];
    this.captured = reports;
    try {
      return { result: fn(), reports };
    } finally {
      this.captured = outer;
    }
  }

  /** Records a diagnostic; the same code and message at the same place is recorded once. */
  report(init: DiagnosticInit): void {
    if (this.captured) {
      this.captured.push(init);
      return;
    }
    const key = `${init.code}|${init.span.file}|${init.span.start}|${init.message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diagnostics.push(diagnostic(init));
  }

  moduleOf(sym: Sym): Module | undefined {
    for (const m of this.program.modules.values()) if (m.name === sym.module) return m;
    return undefined;
  }

  /** The symbol a name refers to in a module, or undefined (the resolver already reported it). */
  lookup(module: Module, name: Name | string): Sym | undefined {
    const sym = module.scope.get(typeof name === "string" ? name : name.text);
    return sym?.kind === "unresolved" ? undefined : sym;
  }

  /**
   * Runs `fn` for a declaration unless it is already being evaluated further up (a cycle
   * such as `encoder A = B {}` with `encoder B = A {}`), which is reported once.
   */
  guard<T>(sym: Sym, at: Span, fn: () => T): T | undefined {
    const key = `${sym.module}::${sym.name}`;
    const i = this.active.indexOf(key);
    if (i !== -1) {
      const members = this.active.slice(i);
      const id = [...members].sort().join("|");
      if (this.cycles.has(id)) return undefined;
      this.cycles.add(id);
      const cycle = [...members, key].map((k) => `\`${k.split("::")[1]}\``).join(" -> ");
      this.report({
        code: "MM2015",
        message: `\`${sym.name}\` refers to itself: ${cycle}`,
        span: at,
        label: "this reference closes the cycle",
        help: "give one of the declarations its own component instead of another declaration",
      });
      return undefined;
    }
    // Evaluating declarations inside one another deeper than this would run out of stack.
    if (this.active.length >= MAX_CHAIN) {
      // Reported once: every declaration evaluated inside this chain would hit the limit too.
      if (!this.cycles.has("chain")) {
        this.cycles.add("chain");
        const names = this.active.map((k) => `\`${k.split("::")[1] ?? k}\``);
        this.tooDeep(names[0]?.slice(1, -1) ?? sym.name, at, {
          label: `\`${sym.name}\` would be declaration ${MAX_CHAIN + 1} of it`,
          notes: [`the chain: ${names.slice(0, 3).join(" -> ")} -> ... -> \`${sym.name}\``],
        });
      }
      return undefined;
    }
    this.active.push(key);
    try {
      return fn();
    } finally {
      this.active.pop();
    }
  }
}

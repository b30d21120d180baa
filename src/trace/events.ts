/**
 * The one typed stream of trace events every layer emits into. Time is
 * simulated (machine timebase ticks and step numbers), never the wall clock,
 * so a trace is as deterministic as the run that produced it.
 */
export type TraceEvent =
  /** A scheduler step: `cpu` performed operation `op` (an OpKind name) at `ea`. */
  | {
      readonly type: "step";
      readonly step: number;
      readonly tb: number;
      readonly cpu: number;
      readonly op: string;
      readonly ea?: bigint;
    }
  /** A modelled kernel function was entered / returned (the shadow call stack). */
  | {
      readonly type: "enter" | "exit";
      readonly step: number;
      readonly tb: number;
      readonly cpu: number;
      readonly fn: string;
    }
  /** A line the kernel printed. */
  | {
      readonly type: "printk";
      readonly step: number;
      readonly tb: number;
      readonly cpu: number;
      readonly text: string;
    }
  /** An interrupt taken by a CPU. */
  | {
      readonly type: "interrupt";
      readonly step: number;
      readonly tb: number;
      readonly cpu: number;
      readonly vector: number;
    }
  /** Anything else worth a marker (a patch, a violation, a hotplug transition). */
  | {
      readonly type: "mark";
      readonly step: number;
      readonly tb: number;
      readonly cpu: number;
      readonly name: string;
      readonly detail?: string;
    };

export type TraceSink = (e: TraceEvent) => void;

/** Collects events in memory, in emission order. */
export class TraceRecorder {
  readonly events: TraceEvent[] = [];
  readonly sink: TraceSink = (e) => {
    this.events.push(e);
  };
}

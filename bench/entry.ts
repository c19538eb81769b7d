import { Chart } from 'cdk8s';

/** Adds instance `i` of a benchmarked workload to `chart`. */
export type Builder = (chart: Chart, i: number) => void;

/**
 * One row of the benchmark: a construct of this library, and the hand-written
 * cdk8s-plus-27 code a user would otherwise write to get the same objects.
 * Both builders must synthesize identical manifests for every `i`
 * (test/bench-equivalence.test.ts and `npm run bench` check it before timing).
 */
export interface BenchEntry {
  /** The name printed in the results, e.g. the construct's class name. */
  readonly name: string;
  /** Adds instance `i` using this library. */
  readonly ours: Builder;
  /** Adds the same objects as `ours`, written by hand with cdk8s-plus-27 (and JSON patches). */
  readonly handWritten: Builder;
}

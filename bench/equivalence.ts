import { Testing } from 'cdk8s';
import { Builder } from './entry';

/** How many instances the equivalence check builds: enough to cover per-instance values. */
export const EQUIVALENCE_INSTANCES = 3;

/** The manifests of instances `0..count-1` built by `build` in a fresh test chart. */
export function synthInstances(build: Builder, count = EQUIVALENCE_INSTANCES): unknown[] {
  const chart = Testing.chart();
  for (let i = 0; i < count; i++) build(chart, i);
  return Testing.synth(chart);
}

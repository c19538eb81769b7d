import { Chart, Testing } from 'cdk8s';
import { assertValidManifests, SnapshotManifest } from '../../lib/testing';
import { expectYamlRoundTrip } from './yaml-round-trip';

/** A synthesized object, loosely typed for assertions. */
export type Manifest = SnapshotManifest;

/**
 * Synthesizes a chart, checks every object against the Kubernetes 1.27 schema, and checks
 * that the YAML `cdk8s synth` writes of them reads back the same with kubectl's decoder.
 */
export function synthValid(chart: Chart): Manifest[] {
  const manifests = Testing.synth(chart);
  assertValidManifests(manifests);
  expectYamlRoundTrip(manifests);
  return manifests;
}

/** The only object of `kind` in `manifests`. */
export function only(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** A chart in a fresh app, for one test. */
export function newChart(): Chart {
  return Testing.chart();
}

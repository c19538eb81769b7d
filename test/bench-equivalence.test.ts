import { BENCH_ENTRIES } from '../bench/entries';
import { EQUIVALENCE_INSTANCES, synthInstances } from '../bench/equivalence';
import { assertValidManifests } from '../lib/testing/k8s-schema';

// The benchmark compares each construct with hand-written cdk8s-plus-27 code; the
// comparison is only honest if both produce exactly the same objects.
describe.each(BENCH_ENTRIES.map((e) => [e.name, e] as const))('benchmark entry %s', (_name, entry) => {
  test('the hand-written chart synthesizes exactly the objects of ours', () => {
    const ours = synthInstances(entry.ours);
    expect(ours.length).toBeGreaterThanOrEqual(EQUIVALENCE_INSTANCES);
    assertValidManifests(ours);
    expect(synthInstances(entry.handWritten)).toStrictEqual(ours);
  });

  test('instances differ from each other, so per-instance values are compared too', () => {
    const [first, second] = [synthInstances(entry.ours, 1), synthInstances((chart) => entry.ours(chart, 1), 1)];
    expect(JSON.stringify(second)).not.toBe(JSON.stringify(first));
  });
});

// Issue 21, part 3, the short form of `npm run load:rollout` (full figures in BENCHMARKS.md):
// a generator pod follows the Service's EndpointSlice, as an ingress controller does, and
// sends requests while a 3-replica Deployment of HttpdWithPostStart's pod (the library's
// defaults; the kit's exec readiness probe in place of the HTTP one) goes through
// `kubectl rollout restart`. No request may fail.
import { runScenario } from '../../scripts/load/rollout';

test('a rollout restart of 3 replicas with the library defaults drops no request', async () => {
  const [report] = await runScenario('httpd-defaults', 1, 0, (line) => process.stdout.write(`[e2e] ${line}\n`));
  expect(report.sent).toBeGreaterThan(50);
  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
}, 180_000);

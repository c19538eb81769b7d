// Issue 21, part 4, the short form of `npm run load:chaos` (full figures in BENCHMARKS.md):
// 10 audited pods stopped in two waves while the collector's pod is killed three times (delete,
// SIGKILL of its shell by the runtime, a kill of its pod sandbox). Every flag file is cleaned
// up exactly once; a re-run after a kill mid-cleanup is the documented exception.
import { existsSync } from 'node:fs';
import { runChaos } from '../../scripts/load/chaos';

// The kills go through the kit's containerd.
const onKit = existsSync('/tmp/kube-kit/node-root/usr/bin/ctr') ? test : test.skip;

onKit(
  '10 audited pods, 3 collector kills: no flag file lost or cleaned twice',
  async () => {
    const report = await runChaos({ pods: 10, wave: 5, kills: 3, pollSeconds: 2 }, (line) => process.stdout.write(`[e2e] ${line}\n`));
    process.stdout.write(`[e2e] ${JSON.stringify(report)}\n`);
    expect(report.pods).toBe(10);
    expect(report.kills.filter((k) => !k.includes('no running collector') && !k.startsWith('kill failed'))).toHaveLength(3);
    expect([report.lost, report.repeated, report.leftFlagFiles]).toEqual([0, 0, 0]);
    expect(report.once).toBe(10);
    expect(report.processedFlagFiles).toBe(10);
  },
  180_000,
);

// Issue 19, items 3 and 7: a 20,000-file backlog (what a node that was down, or drained with
// the collector stopped, leaves), drained under busybox sh, and a restart over what a kill
// left half way. Slow (minutes: four processes per file): runs only with SLOW_TESTS=1.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  auditDir,
  collectorCommand,
  list,
  preStopCommand,
  podIdentity,
  runHooksAtOnce,
  startInBackground,
  killGroup,
  until,
} from '../support/audit';
import { FlagFileDirectory } from '../../lib';
import { SHELLS } from '../support/run';

const FILES = Number(process.env.COLLECTOR_BACKLOG_FILES ?? 20_000);
const BUSYBOX = SHELLS.includes('busybox sh') ? 'busybox sh' : 'sh';

(process.env.SLOW_TESTS === '1' ? describe : describe.skip)(`a backlog of ${FILES} flag files (${BUSYBOX})`, () => {
  test(
    'is claimed in bounded batches and drained exactly once, across a SIGKILL half way',
    async () => {
      const { root, dir, flagDirectory } = auditDir();
      expect(runHooksAtOnce(preStopCommand({ flagDirectory: new FlagFileDirectory({ mountPath: dir }) }), [podIdentity(1)])[0].status).toBe(
        0,
      );
      const [valid] = list(dir);
      const content = readFileSync(join(dir, valid), 'utf8');
      const pad = '0'.repeat(180);
      for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `${i}-${pad}.txt`), content);
      const record = join(root, '..', 'record');
      const command = collectorCommand({
        flagDirectory,
        cleanupCommand: ['sh', '-c', 'printf "%s\\n" "${FLAG_FILE##*/}" >> "$0"', record],
      });

      // Killed once a tenth is done; the restart resumes the rest.
      const first = startInBackground(command, BUSYBOX, { COLLECTOR_PASSES: '1' });
      await until(() => list(join(root, 'processed')).length >= FILES / 10, 'a tenth of the backlog', 60 * 60_000);
      killGroup(first);
      await first.exited;
      expect(list(dir)).toEqual([]);
      const restart = startInBackground(command, BUSYBOX, { COLLECTOR_PASSES: '1' });
      expect(await restart.exited).toBe(0);

      expect(list(join(root, 'processed'))).toHaveLength(FILES + 1);
      expect(list(join(root, 'processing'))).toEqual([]);
      expect(list(join(root, 'failed'))).toEqual([]);
      const runs = readFileSync(record, 'utf8').trim().split('\n');
      // Each file once, but the one whose cleanup the kill may have cut (re-run by design).
      expect(new Set(runs).size).toBe(FILES + 1);
      expect(runs.length - new Set(runs).size).toBeLessThanOrEqual(1);
    },
    2 * 60 * 60_000,
  );
});

// How the collector-chaos harness (scripts/load/chaos.ts) tells the documented re-run after a
// kill from a repeated cleanup, on cleanup logs and kill records as a run on a loaded node
// produces them.
import { Cleanup, KillRecord, tally } from '../../scripts/load/chaos';

const UID = '00000000-0000-4000-8000-000000000001';
const FILE = `audited-w0-001.${UID}.20261205T214700Z.42.txt`;

/** A run of the cleanup for UID at node uptime `uptime` with CLEANUP_ATTEMPT `attempt`. */
const run = (uptime: number, attempt: number): Cleanup => ({ uid: UID, attempt: String(attempt), stopped: 0, cleaned: 1, uptime });

/** A kill issued at `uptime`, its container seen stopped at `stopped`, processing/ then holding `unfinished`. */
const kill = (uptime: number, stopped: number, unfinished: string[] = []): KillRecord => ({ uptime, stopped, unfinished });

const counts = (runs: Cleanup[], kills: KillRecord[]) => {
  const { once, reruns, repeated } = tally([UID], runs, kills);
  return { once, reruns, repeated };
};

describe('a second cleanup of one flag file', () => {
  test('after a kill that left the file in processing/ (listed at the stop): the documented re-run', () => {
    expect(counts([run(100.2, 1), run(101.5, 2)], [kill(100.1, 100.9, [FILE])])).toEqual({ once: 1, reruns: 1, repeated: 0 });
  });

  test('after a SIGKILL mid-cleanup whose restarted collector moved the file before the harness saw the stop: the re-run, by its next attempt', () => {
    // The runtime restarted the collector at once; at load 50 `ctr tasks ls` showed the stop
    // only after the re-run had moved the file to processed/: the listing is empty.
    expect(counts([run(100.2, 1), run(100.4, 2)], [kill(100.1, 103.0, [])])).toEqual({ once: 1, reruns: 1, repeated: 0 });
  });

  test('with attempt 1 again (the file had left processing/), however close the kill: repeated', () => {
    expect(counts([run(100.2, 1), run(100.4, 1)], [kill(100.1, 103.0, [])])).toEqual({ once: 1, reruns: 0, repeated: 1 });
  });

  test('with no kill between the runs, whatever its attempt: repeated', () => {
    // A kill stopped before the first run, and one issued after the second.
    const kills = [kill(90, 95, [FILE]), kill(102, 103, [FILE])];
    expect(counts([run(100.2, 1), run(101.5, 2)], kills)).toEqual({ once: 1, reruns: 0, repeated: 1 });
  });

  test('each run counted once; a file never cleaned is lost', () => {
    expect(tally([UID, 'other-uid'], [run(100.2, 1)], []).lost).toBe(1);
    expect(counts([run(100.2, 1)], [kill(100.1, 100.9, [FILE])])).toEqual({ once: 1, reruns: 0, repeated: 0 });
  });
});

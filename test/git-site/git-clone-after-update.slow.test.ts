// afterUpdateCommand: run by the sync loop once per published tree (the init container's
// first one included), with the commit in its environment; a failure is logged and retried
// next round, and never stops syncing or serving.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'cdk8s';
import { GIT_CLONE_LAYOUT, GitCloneScript, GitCloneScriptProps } from '../../lib';
import { TestRepo } from '../support/git-repo';
import { runGitScript, served } from '../support/git-script';
import { SHELLS, tempDir } from '../support/run';

const oneRound = { [GIT_CLONE_LAYOUT.iterationsEnv]: '1' };

/** A hook that appends its environment to `<log>` and fails while `<fail>` exists. */
function recordingHook() {
  const dir = tempDir('hook-');
  const log = join(dir, 'log');
  const fail = join(dir, 'fail');
  const command = [
    '/bin/sh',
    '-c',
    'printf "%s %s %s %s %s\\n" "$GIT_SITE_COMMIT" "$GIT_SITE_REF" "$GIT_SITE_REPOSITORY" "$GIT_SITE_DIR" "$(cat "$GIT_SITE_DIR/index.html")" >> "$0"; test ! -e "$1"',
    log,
    fail,
  ];
  const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  return { command, fail, runs };
}

function scripts(repo: TestRepo, props: Partial<GitCloneScriptProps>) {
  const script = new GitCloneScript({ repository: repo.url, allowFileUrl: true, ...props });
  return { init: script.initScript.toCommand(), sync: script.syncScript(1).toCommand() };
}

describe.each(SHELLS)('afterUpdateCommand, run by %s', (shell) => {
  test('runs once for the first tree and once per switch, with the commit, ref, repository and served directory', () => {
    const repo = TestRepo.create();
    const [first] = repo.add({ branch: 'main', files: { 'index.html': 'first\n' } });
    const hook = recordingHook();
    const { init, sync } = scripts(repo, { ref: 'main', afterUpdateCommand: hook.command });
    const volume = tempDir();

    // The init container publishes the first tree and leaves the run to the sidecar.
    expect(runGitScript(init, volume, shell).stdout).toBe(`git-site: serving ${first}\n`);
    expect(hook.runs()).toEqual([]);
    const round = runGitScript(sync, volume, shell, oneRound);
    expect(round.stderr).toBe('');
    expect(round.stdout).toBe(`git-site: branch or tag main is up to date\ngit-site: afterUpdateCommand succeeded for ${first}\n`);
    expect(hook.runs()).toEqual([`${first} main ${repo.url} ${volume}/${served(volume).target} first`]);

    // A quiet round runs nothing; a new commit runs it once, for that commit.
    runGitScript(sync, volume, shell, oneRound);
    expect(hook.runs()).toHaveLength(1);
    const [second] = repo.add({ branch: 'main', files: { 'index.html': 'second\n' } });
    const next = runGitScript(sync, volume, shell, oneRound);
    expect(next.stdout).toBe(`git-site: serving ${second}\ngit-site: afterUpdateCommand succeeded for ${second}\n`);
    expect(hook.runs()[1]).toBe(`${second} main ${repo.url} ${volume}/${served(volume).target} second`);
  });
});

describe('afterUpdateCommand', () => {
  test('a failure is logged, the tree stays served and the run is retried next round (also by a restarted sidecar) until it succeeds', () => {
    const repo = TestRepo.create();
    const [head] = repo.add({ branch: 'main', files: { 'index.html': 'site\n' } });
    const hook = recordingHook();
    const { init, sync } = scripts(repo, { afterUpdateCommand: hook.command });
    const volume = tempDir();
    runGitScript(init, volume);
    writeFileSync(hook.fail, '');

    // Two rounds of one loop, then a restarted loop (a new container, same volume).
    const failing = runGitScript(sync, volume, 'sh', { [GIT_CLONE_LAYOUT.iterationsEnv]: '2' });
    expect(failing.status).toBe(0);
    expect(failing.stderr).toBe(`git-site: afterUpdateCommand failed with exit status 1 for ${head}, retrying next round\n`.repeat(2));
    expect(served(volume).content).toBe('site\n');
    expect(readFileSync(join(volume, served(volume).snapshot, GIT_CLONE_LAYOUT.afterUpdatePending), 'utf8')).toBe(`${head}\n`);
    expect(runGitScript(sync, volume, 'sh', oneRound).stderr).toMatch(/afterUpdateCommand failed/);

    rmSync(hook.fail);
    const ok = runGitScript(sync, volume, 'sh', oneRound);
    expect(ok.stdout).toBe(`git-site: the default branch is up to date\ngit-site: afterUpdateCommand succeeded for ${head}\n`);
    expect(hook.runs().map((line) => line.split(' ')[1])).toEqual(['HEAD', 'HEAD', 'HEAD', 'HEAD']);
    expect(existsSync(join(volume, served(volume).snapshot, GIT_CLONE_LAYOUT.afterUpdatePending))).toBe(false);
  });

  test.each(SHELLS)('a command that hangs is stopped at afterUpdateTimeout and counts as failed; the loop goes on (%s)', (shell) => {
    const repo = TestRepo.create();
    repo.add({ branch: 'main', files: { 'index.html': 'site\n' } });
    const script = new GitCloneScript({
      repository: repo.url,
      allowFileUrl: true,
      afterUpdateCommand: ['sleep', '30'],
      afterUpdateTimeout: Duration.seconds(1),
    });
    const volume = tempDir();
    runGitScript(script.initScript.toCommand(), volume, shell);
    const started = Date.now();
    const round = runGitScript(script.syncScript(1).toCommand(), volume, shell, oneRound);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(round.status).toBe(0);
    // GNU timeout exits 124, busybox's 143 (its SIGTERM; busybox sh says "Terminated").
    expect(round.stderr).toMatch(
      /^(Terminated\n)?git-site: afterUpdateCommand failed with exit status (124|143) for [0-9a-f]{40}, retrying next round\n$/,
    );
  });

  test('a failed update still runs a pending command: serving goes on, and so does the command', () => {
    const repo = TestRepo.create();
    const [head] = repo.add({ branch: 'main', files: { 'index.html': 'site\n' } });
    const hook = recordingHook();
    const volume = tempDir();
    runGitScript(scripts(repo, { afterUpdateCommand: hook.command }).init, volume);
    rmSync(repo.dir, { recursive: true });
    const round = runGitScript(scripts(repo, { afterUpdateCommand: hook.command }).sync, volume, 'sh', oneRound);
    expect(round.stderr).toMatch(/git-site: update failed, still serving the previous tree\n$/);
    expect(round.stdout).toBe(`git-site: afterUpdateCommand succeeded for ${head}\n`);
  });

  test('the command is exec form, each word one quoted word', () => {
    const script = new GitCloneScript({ repository: 'https://example.com/site.git', afterUpdateCommand: ['purge', "$(touch PWNED) 'x'"] });
    expect(script.syncScript(60).render()).toContain(`timeout -k 5 '60' 'purge' '$(touch PWNED) '\\''x'\\'''`);
  });
});

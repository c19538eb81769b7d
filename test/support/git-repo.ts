import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './run';

/** The git binary the tests run (the scripts find git on PATH, like in the image). */
export const GIT = '/usr/bin/git';

/** An environment that keeps the developer's git config out of the tests. */
function isolatedGitEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
}

/** Runs git and returns its stdout; throws with stderr when it fails. */
export function git(args: string[], options: { cwd?: string; input?: string } = {}): string {
  const result = spawnSync(GIT, args, {
    cwd: options.cwd,
    input: options.input,
    env: isolatedGitEnv(tempDir('git-home-')),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A file's content, a symbolic link to a target, or a submodule at a commit (a gitlink). */
export type FileEntry = string | { readonly symlink: string } | { readonly gitlink: string };

/** One step of a repository's history. */
export type HistoryStep =
  | { readonly branch: string; readonly files: Readonly<Record<string, FileEntry>>; readonly message?: string }
  | { readonly tag: string; readonly branch: string };

// fast-import takes C-style quoted paths: any byte but NUL, newlines included.
function quotePath(path: string): string {
  return `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function data(text: string): string {
  return `data ${Buffer.byteLength(text)}\n${text}\n`;
}

/**
 * A bare repository on disk, written with one `git fast-import` per {@link add} (process
 * start-up is most of git's cost here). Each commit holds exactly the files it lists.
 */
export class TestRepo {
  /** A new bare repository whose default branch (HEAD) is `main`; SHA-1 unless `objectFormat` says otherwise. */
  public static create(name = 'site.git', parent = tempDir('git-remote-'), objectFormat: 'sha1' | 'sha256' = 'sha1'): TestRepo {
    const dir = join(parent, name);
    mkdirSync(dir, { recursive: true });
    git(['init', '--quiet', '--bare', '--initial-branch=main', `--object-format=${objectFormat}`, dir]);
    // As GitHub and GitLab do: a partial clone (the site's sub-path) gets only the blobs it needs.
    git(['--git-dir', dir, 'config', 'uploadpack.allowFilter', 'true']);
    return new TestRepo(dir);
  }

  private time = 1_700_000_000;
  private readonly branches = new Set<string>();

  private constructor(
    /** The repository directory. */
    public readonly dir: string,
  ) {}

  /** Sets a config value of the repository (e.g. `uploadpack.allowReachableSHA1InWant`). */
  public config(key: string, value: string): void {
    git(['--git-dir', this.dir, 'config', key, value]);
  }

  /** The repository's `file://` URL. */
  public get url(): string {
    return `file://${this.dir}`;
  }

  /** Appends commits and annotated tags; returns the commit id of each commit step. */
  public add(...steps: HistoryStep[]): string[] {
    let stream = '';
    const tips = new Map<string, number>();
    steps.forEach((step, i) => {
      const mark = i + 1;
      this.time += 60;
      if ('tag' in step) {
        const from = tips.get(step.branch);
        stream += `tag ${step.tag}\nfrom ${from ? `:${from}` : `refs/heads/${step.branch}^0`}\n`;
        stream += `tagger Test <test@example.com> ${this.time} +0000\n${data(`release ${step.tag}`)}`;
        return;
      }
      stream += `commit refs/heads/${step.branch}\nmark :${mark}\n`;
      stream += `committer Test <test@example.com> ${this.time} +0000\n${data(step.message ?? `commit ${mark}`)}`;
      if (!tips.has(step.branch) && this.branches.has(step.branch)) stream += `from refs/heads/${step.branch}^0\n`;
      stream += 'deleteall\n';
      for (const [path, entry] of Object.entries(step.files)) {
        if (typeof entry === 'object' && 'gitlink' in entry) {
          stream += `M 160000 ${entry.gitlink} ${quotePath(path)}\n`;
          continue;
        }
        const [mode, content] = typeof entry === 'string' ? ['100644', entry] : ['120000', entry.symlink];
        stream += `M ${mode} inline ${quotePath(path)}\n${data(content)}`;
      }
      tips.set(step.branch, mark);
    });
    steps.forEach((step) => this.branches.add(step.branch));
    const marks = join(tempDir('git-marks-'), 'marks');
    git(['fast-import', '--quiet', `--export-marks=${marks}`], { cwd: this.dir, input: stream });
    const ids = new Map(
      readFileSync(marks, 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' ') as [string, string]),
    );
    return steps.flatMap((step, i) => ('tag' in step ? [] : [ids.get(`:${i + 1}`)!]));
  }
}

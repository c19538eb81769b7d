import { IConstruct } from 'constructs';

/**
 * The stable code of a {@link Warnings warning}: a choice that is legal but risky. Acknowledge
 * it by code where you mean it.
 */
export type WarningCode =
  /** A native sidecar (`restartPolicy: Always` on an init container) needs Kubernetes 1.29+. */
  | 'NATIVE_SIDECAR'
  /** `keepSymlinks`: the repository's symbolic links are served as links. */
  | 'KEEP_SYMLINKS'
  /** An image without a fixed version: pulled on every start (`Always`), and it changes under you. */
  | 'UNPINNED_IMAGE'
  /** A `hostPath` under `/tmp`: a tmpfs on some nodes, emptied at reboot. */
  | 'HOST_PATH_IN_TMP'
  /** A `sleep` lifecycle action needs Kubernetes 1.29+ (on by default from 1.30). */
  | 'SLEEP_ACTION';

/** A warning, as {@link Warnings.list} returns it. */
export interface ConstructWarning {
  /** The stable code. */
  readonly code: WarningCode;
  /** What is risky, and what to do about it. */
  readonly message: string;
  /** The construct path the warning is attached to. */
  readonly constructPath: string;
}

const WARNING = 'cdk8s-pod-lifecycle/warning';
const ACKNOWLEDGED = 'cdk8s-pod-lifecycle/acknowledged-warning';

/** Set to `silent`, `cdk8s synth` does not print the warnings (they are still recorded). */
export const WARNINGS_ENV = 'CDK8S_POD_LIFECYCLE_WARNINGS';

/**
 * The warnings of the library: legal but risky choices (a native sidecar, an unpinned image,
 * a hostPath under `/tmp`, ...), attached to the construct that made them as construct
 * metadata. `cdk8s synth` (any `app.synth()`) prints one line per code on stderr, with the
 * count and the construct paths, unless it is acknowledged on its construct or any construct
 * above it (a chart, or the app for the whole app):
 *
 * ```ts
 * Warnings.of(chart).acknowledge('HOST_PATH_IN_TMP', 'the nodes keep /tmp on disk');
 * ```
 *
 * Tests read them with `warningsOf(chart)` from `cdk8s-pod-lifecycle/testing`.
 */
export class Warnings {
  /** The warnings of `scope`. */
  public static of(scope: IConstruct): Warnings {
    return new Warnings(scope);
  }

  private constructor(private readonly scope: IConstruct) {}

  /**
   * Attaches a warning to the construct.
   * @param code the stable code
   * @param message what is risky, and what to do about it
   */
  public add(code: WarningCode, message: string): void {
    this.scope.node.addMetadata(WARNING, { code, message });
    printAtSynth(this.scope.node.root);
  }

  /**
   * Silences the warnings with `code` on this construct and every construct below it.
   * @param code the warning's code
   * @param reason why the choice is right here, for the reader
   */
  public acknowledge(code: WarningCode, reason = ''): void {
    this.scope.node.addMetadata(ACKNOWLEDGED, { code, reason });
  }

  /** The warnings on this construct and below it that no construct at or above them acknowledged, in tree order. */
  public list(): ConstructWarning[] {
    const warnings: ConstructWarning[] = [];
    for (const construct of this.scope.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== WARNING) continue;
        const { code, message } = entry.data as { code: WarningCode; message: string };
        if (!isAcknowledged(construct, code)) warnings.push({ code, message, constructPath: construct.node.path });
      }
    }
    return warnings;
  }
}

function isAcknowledged(construct: IConstruct, code: WarningCode): boolean {
  return construct.node.scopes.some((scope) =>
    scope.node.metadata.some((entry) => entry.type === ACKNOWLEDGED && (entry.data as { code: string }).code === code),
  );
}

// cdk8s validates the app several times per synth; each code is printed once per app.
const printed = new WeakMap<IConstruct, Set<string>>();

/** At most this many construct paths in a printed warning; the count says how many there are. */
const MAX_PATHS_SHOWN = 5;

function printAtSynth(root: IConstruct): void {
  if (printed.has(root)) return;
  const done = new Set<string>();
  printed.set(root, done);
  root.node.addValidation({
    validate: () => {
      if (process.env[WARNINGS_ENV] === 'silent') return [];
      for (const [code, warnings] of byCode(Warnings.of(root).list())) {
        if (done.has(code)) continue;
        done.add(code);
        process.stderr.write(`${formatWarning(code, warnings)}\n`);
      }
      return [];
    },
  });
}

function byCode(warnings: readonly ConstructWarning[]): Map<WarningCode, ConstructWarning[]> {
  const groups = new Map<WarningCode, ConstructWarning[]>();
  for (const warning of warnings) groups.set(warning.code, [...(groups.get(warning.code) ?? []), warning]);
  return groups;
}

/**
 * One line per code: the count, the construct paths (the first few), the first message
 * (the others differ only in the value they name), and how to acknowledge it.
 */
function formatWarning(code: WarningCode, warnings: readonly ConstructWarning[]): string {
  const paths = warnings.slice(0, MAX_PATHS_SHOWN).map((w) => w.constructPath);
  const more = warnings.length > MAX_PATHS_SHOWN ? `, and ${warnings.length - MAX_PATHS_SHOWN} more` : '';
  const count = warnings.length === 1 ? '1 construct' : `${warnings.length} constructs`;
  return (
    `[warning] ${code} (${count}: ${paths.join(', ')}${more}): ${warnings[0].message} ` +
    `(acknowledge on a construct, a chart or the app: Warnings.of(scope).acknowledge('${code}', reason))`
  );
}

import * as kplus from 'cdk8s-plus-27';
import { printLines, sh, ShellCode } from '../core/shell';

// The flag-file format: one definition that the preStop hook writes and the collector reads.

/** The first line of every flag file: `format=<this>`. A collector accepts only this version. */
export const FLAG_FILE_FORMAT = 'cdk8s-pod-lifecycle/prestop-flag/v1';

/** The ending of a flag file's name; the collector takes only non-hidden files with it. */
export const FLAG_FILE_EXTENSION = '.txt';

/**
 * The most the collector reads of a flag file: the header and the empty line ending it must
 * lie within these first bytes (a valid header takes at most about 1 KiB), or the file goes
 * to `failed/`. The rest of the file is never read, however large or endless it is.
 */
export const FLAG_HEADER_MAX_BYTES = 4096;

// `case` patterns for values a field must not have: empty, or characters outside its set
// (a name also may not start with '.' or '-', so it is never a hidden file or an option).
const INVALID_TIMESTAMP = "''|*[!0-9TZ:-]*";
const INVALID_NAME = "''|[!a-z0-9]*|*[!a-z0-9.-]*";

/** One `key=value` header field of a flag file. */
export interface FlagField {
  /** The key in the file. */
  readonly key: string;
  /**
   * The environment variable the cleanup command receives the value in; for fields taken
   * from the downward API, also the variable the preStop hook reads it from.
   */
  readonly env: string;
  /**
   * The downward API field the hook reads.
   * @default - none: the hook writes the field itself
   */
  readonly fieldRef?: kplus.EnvFieldPaths;
  /** A `case` pattern matching every value the field must not have; both scripts check it. */
  readonly invalid: string;
}

/**
 * The header fields of a flag file, in file order, after the `format=` line. Every value is
 * non-empty; `stopped_at` is a UTC timestamp (`2019-03-12T09:15:35Z`), the others are
 * Kubernetes names: lowercase letters, digits, `.` and `-`, starting with a letter or digit.
 */
export const FLAG_FIELDS: readonly FlagField[] = [
  { key: 'stopped_at', env: 'STOPPED_AT', invalid: INVALID_TIMESTAMP },
  { key: 'pod', env: 'POD_NAME', fieldRef: kplus.EnvFieldPaths.POD_NAME, invalid: INVALID_NAME },
  { key: 'namespace', env: 'POD_NAMESPACE', fieldRef: kplus.EnvFieldPaths.POD_NAMESPACE, invalid: INVALID_NAME },
  { key: 'uid', env: 'POD_UID', fieldRef: kplus.EnvFieldPaths.POD_UID, invalid: INVALID_NAME },
  { key: 'node', env: 'NODE_NAME', fieldRef: kplus.EnvFieldPaths.NODE_NAME, invalid: INVALID_NAME },
  { key: 'container', env: 'CONTAINER_NAME', invalid: INVALID_NAME },
];

// The shell code both scripts build from FLAG_FIELDS, built once rather than per hook or collector.

// The preStop hook's downward API values, each emptied unless it looks like a Kubernetes name.
export const DOWNWARD_API_SANITIZERS = ShellCode.lines(
  FLAG_FIELDS.filter((field) => field.fieldRef).map((field) => {
    const variable = fieldVariable(field);
    return sh`${variable}=\${${ShellCode.trusted(field.env)}-}
case $${variable} in ${ShellCode.trusted(field.invalid)}) ${variable}= ;; esac`;
  }),
);

// Prints a flag file's header and its two human-readable lines.
export const FLAG_HEADER_PRINTER = ShellCode.lines([
  printLines([`format=${FLAG_FILE_FORMAT}`]),
  ...FLAG_FIELDS.map((field) => sh`printf '%s=%s\\n' ${field.key} "$${fieldVariable(field)}"`),
  sh`printf '\\n'`,
  sh`printf 'the date is %s\\n' "$human_date"`,
  sh`printf 'the pod %s has been terminated\\n' "\${f_pod:-unknown}"`,
]);

// The collector's parsing of a header, its checks, and the cleanup's environment. The header
// cases read the current line from $line, one per field.
export const COLLECTOR_FIELD_CODE = {
  resetFields: ShellCode.trusted(FLAG_FIELDS.map((f) => `${fieldVariable(f)}=`).join(' ')),
  headerCases: ShellCode.lines(
    FLAG_FIELDS.map((f) => {
      const variable = fieldVariable(f);
      return sh`      ${`${f.key}=`}*) [ -z "$${variable}" ] || return 1; ${variable}=\${line#*=} ;;`;
    }),
  ),
  checks: ShellCode.lines(FLAG_FIELDS.map((f) => sh`  case $${fieldVariable(f)} in ${ShellCode.trusted(f.invalid)}) return 1 ;; esac`)),
  cleanupEnv: ShellCode.trusted(FLAG_FIELDS.map((f) => `${f.env}="$${fieldVariable(f)}"`).join(' ')),
};

// The shell variable holding a field's value in both scripts.
export function fieldVariable(field: FlagField): ShellCode {
  return ShellCode.trusted(`f_${field.key}`);
}

import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { execArgumentOverLimit, MAX_ARG_STRLEN, MAX_INT32, MAX_PID_DIGITS, NAME_MAX, PATH_MAX, utf8Length } from './limits';
import { PropContext, PropErrorCode } from './errors';
import { manifestTextProblem, unicodeProblem } from './manifest-text';
import {
  DNS1123_LABEL,
  DNS1123_LABEL_MAX,
  DNS1123_SUBDOMAIN,
  DNS1123_SUBDOMAIN_MAX,
  isDnsSubdomain,
  LABEL_NAME,
  LABEL_NAME_MAX,
} from './names';
import { quantityValue } from './quantity';

// The prop checks every construct and building block uses: each returns the checked value
// or throws a PropError that names the place (`ctx`), the prop, the value and the rule.

function checkName(
  ctx: PropContext,
  code: PropErrorCode,
  prop: string,
  value: string,
  pattern: RegExp,
  maxLength: number,
  rule: string,
): string {
  if (!pattern.test(value)) throw ctx.error(code, prop, value, rule);
  if (value.length > maxLength) {
    throw ctx.error(code, prop, value, `${rule.slice(0, rule.indexOf(':'))}: at most ${maxLength} characters (has ${value.length})`);
  }
  return value;
}

/** Checks a DNS-1123 label (container, port, volume and Service names): at most 63 characters. */
export function checkDnsLabel(ctx: PropContext, prop: string, value: string): string {
  return checkName(
    ctx,
    'DNS_LABEL',
    prop,
    value,
    DNS1123_LABEL,
    DNS1123_LABEL_MAX,
    "is not a DNS-1123 label: lowercase letters, digits and '-' only, starting and ending with a letter or digit",
  );
}

/** Checks a DNS-1123 subdomain (Pod and most object names): at most 253 characters. */
export function checkDnsSubdomain(ctx: PropContext, prop: string, value: string): string {
  return checkName(
    ctx,
    'DNS_SUBDOMAIN',
    prop,
    value,
    DNS1123_SUBDOMAIN,
    DNS1123_SUBDOMAIN_MAX,
    "is not a DNS-1123 subdomain: lowercase letters, digits, '-' and '.' only, each part starting and ending with a letter or digit",
  );
}

/**
 * Checks an integer in `[min, max]`.
 * @param what how the rule names the number, e.g. `a non-root user id`
 * @param code the error code
 */
export function checkIntegerRange(
  ctx: PropContext,
  prop: string,
  value: number,
  min: number,
  max: number,
  what = 'an integer',
  code: PropErrorCode = 'INTEGER_RANGE',
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw ctx.error(code, prop, value, `is not ${what} from ${min} to ${max}`);
  }
  return value;
}

/**
 * Checks a duration that Kubernetes or `sleep` takes in whole seconds, from `min` to
 * `max` seconds; returns the seconds.
 */
export function checkWholeSeconds(ctx: PropContext, prop: string, value: Duration, min: number, max: number = MAX_INT32): number {
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw ctx.error('WHOLE_SECONDS', prop, seconds, `is not a whole number of seconds from ${min} to ${max}`);
  }
  return seconds;
}

/** Checks a TCP/UDP port number: 1 to 65535. */
export function checkPort(ctx: PropContext, prop: string, value: number): number {
  return checkIntegerRange(ctx, prop, value, 1, 65535, 'a port number', 'PORT_RANGE');
}

/** Checks a NodePort: the default service-node-port-range, 30000 to 32767. */
export function checkNodePort(ctx: PropContext, prop: string, value: number): number {
  return checkIntegerRange(ctx, prop, value, 30000, 32767, 'a NodePort (the default service-node-port-range)', 'NODE_PORT');
}

// A '/' followed by nothing, '.' or '..', up to the next '/' or the end: an empty, '.' or
// '..' segment, or a trailing '/'.
const NOT_NORMALIZED_PATH = /\/\.{0,2}(\/|$)/;

/**
 * Checks an absolute, normalized POSIX path: starts with `/`, no `.` or `..` segments,
 * no empty segments, no trailing `/` (except `/` itself), no NUL byte.
 */
export function checkAbsolutePath(ctx: PropContext, prop: string, value: string): string {
  checkPathShape(ctx, prop, value);
  // Paths are manifest fields (mount paths, the shell of an exec command) as well as script words.
  checkManifestText(ctx, prop, value);
  checkPathLength(ctx, prop, value, value);
  return value;
}

function checkPathShape(ctx: PropContext, prop: string, value: string): void {
  if (!value.startsWith('/')) {
    throw ctx.error('ABSOLUTE_PATH', prop, value, "is not an absolute path: it must start with '/'");
  }
  if (value.includes('\0')) {
    throw ctx.error('NUL_BYTE', prop, value, 'is not a valid path: it holds a NUL byte');
  }
  if (value !== '/' && NOT_NORMALIZED_PATH.test(value)) {
    throw ctx.error('ABSOLUTE_PATH', prop, value, "is not a normalized path: no '.', '..', empty segments or trailing '/'");
  }
}

// Each component of `written` within NAME_MAX and the whole within PATH_MAX, in bytes;
// `written` is the path the kernel gets (a temporary name, say), `value` what the user gave.
function checkPathLength(ctx: PropContext, prop: string, value: string, written: string, what = 'the path'): void {
  checkBytes(
    ctx,
    prop,
    value,
    written,
    PATH_MAX - 1,
    (bytes) => `is too long: ${what} has ${bytes} bytes, and Linux takes at most ${PATH_MAX - 1} (PATH_MAX ${PATH_MAX})`,
  );
  for (const name of written.split('/')) {
    checkBytes(
      ctx,
      prop,
      value,
      name,
      NAME_MAX,
      (bytes) => `holds a file name of ${bytes} bytes in ${what}, and Linux file systems take at most ${NAME_MAX} (NAME_MAX)`,
    );
  }
}

// A PATH_LENGTH error when `text` has more than `max` UTF-8 bytes; `rule` says it with the count.
function checkBytes(ctx: PropContext, prop: string, value: string, text: string, max: number, rule: (bytes: number) => string): void {
  const bytes = utf8Length(text);
  if (bytes > max) throw ctx.error('PATH_LENGTH', prop, value, rule(bytes));
}

/**
 * The longest file name, in UTF-8 bytes, that the library's atomic writes take: the
 * temporary name `.<name>.tmp.<pid>` (a PID has up to {@link MAX_PID_DIGITS} digits) must
 * fit `NAME_MAX` (255).
 */
export const MAX_WRITTEN_FILE_NAME_BYTES = NAME_MAX - '.'.length - '.tmp.'.length - MAX_PID_DIGITS;

/**
 * Checks the path of a file a script writes atomically (through the hidden temporary file
 * `<dir>/.<name>.tmp.<pid>`): an absolute, normalized path of a file, not `/` (nor any path
 * ending in `/`, `.` or `..`), valid Unicode; its file name at most
 * {@link MAX_WRITTEN_FILE_NAME_BYTES} bytes, so the temporary name fits `NAME_MAX`, and the
 * temporary path within `PATH_MAX`. Only the script holds the path, so any other character
 * is fine (see {@link shellQuote}).
 */
export function checkWrittenFilePath(ctx: PropContext, prop: string, value: string): string {
  if (value === '/') throw ctx.error('ABSOLUTE_PATH', prop, value, 'is the root directory, not a file: give the path of the file to write');
  checkPathShape(ctx, prop, value);
  checkUnicodeText(ctx, prop, value);
  const slash = value.lastIndexOf('/');
  checkWrittenFileName(ctx, prop, value, value.slice(slash + 1));
  checkPathLength(
    ctx,
    prop,
    value,
    `${value.slice(0, slash)}/.${value.slice(slash + 1)}.tmp.${'9'.repeat(MAX_PID_DIGITS)}`,
    'its temporary path',
  );
  return value;
}

function checkWrittenFileName(ctx: PropContext, prop: string, value: string, name: string): void {
  checkBytes(
    ctx,
    prop,
    value,
    name,
    MAX_WRITTEN_FILE_NAME_BYTES,
    (bytes) =>
      `has a file name of ${bytes} bytes: it is written through the temporary name '.<name>.tmp.<pid>', which must fit NAME_MAX (${NAME_MAX} bytes), so at most ${MAX_WRITTEN_FILE_NAME_BYTES} bytes`,
  );
}

/**
 * Checks an absolute, normalized path of a directory that must be one of its own: not `/`.
 * @param purpose what the directory is for, for the message (`the flag files`)
 */
export function checkOwnDirectory(ctx: PropContext, prop: string, value: string, purpose: string): string {
  checkAbsolutePath(ctx, prop, value);
  if (value === '/') throw ctx.error('ABSOLUTE_PATH', prop, value, `is the root directory: give ${purpose} a directory of its own`);
  return value;
}

/**
 * Checks a plain file name: not empty, not `.` or `..`, no `/` and no NUL byte, valid
 * Unicode, and short enough for the temporary name of an atomic write (see
 * {@link MAX_WRITTEN_FILE_NAME_BYTES}).
 */
export function checkFileName(ctx: PropContext, prop: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw ctx.error('FILE_NAME', prop, value, "is not a file name: no '/', not '.' or '..', not empty");
  }
  checkUnicodeText(ctx, prop, value);
  checkWrittenFileName(ctx, prop, value, value);
  return value;
}

/** Checks a Kubernetes label or annotation key: an optional DNS subdomain prefix and `/`, then a name. */
export function checkLabelKey(ctx: PropContext, prop: string, key: string): string {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || isDnsSubdomain(prefix);
  if (!prefixOk || name.length > LABEL_NAME_MAX || !LABEL_NAME.test(name)) {
    throw ctx.error(
      'LABEL',
      prop,
      key,
      "is not a label key: an optional DNS-1123 subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    );
  }
  return key;
}

/** Label keys cdk8s and cdk8s-plus set themselves, which a user label must not take. */
const RESERVED_LABEL_KEYS: readonly string[] = ['cdk8s.io/metadata.addr'];

/** Checks a label map: valid keys (not `cdk8s.io/metadata.addr`, which cdk8s-plus sets), and values of at most 63 letters, digits, '-', '_' or '.' (or empty). */
export function checkLabels(ctx: PropContext, prop: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    checkLabelKey(ctx, `${prop} key`, key);
    if (RESERVED_LABEL_KEYS.includes(key)) {
      throw ctx.error(
        'RESERVED_LABEL',
        `${prop} key`,
        key,
        'is the label cdk8s-plus gives every pod to select it: it replaces the value on the pods but keeps it on the Service, which then selects nothing; use another key',
      );
    }
    if (value !== '' && (value.length > LABEL_NAME_MAX || !LABEL_NAME.test(value))) {
      throw ctx.error(
        'LABEL',
        `${prop}[${JSON.stringify(key)}]`,
        value,
        "is not a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      );
    }
  }
  return { ...labels };
}

// The shape of a container image reference (registry[:port]/path[:tag][@digest]).
const IMAGE_REF =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Checks the shape of a container image reference, e.g. `httpd:2.4.69` or `registry.example.com:5000/team/app@sha256:...`. */
export function checkImage(ctx: PropContext, prop: string, value: string): string {
  if (!IMAGE_REF.test(value)) {
    throw ctx.error(
      'IMAGE_REFERENCE',
      prop,
      value,
      'is not a container image reference: [registry[:port]/]name[:tag][@sha256:digest], name in lowercase',
    );
  }
  return value;
}

/** Whether an image reference names a fixed version: a digest, or a tag other than `latest`. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  return colon >= 0 && lastSegment.slice(colon + 1) !== 'latest';
}

/** Checks that a string holds no NUL byte, which cannot reach a process's arguments or a shell. */
export function checkNoNulByte(ctx: PropContext, prop: string, value: string): string {
  if (value.includes('\0')) {
    throw ctx.error('NUL_BYTE', prop, value, 'holds a NUL byte, which cannot be passed to a process');
  }
  return value;
}

/** Checks each string of a list (command words, lines) with {@link checkNoNulByte}, naming `prop[i]`; returns the list. */
export function checkNoNulBytes<T extends readonly string[] | undefined>(ctx: PropContext, prop: string, list: T): T {
  return checkEach(ctx, prop, list, checkNoNulByte);
}

/**
 * Checks each string of a list with `check` (e.g. {@link checkUnicodeText}), naming `prop[i]`; returns the list.
 * @param check the check of one string
 */
export function checkEach<T extends readonly string[] | undefined>(
  ctx: PropContext,
  prop: string,
  list: T,
  check: (ctx: PropContext, prop: string, value: string) => string,
): T {
  list?.forEach((item, i) => check(ctx, `${prop}[${i}]`, item));
  return list;
}

/**
 * Checks text a script writes or passes on (a page, flag-file lines, a word of a cleanup
 * command): no NUL byte (`NUL_BYTE`) and no lone surrogate (`UNICODE`, a UTF-16 half with no
 * UTF-8 form). Any other character is fine: scripts write it byte for byte.
 */
export function checkUnicodeText(ctx: PropContext, prop: string, value: string): string {
  const problem = unicodeProblem(value);
  if (problem) throw ctx.error(problem.code, prop, value, problem.rule);
  return value;
}

/**
 * Checks text the manifest holds as it is, outside any script (an exec word passed to the
 * program directly, an environment value, a mount path): {@link checkUnicodeText}, and
 * nothing kubectl's YAML decoder would reject or read differently from what `cdk8s synth`
 * wrote (`YAML_TEXT`): no U+007F-U+009F, U+2028, U+2029, U+FFFE or U+FFFF, no word the
 * writer leaves unquoted that go-yaml reads as a number (`0o17`), no multi-line word whose
 * YAML block starts with a tab or holds only blanks.
 */
export function checkManifestText(ctx: PropContext, prop: string, value: string): string {
  const problem = manifestTextProblem(value);
  if (problem) throw ctx.error(problem.code, prop, value, problem.rule);
  return value;
}

/**
 * Checks an exec-form command that a script runs (each word is passed to the shell
 * quoted): a program as its first word, and valid Unicode without NUL in every word.
 */
export function checkCommand(ctx: PropContext, prop: string, command: readonly string[]): readonly string[] {
  if (command.length === 0 || command[0] === '') {
    throw ctx.error('COMMAND', prop, command, 'is not a command: it needs a program as its first word');
  }
  checkEach(ctx, prop, command, checkUnicodeText);
  return command;
}

/**
 * Checks that each word of an exec command fits one `execve` argument (`MAX_ARG_STRLEN`,
 * 131,072 bytes with its NUL): a longer hook or container script fails with `E2BIG` every
 * time it runs.
 * @param prop the prop that made the command large (e.g. `content`)
 * @param value that prop's value, for the message
 * @param command the exec command, e.g. `script.toCommand()`
 * @param wayOut what to do instead, for the message
 */
export function checkExecArgs(
  ctx: PropContext,
  prop: string,
  value: unknown,
  command: readonly string[],
  wayOut: string,
): readonly string[] {
  for (const word of command) {
    const bytes = execArgumentOverLimit(word);
    if (bytes === undefined) continue;
    const limit = `Linux takes at most ${MAX_ARG_STRLEN - 1} per argument (MAX_ARG_STRLEN ${MAX_ARG_STRLEN} with its NUL)`;
    throw ctx.error(
      'ARG_TOO_LONG',
      prop,
      value,
      `makes an exec argument of ${bytes} bytes, and ${limit}: it would fail with E2BIG every time it runs; ${wayOut}`,
    );
  }
  return command;
}

/**
 * Checks compute resources: a CPU or memory request above its limit is refused by the API
 * server (`must be less than or equal to ... limit`).
 */
export function checkResources(
  ctx: PropContext,
  prop: string,
  resources: kplus.ContainerResources | undefined,
): kplus.ContainerResources | undefined {
  const cpu = resources?.cpu;
  if (cpu?.request && cpu.limit) {
    const [request, limit] = [cpuMillis(cpu.request), cpuMillis(cpu.limit)];
    if (request !== undefined && limit !== undefined && request > limit) {
      throw ctx.error(
        'RESOURCES',
        `${prop}.cpu`,
        `request ${cpu.request.amount}, limit ${cpu.limit.amount}`,
        'is a CPU request above its limit, which the API server refuses',
      );
    }
  }
  const memory = resources?.memory;
  if (memory?.request && memory.limit && sizeBytes(memory.request) > sizeBytes(memory.limit)) {
    throw ctx.error(
      'RESOURCES',
      `${prop}.memory`,
      `request ${memory.request.toMebibytes({ rounding: SizeRoundingBehavior.NONE })}Mi, limit ${memory.limit.toMebibytes({ rounding: SizeRoundingBehavior.NONE })}Mi`,
      'is a memory request above its limit, which the API server refuses',
    );
  }
  return resources;
}

// A Cpu's amount ('50m', '0.5', '2') in millicores; undefined for a token or another form.
function cpuMillis(cpu: kplus.Cpu): number | undefined {
  return quantityValue(String(cpu.amount), 1000);
}

function sizeBytes(size: Size): number {
  return size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024;
}

// The Secret key syntax (a file name in the mounted volume).
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks a Secret key: letters, digits, `-`, `_` and `.`. */
export function checkSecretKey(ctx: PropContext, prop: string, key: string, code: PropErrorCode = 'CREDENTIALS'): string {
  if (!SECRET_KEY.test(key)) throw ctx.error(code, prop, key, "is not a Secret key: letters, digits, '-', '_' and '.' only");
  return key;
}

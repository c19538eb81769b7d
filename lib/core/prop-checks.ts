import { Duration } from 'cdk8s';
import { MAX_INT32 } from './limits';
import { PropContext, PropErrorCode } from './errors';

// The prop checks every construct and building block uses: each returns the checked value
// or throws a PropError that names the place (`ctx`), the prop, the value and the rule.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

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
    63,
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
    253,
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
  if (!value.startsWith('/')) {
    throw ctx.error('ABSOLUTE_PATH', prop, value, "is not an absolute path: it must start with '/'");
  }
  if (value.includes('\0')) {
    throw ctx.error('NUL_BYTE', prop, value, 'is not a valid path: it holds a NUL byte');
  }
  if (value !== '/' && NOT_NORMALIZED_PATH.test(value)) {
    throw ctx.error('ABSOLUTE_PATH', prop, value, "is not a normalized path: no '.', '..', empty segments or trailing '/'");
  }
  return value;
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

/** Checks a plain file name: not empty, not `.` or `..`, no `/` and no NUL byte. */
export function checkFileName(ctx: PropContext, prop: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/') || value.includes('\0')) {
    throw ctx.error('FILE_NAME', prop, value, "is not a file name: no '/', not '.' or '..', not empty");
  }
  return value;
}

/** Checks a Kubernetes label or annotation key: an optional DNS subdomain prefix and `/`, then a name. */
export function checkLabelKey(ctx: PropContext, prop: string, key: string): string {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > 63 || !LABEL_NAME.test(name)) {
    throw ctx.error(
      'LABEL',
      prop,
      key,
      "is not a label key: an optional DNS-1123 subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    );
  }
  return key;
}

/** Checks a label map: valid keys, and values of at most 63 letters, digits, '-', '_' or '.' (or empty). */
export function checkLabels(ctx: PropContext, prop: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    checkLabelKey(ctx, `${prop} key`, key);
    if (value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
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
  list?.forEach((item, i) => checkNoNulByte(ctx, `${prop}[${i}]`, item));
  return list;
}

/** Checks an exec-form command: a program as its first word, and no NUL byte in any word. */
export function checkCommand(ctx: PropContext, prop: string, command: readonly string[]): readonly string[] {
  if (command.length === 0 || command[0] === '') {
    throw ctx.error('COMMAND', prop, command, 'is not a command: it needs a program as its first word');
  }
  checkNoNulBytes(ctx, prop, command);
  return command;
}

// The Secret key syntax (a file name in the mounted volume).
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** Checks a Secret key: letters, digits, `-`, `_` and `.`. */
export function checkSecretKey(ctx: PropContext, prop: string, key: string, code: PropErrorCode = 'CREDENTIALS'): string {
  if (!SECRET_KEY.test(key)) throw ctx.error(code, prop, key, "is not a Secret key: letters, digits, '-', '_' and '.' only");
  return key;
}

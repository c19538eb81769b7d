// Limits of Kubernetes and the kernel that the prop checks and synth checks enforce.

/** The largest value of a Kubernetes int32 field (`terminationGracePeriodSeconds`, `replicas`, ids). */
export const MAX_INT32 = 2147483647;

/**
 * The longest string one argument of `execve` may be, in bytes, its terminating NUL
 * included (Linux `MAX_ARG_STRLEN`, 32 pages): a longer exec hook or container script fails
 * with `E2BIG` ("argument list too long") every time it runs. A script may therefore hold
 * at most 131,071 bytes of UTF-8.
 */
export const MAX_ARG_STRLEN = 131072;

/**
 * The size in bytes of `word` as one `execve` argument (its UTF-8 bytes) when it is longer
 * than {@link MAX_ARG_STRLEN} allows, else undefined: the one test of "too long to exec".
 * @internal
 */
export function execArgumentOverLimit(word: string): number | undefined {
  // At most 3 bytes per UTF-16 unit: most words are clearly short enough without counting.
  if (word.length * 3 < MAX_ARG_STRLEN) return undefined;
  const bytes = utf8Length(word);
  return bytes + 1 > MAX_ARG_STRLEN ? bytes : undefined;
}

/** The longest file name (one path component) Linux file systems take, in bytes (`NAME_MAX`). */
export const NAME_MAX = 255;

/** The longest path a system call takes, in bytes, its terminating NUL included (Linux `PATH_MAX`). */
export const PATH_MAX = 4096;

/**
 * The largest object the API server stores, in bytes of JSON: etcd's default request limit
 * (`--max-request-bytes`, 1.5 MiB), which Kubernetes documents as the limit of an object. A
 * larger object is refused when it is applied (the API server's own request limit is 3 MiB).
 */
export const MAX_OBJECT_BYTES = 1572864;

/** The longest process id Linux gives (`pid_max` is at most 4,194,304): 7 digits. */
export const MAX_PID_DIGITS = 7;

/**
 * The length of `text` in UTF-8 bytes (a surrogate pair is 4, a lone surrogate 3: U+FFFD).
 * @internal
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      i++;
    } else {
      bytes += unit < 0x800 ? 1 : 2;
    }
  }
  return bytes;
}

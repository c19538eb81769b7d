import { Construct } from 'constructs';

/**
 * The stable code of a {@link PropError}: which rule the prop broke. Match on it instead of
 * the message, which may be reworded.
 */
export type PropErrorCode =
  /** Not a DNS-1123 label (container, port, Service and volume names), or longer than 63. */
  | 'DNS_LABEL'
  /** Not a DNS-1123 subdomain (Pod, Deployment, DaemonSet names), or longer than 253. */
  | 'DNS_SUBDOMAIN'
  /** An integer outside its range (user ids, replicas, attempts, depth). */
  | 'INTEGER_RANGE'
  /** Not a port number from 1 to 65535. */
  | 'PORT_RANGE'
  /** Not a NodePort from 30000 to 32767, or a node port on a Service type that has none. */
  | 'NODE_PORT'
  /** A duration that is not a whole number of seconds in its range. */
  | 'WHOLE_SECONDS'
  /** Not an absolute, normalized path, or `/` where a directory of its own is needed. */
  | 'ABSOLUTE_PATH'
  /** Not a plain file name (no `/`, not `.` or `..`, not empty). */
  | 'FILE_NAME'
  /** Text holding a NUL byte, which no process argument can carry. */
  | 'NUL_BYTE'
  /** Text holding a lone surrogate (half of a UTF-16 pair), which has no UTF-8 form. */
  | 'UNICODE'
  /**
   * Text the manifest holds as it is (an exec word, a path, an environment value) that
   * kubectl's YAML decoder would reject or read differently from what cdk8s synth wrote.
   */
  | 'YAML_TEXT'
  /** An exec argument (a hook's or container's script) longer than the kernel's MAX_ARG_STRLEN. */
  | 'ARG_TOO_LONG'
  /** A file name or path longer than NAME_MAX or PATH_MAX once written (temporary name included). */
  | 'PATH_LENGTH'
  /** Two volumes mounted at the same path in one container. */
  | 'MOUNT_PATH'
  /** A label key that cdk8s or cdk8s-plus sets itself. */
  | 'RESERVED_LABEL'
  /** Compute resources whose request is above their limit. */
  | 'RESOURCES'
  /** Not a ConfigMap key. */
  | 'CONFIG_MAP_KEY'
  /** Not a label key or label value. */
  | 'LABEL'
  /** Not a container image reference. */
  | 'IMAGE_REFERENCE'
  /** A capability the Pod Security level does not allow. */
  | 'CAPABILITY'
  /** A grace period too short for the preStop hook. */
  | 'GRACE_PERIOD'
  /** Not an exec-form command (no program). */
  | 'COMMAND'
  /** Not a git repository URL the git containers may clone. */
  | 'GIT_URL'
  /** Not a branch or tag name. */
  | 'GIT_REF'
  /** Not a normalized path inside the repository. */
  | 'REPO_PATH'
  /** Credentials that do not fit the repository, the pod or the Secret. */
  | 'CREDENTIALS'
  /** A prop that needs another prop (`nativeSidecar` without `syncInterval`). */
  | 'MISSING_PROP'
  /** Two props that cannot be combined (a pinned commit and `syncInterval`: nothing to follow; `content` and `contentFrom`). */
  | 'PROP_CONFLICT'
  /** A value that is not one of the prop's choices (`submodules`). */
  | 'CHOICE'
  /** A CA bundle that does not fit the repository (not https), or a bad key or path. */
  | 'CA_BUNDLE'
  /** A name the library already uses in the same pod (a volume, a container). */
  | 'NAME_CLASH';

/** The longest part of a value an error message quotes; the rest is counted, not shown. */
const MAX_SHOWN_VALUE = 200;

/**
 * A prop that breaks a rule. The message names the construct (class and path), the prop,
 * the value and the rule: `HttpdWithPostStart 'site/web' (prop nodePort): 80 is not a NodePort ...`.
 */
export class PropError extends Error {
  /** Which rule was broken; stable across releases. */
  public readonly code: PropErrorCode;
  /**
   * The construct path of the construct whose prop it is.
   * @default - none: the prop belongs to a building block that is not a construct
   */
  public readonly constructPath?: string;
  /** The prop, as the user wrote it (`labels["app"]`, `command[2]`). */
  public readonly prop: string;
  /** The value given. */
  public readonly value: unknown;
  /** The rule it breaks, as the message says it. */
  public readonly rule: string;

  /**
   * Use {@link PropContext.error} to build one, so every message has the same form.
   * @param where how the message names the place, e.g. `HttpdWithPostStart 'site/web'`
   * @param fields the code, prop, value, rule and construct path
   */
  public constructor(where: string, fields: { code: PropErrorCode; prop: string; value: unknown; rule: string; constructPath?: string }) {
    super(`${where} (prop ${fields.prop}): ${formatValue(fields.value)} ${fields.rule}`);
    this.name = 'PropError';
    this.code = fields.code;
    this.constructPath = fields.constructPath;
    this.prop = fields.prop;
    this.value = fields.value;
    this.rule = fields.rule;
  }
}

/** A value as messages show it: strings quoted, arrays as JSON, a long value cut with its length. */
function formatValue(value: unknown): string {
  const text = typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value);
  if (text.length <= MAX_SHOWN_VALUE + 2) return text;
  const length = typeof value === 'string' || Array.isArray(value) ? value.length : text.length;
  const unit = Array.isArray(value) ? 'elements' : 'characters';
  return `${text.slice(0, MAX_SHOWN_VALUE)}… (${length} ${unit})`;
}

/**
 * Where a prop was written: the construct (class name and construct path) or, for the
 * building blocks that are not constructs, just the name of the API.
 */
export class PropContext {
  /** Context for a construct's props: errors name its class and construct path. */
  public static of(construct: Construct): PropContext {
    // The path is built only for an error: most props are valid, and a path costs a walk up the tree.
    return new PropContext(
      () => `${construct.constructor.name} '${construct.node.path}'`,
      () => construct.node.path,
    );
  }

  /** Context for a function or class that is not a construct. */
  public static named(apiName: string): PropContext {
    return new PropContext(
      () => apiName,
      () => undefined,
    );
  }

  private constructor(
    private readonly describe: () => string,
    private readonly path: () => string | undefined,
  ) {}

  /** How errors name the place, e.g. `HttpdWithPostStart 'chart/web'`. */
  public get where(): string {
    return this.describe();
  }

  /**
   * The error for `prop` having `value`, which breaks `rule`.
   * @param code the rule's stable code
   * @param prop the prop's name as the user wrote it
   * @param value the value given
   * @param rule what is wrong, as a phrase that follows the value (`is not a port number from 1 to 65535`)
   */
  public error(code: PropErrorCode, prop: string, value: unknown, rule: string): PropError {
    return new PropError(this.where, { code, prop, value, rule, constructPath: this.path() });
  }
}

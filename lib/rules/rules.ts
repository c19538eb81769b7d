// The rule table: every rule about the produced objects, once, with its id, severity and fix.

/** The id of a rule about the produced objects; the same id in the synth checks, `/testing` and the plugin. */
export type RuleId =
  | 'service-selects-nothing'
  | 'mount-without-volume'
  | 'duplicate-container-name'
  | 'duplicate-mount-path'
  | 'sleep-exceeds-grace-period'
  | 'exec-argument-too-long'
  | 'env-value-too-long'
  | 'request-above-limit'
  | 'object-too-large'
  | 'config-data-too-large'
  | 'lone-surrogate'
  | 'duplicate-object'
  | 'duplicate-node-port';

/** How bad breaking a rule is: `error` fails the synth, the test helper and the plugin. */
export type RuleSeverity = 'error' | 'warning';

/** A rule of the table. */
export interface Rule {
  /** Its id. */
  readonly id: RuleId;
  /** Its severity. */
  readonly severity: RuleSeverity;
  /** What it checks, in one line. */
  readonly summary: string;
}

/** Every rule, in the order the docs list them. */
export const RULES: readonly Rule[] = [
  { id: 'service-selects-nothing', severity: 'error', summary: 'a Service selects no Pod or pod template of its namespace in the app' },
  { id: 'mount-without-volume', severity: 'error', summary: 'a volume mount or device names a volume the pod does not have' },
  { id: 'duplicate-container-name', severity: 'error', summary: 'two containers (init and ephemeral included) of one name in a pod' },
  { id: 'duplicate-mount-path', severity: 'error', summary: 'two volumes mounted at one path in a container' },
  { id: 'sleep-exceeds-grace-period', severity: 'error', summary: 'a postStart or preStop `sleep` action longer than the grace period' },
  { id: 'exec-argument-too-long', severity: 'error', summary: 'an exec word (command, args, exec hook or probe) over MAX_ARG_STRLEN' },
  { id: 'env-value-too-long', severity: 'error', summary: 'an environment string `NAME=value` over MAX_ARG_STRLEN' },
  { id: 'request-above-limit', severity: 'error', summary: 'a CPU or memory request above its limit' },
  { id: 'object-too-large', severity: 'error', summary: "an object's JSON over the 1.5 MiB etcd stores" },
  { id: 'config-data-too-large', severity: 'error', summary: 'ConfigMap or Secret data over the 1 MiB the API server takes' },
  { id: 'lone-surrogate', severity: 'error', summary: 'a string holding a lone UTF-16 surrogate, which no manifest file can carry' },
  { id: 'duplicate-object', severity: 'error', summary: 'two objects with the same API group, kind, namespace and name' },
  { id: 'duplicate-node-port', severity: 'error', summary: 'two Services taking the same node port' },
];

/** The ids of {@link RULES}, in order. */
export const RULE_IDS: readonly RuleId[] = RULES.map((rule) => rule.id);

/** An object as findings name it. */
export interface ObjectRef {
  /** `kind`, `?` when missing. */
  readonly kind: string;
  /** `metadata.name`, `?` when missing. */
  readonly name: string;
  /**
   * `metadata.namespace`.
   * @default - none: the namespace the manifests are applied to
   */
  readonly namespace?: string;
}

/** One way one object breaks one rule. */
export interface Finding {
  /** The rule. */
  readonly rule: RuleId;
  /** The rule's severity. */
  readonly severity: RuleSeverity;
  /** The object. */
  readonly object: ObjectRef;
  /** The object's index in the list the rules ran on. */
  readonly index: number;
  /** JSON pointer to the field, e.g. `/spec/containers/0/volumeMounts/1`. */
  readonly field: string;
  /** What is wrong, with the values involved (without the object, which {@link Finding.message} adds). */
  readonly problem: string;
  /** `Kind 'name'` (and namespace) `at <field>: <problem>`. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

const SEVERITY = new Map(RULES.map((rule) => [rule.id, rule.severity]));

/** How messages name an object: `Kind 'name'`, with ` in namespace ns` when it has one. */
export function describeObject(object: ObjectRef): string {
  return `${object.kind} '${object.name}'${object.namespace === undefined ? '' : ` in namespace ${object.namespace}`}`;
}

/** A finding of `rule` on the object at `index`. */
export function finding(rule: RuleId, object: ObjectRef, index: number, field: string, problem: string, fix: string): Finding {
  const severity = SEVERITY.get(rule) ?? 'error';
  return { rule, severity, object, index, field, problem, message: `${describeObject(object)} at ${field}: ${problem}`, fix };
}

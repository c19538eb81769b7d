/**
 * A validation plugin for `cdk8s synth` (cdk8s-cli), for any cdk8s app: the library's rules
 * (docs/rules.md, the same rules as the synth checks and `/testing`) on all the manifest
 * files of one synth together, the Kubernetes 1.27 schema, Pod Security Standards per
 * namespace, and the characters kubectl's YAML decoder refuses. Enable it in `cdk8s.yaml`:
 *
 * ```yaml
 * validations:
 *   - package: ./node_modules/cdk8s-pod-lifecycle/plugin
 *     version: 0.2.0
 *     class: PodLifecycleValidation
 * ```
 * @module cdk8s-pod-lifecycle/cdk8s-plugin
 */
import { readFileSync } from 'node:fs';
import { findPodTemplate } from '../core/pod-spec';
import { checkObjects } from '../rules/engine';
import { evaluatePodSecurity, PodSecurityLevel } from '../rules/pod-security';
import { RULE_IDS, RuleId } from '../rules/rules';
import { findSchemaViolations, KUBERNETES_SCHEMA_VERSION } from '../testing/k8s-schema';
import { findYamlTextProblems } from '../testing/yaml-text';

/** A Pod Security level for a namespace; `privileged` checks nothing. */
export type NamespacePodSecurityLevel = PodSecurityLevel | 'privileged';

/** Pod Security settings of {@link PodLifecycleValidationProperties}. */
export interface PodSecurityProperties {
  /**
   * The level of namespaces not in `namespaces` (objects without a namespace are in `default`).
   * @default 'baseline'
   */
  readonly level?: NamespacePodSecurityLevel;
  /**
   * The level of each namespace by name, e.g. `{ monitoring: privileged, shop: restricted }`:
   * the namespace's `pod-security.kubernetes.io/enforce` label.
   * @default {} (every namespace at `level`)
   */
  readonly namespaces?: Readonly<Record<string, NamespacePodSecurityLevel>>;
  /**
   * The policy version, as in `pod-security.kubernetes.io/enforce-version`: `latest` or `v1.N`.
   * @default 'latest'
   */
  readonly version?: string;
}

/** The `properties` of the plugin in `cdk8s.yaml`. Every check is on unless turned off. */
export interface PodLifecycleValidationProperties {
  /**
   * Check every object against the Kubernetes 1.27 API schema, unknown fields included.
   * @default true
   */
  readonly schema?: boolean;
  /**
   * Check pods and pod templates against the Pod Security Standards: a level for every
   * namespace (`restricted`), the settings per namespace, or `false` for no check.
   * @default { level: 'baseline' }
   */
  readonly podSecurity?: NamespacePodSecurityLevel | PodSecurityProperties | false;
  /**
   * The library's rules to run (docs/rules.md): `true` for all of them, `false` for none,
   * or a list of rule ids.
   * @default true
   */
  readonly rules?: boolean | readonly RuleId[];
  /**
   * Check the manifest files for characters kubectl's YAML decoder refuses or reads as line breaks.
   * @default true
   */
  readonly yamlText?: boolean;
}

// The parts of cdk8s-cli's validation API the plugin uses (cdk8s-cli's src/plugins/validation.ts),
// written out so that the plugin needs no import of cdk8s-cli.

/** A resource that breaks a rule, as cdk8s-cli's `ValidationViolatingResource`. */
export interface ViolatingResource {
  /** `metadata.name`, which cdk8s-cli maps to the construct path. */
  readonly resourceName: string;
  /** Where in the object (JSON pointers), or in the file (`line:column`). */
  readonly locations: readonly string[];
  /** The manifest file. */
  readonly manifestPath: string;
}

/** A violation, as cdk8s-cli's `ValidationViolation`. */
export interface Violation {
  /** The rule, e.g. `pod-security/restricted:runAsNonRoot`. */
  readonly ruleName: string;
  /** What is wrong. */
  readonly recommendation: string;
  /** How to fix it. */
  readonly fix: string;
  /** The resources that break it. */
  readonly violatingResources: readonly ViolatingResource[];
}

/** The validation context cdk8s-cli passes to `validate`, as far as the plugin uses it. */
export interface ValidationContextLike {
  /** Paths of the synthesized manifest files. */
  readonly manifests: readonly string[];
  /** Parses a manifest file into its documents. */
  parseManifest(manifestPath: string): unknown[];
  /** The report to fill. */
  readonly report: ValidationReportLike;
  /** Where to log. */
  readonly logger: ValidationLoggerLike;
}

/** cdk8s-cli's `ValidationReport`, as far as the plugin uses it. */
export interface ValidationReportLike {
  /** Adds a violation to the report. */
  addViolation(violation: Violation): void;
  /** Ends the report with a status and a summary. */
  submit(status: 'success' | 'failure', metadata?: Readonly<Record<string, string>>): void;
}

/** cdk8s-cli's `ValidationLogger`. */
export interface ValidationLoggerLike {
  /** Logs a message. */
  log(message: string): void;
}

const LEVELS: readonly string[] = ['privileged', 'baseline', 'restricted'];
const KEYS = ['schema', 'podSecurity', 'rules', 'yamlText'];

function fail(message: string): never {
  throw new Error(`cdk8s-pod-lifecycle validation plugin, properties: ${message}`);
}

function checkLevel(where: string, level: unknown): NamespacePodSecurityLevel {
  if (typeof level !== 'string' || !LEVELS.includes(level)) {
    fail(`${where} is ${JSON.stringify(level)}: expected one of ${LEVELS.join(', ')}`);
  }
  return level as NamespacePodSecurityLevel;
}

function podSecurityOf(ps: PodLifecycleValidationProperties['podSecurity']): Required<PodSecurityProperties> | undefined {
  if (ps === false) return undefined;
  if (typeof ps === 'string') return { level: checkLevel('podSecurity', ps), namespaces: {}, version: 'latest' };
  if (typeof ps !== 'object' || ps === null) fail('podSecurity must be a level, an object { level, namespaces, version } or false');
  const extra = Object.keys(ps).filter((k) => !['level', 'namespaces', 'version'].includes(k));
  if (extra.length > 0) fail(`podSecurity: unknown ${extra.join(', ')}; known: level, namespaces, version`);
  const namespaces: Record<string, NamespacePodSecurityLevel> = {};
  for (const [ns, level] of Object.entries(ps.namespaces ?? {})) namespaces[ns] = checkLevel(`podSecurity.namespaces.${ns}`, level);
  const version = ps.version ?? 'latest';
  if (typeof version !== 'string' || !/^(latest|v1\.(0|[1-9]\d*))$/.test(version)) {
    fail(`podSecurity.version is ${JSON.stringify(version)}: expected "latest" or "v1.<minor>"`);
  }
  return { level: checkLevel('podSecurity.level', ps.level ?? 'baseline'), namespaces, version };
}

function rulesOf(rules: PodLifecycleValidationProperties['rules']): readonly RuleId[] {
  if (rules === true) return RULE_IDS;
  if (rules === false) return [];
  if (!Array.isArray(rules)) fail('rules must be true, false or a list of rule ids');
  const bad = rules.filter((r) => !(RULE_IDS as readonly string[]).includes(r));
  if (bad.length > 0) fail(`rules: unknown rule(s) ${bad.join(', ')}; known: ${RULE_IDS.join(', ')}`);
  return rules;
}

/** One object of the synth: its manifest file and its JSON. */
interface Doc {
  readonly manifestPath: string;
  readonly json: object;
}

/** The violations of one `validate`, grouped by rule and recommendation as cdk8s-cli prints them. */
class Violations {
  private readonly grouped = new Map<string, { violation: Omit<Violation, 'violatingResources'>; resources: ViolatingResource[] }>();

  public add(ruleName: string, recommendation: string, fix: string, doc: Doc | undefined, locations: string[]): void {
    const resource = { resourceName: resourceNameOf(doc?.json), locations, manifestPath: doc?.manifestPath ?? '' };
    const key = `${ruleName}\u0000${recommendation}`;
    let entry = this.grouped.get(key);
    if (!entry) this.grouped.set(key, (entry = { violation: { ruleName, recommendation, fix }, resources: [] }));
    const same = entry.resources.find((r) => r.resourceName === resource.resourceName && r.manifestPath === resource.manifestPath);
    if (same) (same.locations as string[]).push(...locations);
    else entry.resources.push(resource);
  }

  public submit(report: ValidationReportLike, metadata: Record<string, string>): void {
    for (const { violation, resources } of this.grouped.values()) report.addViolation({ ...violation, violatingResources: resources });
    report.submit(this.grouped.size === 0 ? 'success' : 'failure', metadata);
  }
}

// cdk8s-cli maps `metadata.name` to the construct path (its construct-metadata.json).
function resourceNameOf(json: object | undefined): string {
  return String((json as { metadata?: { name?: unknown } } | undefined)?.metadata?.name ?? '?');
}

function namespaceOf(json: object): string {
  return String((json as { metadata?: { namespace?: unknown } }).metadata?.namespace ?? 'default');
}

/**
 * The validation plugin. cdk8s-cli creates it with the `properties` of its `cdk8s.yaml` entry
 * and calls {@link PodLifecycleValidation.validate} after `cdk8s synth` with every manifest
 * file of the synth; any violation fails the synth (exit code 2) with a report listing each
 * rule, resource (with its construct path), location and fix.
 */
export class PodLifecycleValidation {
  private readonly schema: boolean;
  private readonly podSecurity: Required<PodSecurityProperties> | undefined;
  private readonly rules: readonly RuleId[];
  private readonly yamlText: boolean;

  /** Checks the properties (an unknown key or value is an error, not ignored). */
  public constructor(properties: PodLifecycleValidationProperties = {}) {
    const props = (properties ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(props).filter((k) => !KEYS.includes(k));
    if (unknown.length > 0) fail(`unknown ${unknown.map((k) => JSON.stringify(k)).join(', ')}; known: ${KEYS.join(', ')}`);
    for (const key of ['schema', 'yamlText']) {
      if (props[key] !== undefined && typeof props[key] !== 'boolean') fail(`${key} must be true or false`);
    }
    this.schema = properties.schema ?? true;
    this.yamlText = properties.yamlText ?? true;
    this.podSecurity = podSecurityOf(properties.podSecurity ?? { level: 'baseline' });
    this.rules = rulesOf(properties.rules ?? true);
  }

  /** Runs the checks on all the manifests of `context` together and submits the report. */
  public async validate(context: ValidationContextLike): Promise<void> {
    const violations = new Violations();
    const docs: Doc[] = [];
    for (const manifestPath of context.manifests) {
      const json = context.parseManifest(manifestPath).filter((d): d is object => d !== null && typeof d === 'object');
      if (this.yamlText) this.checkYamlText(manifestPath, json, violations);
      docs.push(...json.map((j) => ({ manifestPath, json: j })));
    }
    if (this.schema) this.checkSchema(docs, violations);
    if (this.podSecurity) this.checkPodSecurity(this.podSecurity, docs, violations);
    if (this.rules.length > 0) {
      for (const f of checkObjects(
        docs.map((d) => d.json),
        { only: this.rules },
      )) {
        violations.add(f.rule, f.message, f.fix, docs[f.index], [f.field || '/']);
      }
    }
    const checks = [
      this.schema && 'schema',
      this.podSecurity && 'podSecurity',
      this.rules.length > 0 && 'rules',
      this.yamlText && 'yamlText',
    ];
    violations.submit(context.report, { objects: String(docs.length), checks: checks.filter(Boolean).join(', ') });
  }

  private checkYamlText(manifestPath: string, json: object[], violations: Violations): void {
    for (const p of findYamlTextProblems(readFileSync(manifestPath, 'utf8'))) {
      violations.add(
        `yaml-text/${p.kind}`,
        p.message,
        'keep control characters, NEL, U+2028 and U+2029 out of the values (encode the text, e.g. base64 in a Secret or ConfigMap binaryData)',
        { manifestPath, json: json[p.document] ?? {} },
        [`line ${p.line}, column ${p.column}`],
      );
    }
  }

  private checkSchema(docs: readonly Doc[], violations: Violations): void {
    for (const doc of docs) {
      for (const v of findSchemaViolations([doc.json])) {
        violations.add(
          `k8s-schema-${KUBERNETES_SCHEMA_VERSION}`,
          `${v.path || '/'}: ${v.message}`,
          'fix the field (a misspelt or misplaced field is "not a field of this object"; a newer-Kubernetes field is not in the 1.27 schema)',
          doc,
          [v.path || '/'],
        );
      }
    }
  }

  private checkPodSecurity(ps: Required<PodSecurityProperties>, docs: readonly Doc[], violations: Violations): void {
    const byLevel = new Map<PodSecurityLevel, Doc[]>();
    for (const doc of docs) {
      const level = ps.namespaces[namespaceOf(doc.json)] ?? ps.level;
      // evaluatePodSecurity answers for the objects with a pod template only, in order.
      if (level !== 'privileged' && findPodTemplate(doc.json)) byLevel.set(level, [...(byLevel.get(level) ?? []), doc]);
    }
    for (const [level, levelDocs] of byLevel) {
      evaluatePodSecurity(
        levelDocs.map((d) => d.json),
        level,
        { version: ps.version },
      ).forEach((evaluation, i) => {
        const doc = levelDocs[i];
        const ns = namespaceOf(doc.json);
        for (const v of evaluation.violations) {
          violations.add(`pod-security/${level}:${v.rule}`, v.message, podSecurityFix(level, ns), doc, [v.path]);
        }
      });
    }
  }
}

/** How to fix a Pod Security violation: change the pod, or (when the pod needs it) its namespace's level. */
function podSecurityFix(level: PodSecurityLevel, namespace: string): string {
  return (
    `change the field so the pod meets the Pod Security Standards ${level} level; or, if the pod needs it (PreStopAuditedPod and ` +
    `PreStopAuditCollector mount a hostPath flag directory, which no level but privileged admits), run it in a namespace labelled ` +
    `pod-security.kubernetes.io/enforce=privileged and tell the plugin: podSecurity: { namespaces: { ${namespace}: privileged } }`
  );
}

/**
 * A validation plugin for `cdk8s synth` (cdk8s-cli), for any cdk8s app: the Kubernetes 1.27
 * schema, Pod Security Standards per namespace, and runtime rules, on the synthesized
 * manifests. Enable it in `cdk8s.yaml`:
 *
 * ```yaml
 * validations:
 *   - package: ./node_modules/cdk8s-pod-lifecycle/build/lib/cdk8s-plugin
 *     version: 0.1.0
 *     class: PodLifecycleValidation
 * ```
 * @module cdk8s-pod-lifecycle/cdk8s-plugin
 */
import { readFileSync } from 'node:fs';
import { findSchemaViolations, KUBERNETES_SCHEMA_VERSION } from '../testing/k8s-schema';
import { evaluatePodSecurity, PodSecurityLevel } from '../testing/pod-security';
import { findRuntimeProblems, RUNTIME_RULES, RuntimeRule } from '../testing/runtime-rules';
import { findLoneSurrogates, findYamlTextProblems } from '../testing/yaml-text';

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
   * The level of each namespace by name, e.g. `{ monitoring: privileged, shop: restricted }`.
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
   * Needs the optional peer dependencies `kubernetes-models@4.3.0` and `ajv`.
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
   * Runtime rules to run, `true` for all of them, `false` for none, or a list of rule names
   * (`service-selects-nothing`, `mount-without-volume`, `duplicate-container-name`,
   * `duplicate-mount-path`, `grace-period-shorter-than-prestop-sleep`, `exec-argument-too-long`).
   * @default true
   */
  readonly runtime?: boolean | readonly RuntimeRule[];
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
const KEYS = ['schema', 'podSecurity', 'runtime', 'yamlText'];

function fail(message: string): never {
  throw new Error(`cdk8s-pod-lifecycle validation plugin, properties: ${message}`);
}

function checkLevel(where: string, level: unknown): NamespacePodSecurityLevel {
  if (typeof level !== 'string' || !LEVELS.includes(level)) {
    fail(`${where} is ${JSON.stringify(level)}: expected one of ${LEVELS.join(', ')}`);
  }
  return level as NamespacePodSecurityLevel;
}

const LEVEL_FIX: Record<string, string> = {
  baseline: 'the Pod Security Standards baseline level',
  restricted: 'the Pod Security Standards restricted level',
};

/**
 * The validation plugin. cdk8s-cli creates it with the `properties` of its `cdk8s.yaml` entry
 * and calls {@link PodLifecycleValidation.validate} after `cdk8s synth`; any violation fails
 * the synth (exit code 2) with a report listing each rule, resource, location and fix.
 */
export class PodLifecycleValidation {
  private readonly schema: boolean;
  private readonly podSecurity: Required<PodSecurityProperties> | undefined;
  private readonly runtime: readonly RuntimeRule[];
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

    const ps = properties.podSecurity ?? { level: 'baseline' };
    if (ps === false) this.podSecurity = undefined;
    else if (typeof ps === 'string') this.podSecurity = { level: checkLevel('podSecurity', ps), namespaces: {}, version: 'latest' };
    else if (typeof ps === 'object' && ps !== null) {
      const extra = Object.keys(ps).filter((k) => !['level', 'namespaces', 'version'].includes(k));
      if (extra.length > 0) fail(`podSecurity: unknown ${extra.join(', ')}; known: level, namespaces, version`);
      const namespaces: Record<string, NamespacePodSecurityLevel> = {};
      for (const [ns, level] of Object.entries(ps.namespaces ?? {})) namespaces[ns] = checkLevel(`podSecurity.namespaces.${ns}`, level);
      const version = ps.version ?? 'latest';
      if (typeof version !== 'string' || !/^(latest|v1\.(0|[1-9]\d*))$/.test(version)) {
        fail(`podSecurity.version is ${JSON.stringify(version)}: expected "latest" or "v1.<minor>"`);
      }
      this.podSecurity = { level: checkLevel('podSecurity.level', ps.level ?? 'baseline'), namespaces, version };
    } else fail('podSecurity must be a level, an object { level, namespaces, version } or false');

    const rt = properties.runtime ?? true;
    if (rt === true) this.runtime = RUNTIME_RULES;
    else if (rt === false) this.runtime = [];
    else if (Array.isArray(rt)) {
      const bad = rt.filter((r) => !(RUNTIME_RULES as readonly string[]).includes(r));
      if (bad.length > 0) fail(`runtime: unknown rule(s) ${bad.join(', ')}; known: ${RUNTIME_RULES.join(', ')}`);
      this.runtime = rt;
    } else fail('runtime must be true, false or a list of rule names');
  }

  /** Runs the checks on the manifests of `context` and submits the report. */
  public async validate(context: ValidationContextLike): Promise<void> {
    const grouped = new Map<string, { violation: Omit<Violation, 'violatingResources'>; resources: ViolatingResource[] }>();
    const add = (ruleName: string, recommendation: string, fix: string, resource: ViolatingResource) => {
      const key = `${ruleName}\u0000${recommendation}`;
      let entry = grouped.get(key);
      if (!entry) grouped.set(key, (entry = { violation: { ruleName, recommendation, fix }, resources: [] }));
      const same = entry.resources.find((r) => r.resourceName === resource.resourceName && r.manifestPath === resource.manifestPath);
      if (same) (same.locations as string[]).push(...resource.locations);
      else entry.resources.push({ ...resource, locations: [...resource.locations] });
    };
    let objects = 0;
    for (const manifestPath of context.manifests) {
      const docs = context.parseManifest(manifestPath).filter((d) => d !== null && typeof d === 'object');
      objects += docs.length;
      const nameOf = (doc: unknown) => String((doc as { metadata?: { name?: unknown } }).metadata?.name ?? '?');
      const resource = (doc: unknown, locations: string[]): ViolatingResource => ({ resourceName: nameOf(doc), locations, manifestPath });

      if (this.yamlText) {
        const text = readFileSync(manifestPath, 'utf8');
        for (const p of findYamlTextProblems(text)) {
          add(
            `yaml-text/${p.kind}`,
            p.message,
            'keep control characters, NEL, U+2028 and U+2029 out of the values (encode the text, e.g. base64 in a Secret or ConfigMap binaryData)',
            resource(docs[p.document] ?? {}, [`line ${p.line}, column ${p.column}`]),
          );
        }
        for (const doc of docs) {
          const paths = findLoneSurrogates(doc);
          if (paths.length > 0) {
            add(
              'yaml-text/lone-surrogate',
              'a string holds a lone UTF-16 surrogate, which no manifest file can carry',
              'remove it, or encode the text',
              resource(doc, paths),
            );
          }
        }
      }
      if (this.schema) {
        for (const doc of docs) {
          for (const v of findSchemaViolations([doc])) {
            add(
              `k8s-schema-${KUBERNETES_SCHEMA_VERSION}`,
              `${v.path || '/'}: ${v.message}`,
              'fix the field (a misspelt or misplaced field is "not a field of this object"; a newer-Kubernetes field is not in the 1.27 schema)',
              resource(doc, [v.path || '/']),
            );
          }
        }
      }
      if (this.podSecurity) {
        const ps = this.podSecurity;
        const byLevel = new Map<PodSecurityLevel, unknown[]>();
        for (const doc of docs) {
          const ns = String((doc as { metadata?: { namespace?: unknown } }).metadata?.namespace ?? 'default');
          const level = ps.namespaces[ns] ?? ps.level;
          if (level === 'privileged') continue;
          byLevel.set(level, [...(byLevel.get(level) ?? []), doc]);
        }
        for (const [level, levelDocs] of byLevel) {
          const evaluations = evaluatePodSecurity(levelDocs, level, { version: ps.version });
          evaluations.forEach((e) => {
            const doc = levelDocs.find((d) => objectKey(d) === e.object) ?? {};
            for (const v of e.violations) {
              add(
                `pod-security/${level}:${v.rule}`,
                v.message,
                `change the field so the pod meets ${LEVEL_FIX[level]} (or give its namespace a lower level in the plugin's podSecurity.namespaces, matching the namespace's pod-security.kubernetes.io/enforce label)`,
                resource(doc, [v.path]),
              );
            }
          });
        }
      }
      if (this.runtime.length > 0) {
        const skip = RUNTIME_RULES.filter((r) => !this.runtime.includes(r));
        const byObject = new Map<string, unknown>(docs.map((d) => [objectKey(d), d]));
        for (const p of findRuntimeProblems(docs, { skip }))
          add(`runtime/${p.rule}`, p.message, p.fix, resource(byObject.get(p.object) ?? {}, [p.path]));
      }
    }
    for (const { violation, resources } of grouped.values()) context.report.addViolation({ ...violation, violatingResources: resources });
    context.report.submit(grouped.size === 0 ? 'success' : 'failure', {
      objects: String(objects),
      checks: [
        this.schema && 'schema',
        this.podSecurity && 'podSecurity',
        this.runtime.length > 0 && 'runtime',
        this.yamlText && 'yamlText',
      ]
        .filter(Boolean)
        .join(', '),
    });
  }
}

/** `Kind/name` with the namespace, as the checks name objects. */
function objectKey(doc: unknown): string {
  const m = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
  const ns = typeof m.metadata?.namespace === 'string' && m.metadata.namespace ? `${m.metadata.namespace}/` : '';
  return `${typeof m.kind === 'string' && m.kind ? m.kind : '?'}/${ns}${typeof m.metadata?.name === 'string' && m.metadata.name ? m.metadata.name : '?'}`;
}

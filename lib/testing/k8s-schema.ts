import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type { default as AjvType, ValidateFunction } from 'ajv';
import { QUANTITY_PATTERN } from '../core/quantity';

/**
 * The Kubernetes version whose API schema manifests are checked against: the one
 * `kubernetes-models@4.3.0` is generated from (the OpenAPI spec of v1.27.1).
 */
export const KUBERNETES_SCHEMA_VERSION = '1.27.1';

type JsonSchema = { [key: string]: unknown };

/** What the schema checker needs: dependencies of this package, missing only from a broken install. */
const PEERS_HINT =
  'the schema checker needs kubernetes-models@4.3.0 and ajv, dependencies of cdk8s-pod-lifecycle that are not installed: npm i kubernetes-models@4.3.0 ajv';

// Loaded on first use: requiring the library never loads the schemas.
function requirePeer<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    throw new Error(`${PEERS_HINT} (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
}

/** One way a manifest breaks the schema. */
export interface SchemaViolation {
  /** `kind/name` of the object, e.g. `Pod/pod-httpd`. */
  readonly object: string;
  /** JSON pointer to the offending field, e.g. `/spec/containers/0/ports/0/containerPort`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

// The kubernetes-models schemas register themselves with their own copy of
// @kubernetes-models/validate; capture them there rather than duplicating the spec.
function loadSchemas(modelsDir: string): Map<string, JsonSchema> {
  const apimachineryDir = dirname(require.resolve('@kubernetes-models/apimachinery/package.json', { paths: [modelsDir] }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the registry kubernetes-models itself loaded
  const registry = require(require.resolve('@kubernetes-models/validate', { paths: [modelsDir] })) as {
    register: (id: string, schema: JsonSchema) => void;
  };
  const captured = new Map<string, JsonSchema>();
  const register = registry.register;
  registry.register = (id, schema) => {
    captured.set(id, schema);
  };
  try {
    for (const dir of [join(apimachineryDir, '_schemas'), join(modelsDir, '_schemas')]) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- schema files are found at run time
        (require(join(dir, file)) as { addSchema: () => void }).addSchema();
      }
    }
  } finally {
    registry.register = register;
  }
  return captured;
}

/** Where kubernetes-models is installed, and its version. */
function modelsPackage(): { dir: string; version: string } {
  const dir = dirname(requirePeer(() => require.resolve('kubernetes-models/package.json')));
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

/**
 * The cache folder: `CDK8S_POD_LIFECYCLE_CACHE_DIR`, else `node_modules/.cache/cdk8s-pod-lifecycle`
 * next to the kubernetes-models in use.
 */
function cacheDir(modelsDir: string): string {
  return process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR || join(modelsDir, '..', '.cache', 'cdk8s-pod-lifecycle');
}

/** Writes a cache file under a temporary name, then renames it, so a reader never sees half a file; false when not writable. */
function writeAtomically(file: string, data: string | Uint8Array): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return true;
  } catch {
    return false; // a read-only node_modules: work from memory
  }
}

// Requiring kubernetes-models' ~2,400 schema modules costs ~0.3 s in node and more under
// jest, which loads them again for every test file. The captured schemas are plain JSON:
// keep them once per installed version in the cache folder; without a writable cache, load anew.
function cachedSchemas(): Map<string, JsonSchema> {
  const models = modelsPackage();
  const cacheFile = join(cacheDir(models.dir), `k8s-schemas-${models.version}.json`);
  try {
    return new Map(JSON.parse(readFileSync(cacheFile, 'utf8')) as [string, JsonSchema][]);
  } catch {
    // no cache yet, or unreadable: load the modules
  }
  const schemas = loadSchemas(models.dir);
  writeAtomically(cacheFile, JSON.stringify([...schemas]));
  return schemas;
}

// The published OpenAPI spec leaves objects open; the API server drops unknown fields
// (or rejects them under `kubectl --validate=strict`). A field the schema does not know is
// a typo or a newer-Kubernetes field, so close every object that lists its properties.
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' ? value : closeObjects(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/**
 * The formats of the Kubernetes OpenAPI schema. Compiled validators (and the standalone code
 * cached on disk, which refers to them as `formats.<name>`) use these very functions.
 */
const FORMATS = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  double: true,
  byte: /^[A-Za-z0-9+/]*={0,2}$/,
  quantity: QUANTITY_PATTERN,
  'date-time': true,
  'int-or-string': true,
  string: true,
} as const;

/** Bump when closeObjects, FORMATS or the ajv options change: the cached validators are then rebuilt. */
const GENERATOR_VERSION = 3;

/** Compiles validators with ajv from the schemas: the slow path, taken once per kind per cache. */
class SchemaCompiler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use
  private readonly ajvModule = requirePeer(() => require('ajv') as typeof import('ajv'));
  private readonly ajv: AjvType;
  /** `apiVersion/kind` to schema id. */
  public readonly kinds = new Map<string, string>();

  /** @param standalone keep the source of compiled validators, for {@link SchemaCompiler.compile}'s standalone code */
  public constructor(private readonly standalone: boolean) {
    this.ajv = new this.ajvModule.default({
      strict: false,
      allErrors: true,
      ...(standalone ? { code: { source: true, formats: this.ajvModule._`formats` } } : {}),
    });
    for (const [name, format] of Object.entries(FORMATS)) this.ajv.addFormat(name, format as never);
    for (const [id, schema] of cachedSchemas()) {
      this.ajv.addSchema(closeObjects(schema) as JsonSchema, id);
      const props = schema.properties as { apiVersion?: { enum?: string[] }; kind?: { enum?: string[] } } | undefined;
      const apiVersion = props?.apiVersion?.enum?.[0];
      const kind = props?.kind?.enum?.[0];
      if (apiVersion && kind) this.kinds.set(`${apiVersion}/${kind}`, id);
    }
  }

  /** Whether the schemas have this id. */
  public has(id: string): boolean {
    return this.ajv.getSchema(id) !== undefined;
  }

  /**
   * The compiled validators of schema ids, and their standalone code: a CommonJS module whose
   * exports are the validators by id (empty without `standalone`).
   */
  public compile(ids: readonly string[]): { validators: Exports; code: string } {
    const validators: Exports = {};
    for (const id of ids) validators[id] = this.ajv.getSchema(id)!;
    if (!this.standalone) return { validators, code: '' };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- part of ajv, loaded on first use
    const standalone = require('ajv/dist/standalone') as typeof import('ajv/dist/standalone');
    return { validators, code: standalone.default(this.ajv, Object.fromEntries(ids.map((id) => [id, id]))) };
  }
}

/**
 * The kinds most charts hold. Their validators are kept in one module, `common.js`, where the
 * definitions they share (PodSpec, ObjectMeta, ...) are compiled once: loading it costs about
 * what one workload's own module would. Any other kind gets a module of its own.
 */
const COMMON_KINDS = [
  'io.k8s.api.core.v1.Pod',
  'io.k8s.api.core.v1.PodTemplate',
  'io.k8s.api.core.v1.ReplicationController',
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.apps.v1.StatefulSet',
  'io.k8s.api.apps.v1.DaemonSet',
  'io.k8s.api.apps.v1.ReplicaSet',
  'io.k8s.api.batch.v1.Job',
  'io.k8s.api.batch.v1.CronJob',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.core.v1.Namespace',
  'io.k8s.api.core.v1.PersistentVolumeClaim',
  'io.k8s.api.networking.v1.Ingress',
  'io.k8s.api.networking.v1.NetworkPolicy',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  'io.k8s.api.rbac.v1.Role',
  'io.k8s.api.rbac.v1.RoleBinding',
  'io.k8s.api.rbac.v1.ClusterRole',
  'io.k8s.api.rbac.v1.ClusterRoleBinding',
];
const COMMON = new Set(COMMON_KINDS);

type Exports = Record<string, ValidateFunction>;

/**
 * The validators per kind, fast: ajv's standalone code is kept in the cache folder
 * (`k8s-validators-<kubernetes-models>-ajv<ajv>-g<generator>/`: `common.js` for the usual kinds,
 * `<schema id>.js` for others), with V8's code cache of each, so a fresh process (every jest
 * test file) loads its validators in a few milliseconds instead of compiling the schemas
 * (~0.4 s). A missing or damaged file is rebuilt; without a writable cache everything is
 * compiled in memory, as before.
 */
class ValidatorCache {
  /** `CDK8S_POD_LIFECYCLE_STANDALONE=0`: compile every validator in memory, as before the cache (for comparisons). */
  private readonly standalone = process.env.CDK8S_POD_LIFECYCLE_STANDALONE !== '0';
  private readonly dir: string;
  private compiler: SchemaCompiler | undefined;
  private kindIndex: Map<string, string> | undefined;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly modules = new Map<string, Exports | undefined>();
  /** Modules loaded without an accepted V8 code cache: written after the call that used them. */
  private readonly pendingCodeCaches: { file: string; script: Script }[] = [];

  public constructor() {
    const models = modelsPackage();
    const ajvPackage = requirePeer(() => require.resolve('ajv/package.json'));
    const { version: ajvVersion } = JSON.parse(readFileSync(ajvPackage, 'utf8')) as { version: string };
    this.dir = join(cacheDir(models.dir), `k8s-validators-${models.version}-ajv${ajvVersion}-g${GENERATOR_VERSION}`);
  }

  private getCompiler(): SchemaCompiler {
    return (this.compiler ??= new SchemaCompiler(this.standalone));
  }

  /** The schema id of each `apiVersion/kind`. */
  public kinds(): Map<string, string> {
    if (this.kindIndex) return this.kindIndex;
    if (!this.standalone) return (this.kindIndex = this.getCompiler().kinds);
    const file = join(this.dir, 'kinds.json');
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as [string, string][];
      if (Array.isArray(parsed)) return (this.kindIndex = new Map(parsed));
    } catch {
      // not built yet, or damaged: build it from the schemas
    }
    this.kindIndex = this.getCompiler().kinds;
    writeAtomically(file, JSON.stringify([...this.kindIndex]));
    return this.kindIndex;
  }

  public validator(apiVersion: string, kind: string): ValidateFunction | undefined {
    const id = this.kinds().get(`${apiVersion}/${kind}`);
    if (!id) return undefined;
    let validate = this.validators.get(id);
    if (!validate) {
      validate = this.standalone ? this.fromModule(id) : this.getCompiler().compile([id]).validators[id];
      this.validators.set(id, validate);
    }
    return validate;
  }

  /** The validator of `id` from its cached module, built (and written) first if missing or damaged. */
  private fromModule(id: string): ValidateFunction {
    const name = COMMON.has(id) ? 'common' : id;
    if (!this.modules.has(name)) this.modules.set(name, this.load(name));
    const cached = this.modules.get(name)?.[id];
    if (typeof cached === 'function') return cached;
    if (!this.writable()) return this.getCompiler().compile([id]).validators[id]; // nothing to share with a later process
    const ids = name === 'common' ? COMMON_KINDS.filter((k) => this.getCompiler().has(k)) : [id];
    const { validators, code } = this.getCompiler().compile(ids);
    writeAtomically(join(this.dir, `${name}.js`), code);
    this.modules.set(name, validators);
    return validators[id];
  }

  private canWrite: boolean | undefined;
  /** Whether the cache folder can be created and written. */
  private writable(): boolean {
    if (this.canWrite === undefined) {
      try {
        mkdirSync(this.dir, { recursive: true });
        accessSync(this.dir, constants.W_OK);
        this.canWrite = true;
      } catch {
        this.canWrite = false;
      }
    }
    return this.canWrite;
  }

  /** A cached standalone module, or undefined if there is none or it is damaged. */
  private load(name: string): Exports | undefined {
    const file = join(this.dir, `${name}.js`);
    const codeCacheFile = join(this.dir, `${name}.v8-${process.versions.v8}.cache`);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(codeCacheFile);
    } catch {
      // first load on this Node.js: written after first use
    }
    try {
      const script = new Script(`(function (module, exports, require, formats) {${source}\n})`, { filename: file, cachedData });
      const mod: { exports: unknown } = { exports: {} };
      (script.runInThisContext() as (m: object, e: unknown, r: (name: string) => unknown, f: typeof FORMATS) => void)(
        mod,
        mod.exports,
        // ajv's runtime helpers (ajv/dist/runtime/*), which the standalone code requires
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- module names come from the generated code
        (name: string) => requirePeer(() => require(name) as unknown),
        FORMATS,
      );
      if (mod.exports === null || typeof mod.exports !== 'object') return undefined;
      // After the first call the functions it used are compiled too, and go into the cache.
      if (cachedData === undefined || script.cachedDataRejected) this.pendingCodeCaches.push({ file: codeCacheFile, script });
      return mod.exports as Exports;
    } catch {
      return undefined; // damaged: rebuilt
    }
  }

  /** Writes V8's code cache of the modules loaded without one. */
  public flushCodeCaches(): void {
    for (const { file, script } of this.pendingCodeCaches.splice(0)) writeAtomically(file, script.createCachedData());
  }
}

let index: ValidatorCache | undefined;

/**
 * Checks manifests (plain objects, as `Testing.synth(chart)` returns them) against the
 * Kubernetes 1.27 API schema, with unknown fields reported too. Returns every violation;
 * an empty list means all objects are valid.
 */
export function findSchemaViolations(manifests: readonly unknown[]): SchemaViolation[] {
  // The first call reads the kind index (built from the schemas if there is none), so a
  // missing dependency is reported at once, whatever the manifests.
  if (!index) {
    const fresh = new ValidatorCache();
    fresh.kinds();
    index = fresh;
  }
  const violations: SchemaViolation[] = [];
  try {
    check(index, manifests, violations);
  } finally {
    index.flushCodeCaches();
  }
  return violations;
}

function check(index: ValidatorCache, manifests: readonly unknown[], violations: SchemaViolation[]): void {
  for (const manifest of manifests) {
    const m = manifest as { apiVersion?: string; kind?: string; metadata?: { name?: string } };
    const object = `${m.kind ?? '?'}/${m.metadata?.name ?? '?'}`;
    // The schema leaves metadata.name optional (generateName exists), but `kubectl apply`
    // and GitOps tools need a name: a construct that loses it must fail here.
    if (!m.metadata?.name) {
      violations.push({ object, path: '/metadata/name', message: 'is missing: kubectl apply needs a name' });
    }
    const validate = index.validator(m.apiVersion ?? '', m.kind ?? '');
    if (!validate) {
      violations.push({
        object,
        path: '',
        message: `no Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema for apiVersion ${m.apiVersion} kind ${m.kind}`,
      });
      continue;
    }
    if (validate(manifest)) continue;
    for (const error of validate.errors ?? []) {
      // A nullable reference is `oneOf: [ref, {type: null}]`: its failure is reported by
      // the ref's own errors, plus these two that say nothing more.
      if (error.keyword === 'oneOf' || (error.keyword === 'type' && (error.params as { type?: string }).type === 'null')) continue;
      const field =
        error.keyword === 'additionalProperties' ? `/${(error.params as { additionalProperty: string }).additionalProperty}` : '';
      const message = error.keyword === 'additionalProperties' ? 'is not a field of this object' : (error.message ?? error.keyword);
      violations.push({ object, path: `${error.instancePath}${field}`, message });
    }
  }
}

/**
 * Throws if any manifest breaks the Kubernetes 1.27 API schema, listing every violation
 * as `Kind/name at /json/path: message`.
 */
export function assertValidManifests(manifests: readonly unknown[]): void {
  const violations = findSchemaViolations(manifests);
  if (violations.length > 0) {
    const lines = violations.map((v) => `  ${v.object} at ${v.path || '/'}: ${v.message}`);
    throw new Error(`${violations.length} Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema violation(s):\n${lines.join('\n')}`);
  }
}

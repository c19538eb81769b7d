import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { default as AjvType, ValidateFunction } from 'ajv';

/**
 * The Kubernetes version whose API schema manifests are checked against: the one
 * `kubernetes-models@4.3.0` is generated from (the OpenAPI spec of v1.27.1).
 */
export const KUBERNETES_SCHEMA_VERSION = '1.27.1';

type JsonSchema = { [key: string]: unknown };

/** How to install what the schema checker needs; both are optional peer dependencies. */
const PEERS_HINT =
  'the schema checker needs the optional peer dependencies kubernetes-models@4.3.0 and ajv: npm i -D kubernetes-models@4.3.0 ajv';

// Loaded on first use, so `synthSnapshot` works without the schema checker's peers.
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

// Requiring kubernetes-models' ~2,400 schema modules costs ~0.3 s in node and more under
// jest, which loads them again for every test file. The captured schemas are plain JSON:
// keep them once per installed version in node_modules/.cache (written to a temporary name,
// then renamed, so a reader never sees half a file); without a writable cache, load anew.
function cachedSchemas(): Map<string, JsonSchema> {
  const modelsDir = dirname(requirePeer(() => require.resolve('kubernetes-models/package.json')));
  const { version } = JSON.parse(readFileSync(join(modelsDir, 'package.json'), 'utf8')) as { version: string };
  const cacheDir = join(modelsDir, '..', '.cache', 'cdk8s-pod-lifecycle');
  const cacheFile = join(cacheDir, `k8s-schemas-${version}.json`);
  try {
    return new Map(JSON.parse(readFileSync(cacheFile, 'utf8')) as [string, JsonSchema][]);
  } catch {
    // no cache yet, or unreadable: load the modules
  }
  const schemas = loadSchemas(modelsDir);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify([...schemas]));
    renameSync(tmp, cacheFile);
  } catch {
    // a read-only node_modules: every run loads the modules
  }
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

const QUANTITY = /^[+-]?(\d+|\d+\.\d*|\.\d+)([KMGTPE]i|[mkMGTPE]|[eE][+-]?\d+)?$/;

class SchemaIndex {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer, loaded on first use
  private readonly ajv: AjvType = new (requirePeer(() => require('ajv') as { default: typeof AjvType }).default)({
    strict: false,
    allErrors: true,
  });
  private readonly byKind = new Map<string, string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  public constructor() {
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat('double', true);
    this.ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
    this.ajv.addFormat('quantity', QUANTITY);
    this.ajv.addFormat('date-time', true);
    this.ajv.addFormat('int-or-string', true);
    this.ajv.addFormat('string', true);
    for (const [id, schema] of cachedSchemas()) {
      this.ajv.addSchema(closeObjects(schema) as JsonSchema, id);
      const props = schema.properties as { apiVersion?: { enum?: string[] }; kind?: { enum?: string[] } } | undefined;
      const apiVersion = props?.apiVersion?.enum?.[0];
      const kind = props?.kind?.enum?.[0];
      if (apiVersion && kind) this.byKind.set(`${apiVersion}/${kind}`, id);
    }
  }

  public validator(apiVersion: string, kind: string): ValidateFunction | undefined {
    const id = this.byKind.get(`${apiVersion}/${kind}`);
    if (!id) return undefined;
    let fn = this.compiled.get(id);
    if (!fn) {
      fn = this.ajv.getSchema(id)!;
      this.compiled.set(id, fn);
    }
    return fn;
  }
}

let index: SchemaIndex | undefined;

/**
 * Checks manifests (plain objects, as `Testing.synth(chart)` returns them) against the
 * Kubernetes 1.27 API schema, with unknown fields reported too. Returns every violation;
 * an empty list means all objects are valid.
 */
export function findSchemaViolations(manifests: readonly unknown[]): SchemaViolation[] {
  index ??= new SchemaIndex();
  const violations: SchemaViolation[] = [];
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
  return violations;
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

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type SchemaModule = typeof import('../../lib/testing/k8s-schema');

const badConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, date: {} };
const expected = [{ object: 'ConfigMap/c', path: '/date', message: 'is not a field of this object' }];

/** The schema checker as a fresh process (a new jest test file) sees it. */
function fresh(): SchemaModule {
  let mod: SchemaModule | undefined;
  jest.isolateModules(() => {
    mod = jest.requireActual('../../lib/testing/k8s-schema') as SchemaModule;
  });
  return mod!;
}

describe('the standalone validator cache', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'cdk8s-pod-lifecycle-cache-'));
    process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR = cacheDir;
  });
  afterEach(() => {
    jest.dontMock('ajv');
    delete process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  const validatorDir = () =>
    join(
      cacheDir,
      readdirSync(cacheDir).find((f) => f.startsWith('k8s-validators-'))!,
    );

  test('is written per kind, keyed by the kubernetes-models and ajv versions, and then used without ajv', () => {
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected);
    const ajvVersion = (jest.requireActual('ajv/package.json') as { version: string }).version;
    expect(validatorDir()).toBe(join(cacheDir, `k8s-validators-4.3.0-ajv${ajvVersion}-g1`));
    expect(readdirSync(validatorDir()).sort()).toEqual(['io.k8s.api.core.v1.ConfigMap.js', 'kinds.json']);
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected); // loaded, and V8's code cache written
    expect(readdirSync(validatorDir()).some((f) => f.startsWith('io.k8s.api.core.v1.ConfigMap.v8-'))).toBe(true);

    jest.doMock('ajv', () => {
      throw Object.assign(new Error("Cannot find module 'ajv'"), { code: 'MODULE_NOT_FOUND' });
    });
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected);
  });

  test('a damaged validator or index is rebuilt', () => {
    fresh().findSchemaViolations([badConfigMap]);
    writeFileSync(join(validatorDir(), 'io.k8s.api.core.v1.ConfigMap.js'), 'module.exports = function (');
    writeFileSync(join(validatorDir(), 'kinds.json'), '[["v1/Con');
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected);
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected);
  });

  test('without a writable cache, validators are compiled in memory', () => {
    const file = join(cacheDir, 'a-file');
    writeFileSync(file, '');
    process.env.CDK8S_POD_LIFECYCLE_CACHE_DIR = join(file, 'cache'); // mkdir fails: ENOTDIR
    const checker = fresh();
    expect(checker.findSchemaViolations([badConfigMap])).toEqual(expected);
    expect(checker.findSchemaViolations([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }])).toEqual([]);
    expect(existsSync(join(file, 'cache'))).toBe(false);
  });
});

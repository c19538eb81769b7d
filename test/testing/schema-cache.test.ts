import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    const limitRange = { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [] } };
    expect(fresh().findSchemaViolations([badConfigMap, limitRange])).toEqual(expected);
    const ajvVersion = (jest.requireActual('ajv/package.json') as { version: string }).version;
    expect(validatorDir()).toBe(join(cacheDir, `k8s-validators-4.3.0-ajv${ajvVersion}-g3`));
    // The usual kinds in one module (sharing PodSpec, ObjectMeta, ...), any other kind in its own.
    expect(readdirSync(validatorDir()).sort()).toEqual(['common.js', 'io.k8s.api.core.v1.LimitRange.js', 'kinds.json']);
    expect(fresh().findSchemaViolations([badConfigMap, limitRange])).toEqual(expected); // loaded, and V8's code cache written
    const files = readdirSync(validatorDir());
    expect(files.filter((f) => f.includes('.v8-')).map((f) => f.split('.v8-')[0])).toEqual(['common', 'io.k8s.api.core.v1.LimitRange']);

    jest.doMock('ajv', () => {
      throw Object.assign(new Error("Cannot find module 'ajv'"), { code: 'MODULE_NOT_FOUND' });
    });
    expect(fresh().findSchemaViolations([badConfigMap])).toEqual(expected);
  });

  test('a damaged validator, index or code cache is rebuilt', () => {
    const limitRange = {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'l' },
      spec: { limits: [{ type: 'Container', typo: 1 }] },
    };
    const limitExpected = [{ object: 'LimitRange/l', path: '/spec/limits/0/typo', message: 'is not a field of this object' }];
    expect(fresh().findSchemaViolations([limitRange])).toEqual(limitExpected);
    expect(fresh().findSchemaViolations([limitRange])).toEqual(limitExpected); // loaded: its code cache written
    const module = join(validatorDir(), 'io.k8s.api.core.v1.LimitRange.js');
    const codeCache = join(
      validatorDir(),
      readdirSync(validatorDir()).find((f) => f.startsWith('io.k8s.api.core.v1.LimitRange.v8-'))!,
    );
    writeFileSync(codeCache, 'not a V8 code cache'); // V8 checks it and compiles the source instead
    expect(fresh().findSchemaViolations([limitRange])).toEqual(limitExpected);
    writeFileSync(module, 'module.exports = function (');
    writeFileSync(join(validatorDir(), 'kinds.json'), '[["v1/Lim');
    expect(fresh().findSchemaViolations([limitRange])).toEqual(limitExpected);
    expect(readFileSync(module, 'utf8')).toMatch(/^"use strict";/);
    expect(fresh().findSchemaViolations([limitRange])).toEqual(limitExpected);
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

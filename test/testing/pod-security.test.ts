import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertPodSecurity,
  evaluatePodSecurity,
  findPodSecurityViolations,
  POD_SECURITY_LATEST_VERSION,
  PodSecurityLevel,
} from '../../lib/testing';
import { findPodTemplate } from '../../lib/core/pod-spec';
import { podSecurityCorpus } from '../e2e/pod-security-corpus';

// What a Kubernetes v1.36.2 API server said about each corpus pod (PSS_E2E_RECORD=1 in test/e2e).
const recorded = (
  JSON.parse(readFileSync(join(__dirname, 'pod-security-server-verdicts.json'), 'utf8')) as {
    verdicts: Record<string, Record<string, string | null>>;
  }
).verdicts;

describe('agreement with the recorded verdicts of a real API server (test/e2e re-checks them live)', () => {
  const corpus = podSecurityCorpus();
  test.each(Object.keys(recorded))('%s: same pods refused, same messages', (key) => {
    const [level, version] = key.split(':') as [PodSecurityLevel, string];
    const ours = evaluatePodSecurity(
      corpus.map((c) => c.manifest),
      level,
      { version },
    );
    const server = recorded[key];
    expect(Object.keys(server)).toHaveLength(corpus.length);
    expect(Object.fromEntries(ours.map((e) => [e.object.split('/').pop(), e.message ?? null]))).toEqual(server);
  });
});

const pod = (spec: object, metadata: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', ...metadata }, spec });
const restrictedContainer = {
  name: 'x',
  image: 'busybox',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: false },
};

describe('findPodSecurityViolations', () => {
  test('names the object, the JSON path, the rule and the API server words', () => {
    const p = pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [restrictedContainer] });
    expect(findPodSecurityViolations([p], 'restricted')).toEqual([
      {
        object: 'Pod/web',
        path: '/spec/containers/0/securityContext/runAsNonRoot',
        rule: 'runAsNonRoot',
        level: 'restricted',
        message: 'runAsNonRoot != true (container "x" must not set securityContext.runAsNonRoot=false)',
      },
    ]);
    expect(findPodSecurityViolations([p], 'baseline')).toEqual([]);
  });

  test('checks the pod templates of workloads, CronJobs and custom resources; skips other objects', () => {
    const spec = { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] };
    const template = { metadata: { labels: { app: 'a' } }, spec };
    const objects = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { template } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template } },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { template } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { jobTemplate: { spec: { template } } } },
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' }, spec: { template } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: {} },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { template: { spec: { notAPod: true } } } },
    ];
    expect(findPodSecurityViolations(objects, 'baseline').map((v) => `${v.object} ${v.path}`)).toEqual([
      'Deployment/shop/d /spec/template/spec/containers/0/securityContext/privileged',
      'StatefulSet/s /spec/template/spec/containers/0/securityContext/privileged',
      'DaemonSet/ds /spec/template/spec/containers/0/securityContext/privileged',
      'ReplicaSet/rs /spec/template/spec/containers/0/securityContext/privileged',
      'Job/j /spec/template/spec/containers/0/securityContext/privileged',
      'CronJob/cj /spec/jobTemplate/spec/template/spec/containers/0/securityContext/privileged',
      'Rollout/r /spec/template/spec/containers/0/securityContext/privileged',
    ]);
    expect(findPodTemplate(objects[5])?.path).toBe('/spec/jobTemplate/spec/template');
    expect(findPodTemplate(objects[7])).toBeUndefined();
  });

  test('one violation per offending field; the object message is the API server one', () => {
    const p = pod(
      { hostPID: true, hostIPC: true, containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1, hostPort: 81 }] }] },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' } },
    );
    const [e] = evaluatePodSecurity([p], 'baseline');
    expect(e.violations.map((v) => [v.rule, v.path])).toEqual([
      ['appArmorProfile', '/spec/containers/0/securityContext/appArmorProfile/type'],
      ['appArmorProfile', '/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1c'],
      ['hostNamespaces', '/spec/hostPID'],
      ['hostNamespaces', '/spec/hostIPC'],
      ['hostPorts', '/spec/containers/0/ports/0/hostPort'],
    ]);
    expect(e.message).toBe(
      'violates PodSecurity "baseline:latest": forbidden AppArmor profiles (container "c" and annotation must not set AppArmor profile type to ' +
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/c="unconfined""), host namespaces (hostPID=true, hostIPC=true), ' +
        'hostPort (container "c" uses hostPort 81)',
    );
  });

  test('a pinned version applies the rules of that release', () => {
    const probeHost = pod({ containers: [{ name: 'c', image: 'i', readinessProbe: { httpGet: { host: 'example.com', port: 80 } } }] });
    expect(findPodSecurityViolations([probeHost], 'baseline').map((v) => v.rule)).toEqual(['hostProbesAndHostLifecycle']);
    expect(findPodSecurityViolations([probeHost], 'baseline', { version: 'v1.33' })).toEqual([]);
    expect(findPodSecurityViolations([probeHost], 'baseline', { version: 'v1.99' }).map((v) => v.rule)).toEqual([
      'hostProbesAndHostLifecycle',
    ]);
    const noDrop = pod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'i', securityContext: { allowPrivilegeEscalation: false } }],
    });
    expect(findPodSecurityViolations([noDrop], 'restricted', { version: 'v1.22' }).map((v) => v.rule)).toEqual(['capabilities_restricted']);
    expect(findPodSecurityViolations([noDrop], 'restricted', { version: 'v1.21' })).toEqual([]);
    expect(POD_SECURITY_LATEST_VERSION).toBe('v1.35');
  });

  test('rejects an unknown level or version', () => {
    expect(() => findPodSecurityViolations([], 'privileged' as PodSecurityLevel)).toThrow(
      'Pod Security level "privileged": expected "baseline" or "restricted" ("privileged" allows everything)',
    );
    expect(() => findPodSecurityViolations([], 'baseline', { version: '1.25' })).toThrow(
      'Pod Security version "1.25": expected "latest" or "v1.<minor>", e.g. "v1.25"',
    );
  });
});

describe('assertPodSecurity', () => {
  test('throws listing every violation; passes a compliant pod', () => {
    const p = pod({ containers: [{ name: 'c', image: 'i', securityContext: { privileged: true, capabilities: { add: ['NET_RAW'] } } }] });
    expect(() => assertPodSecurity([p], 'baseline')).toThrow(
      [
        '2 Pod Security "baseline:latest" violation(s):',
        '  Pod/web at /spec/containers/0/securityContext/capabilities/add/0: [capabilities_baseline] non-default capabilities (container "c" must not include "NET_RAW" in securityContext.capabilities.add)',
        '  Pod/web at /spec/containers/0/securityContext/privileged: [privileged] privileged (container "c" must not set securityContext.privileged=true)',
      ].join('\n'),
    );
    const ok = pod({
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', image: 'i', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    });
    expect(() => assertPodSecurity([ok], 'restricted')).not.toThrow();
  });
});

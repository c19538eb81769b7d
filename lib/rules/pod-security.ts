import { findPodTemplate, PodTemplateLocation } from '../core/pod-spec';
import { BASELINE_CAPABILITIES, type PodSecurityLevel } from '../core/security-preset';
import { arr, isObj, obj } from './json';
// Pod Security Standards (baseline and restricted) on plain manifests, check for check as
// kubernetes/pod-security-admission defines them (policy/check_*.go), each check with the
// policy versions it changed at, and messages worded as the API server words them.
//
// Everything here works on plain JSON objects: no cdk8s, no ajv, no kubernetes-models.

export type { PodSecurityLevel };

/**
 * The newest policy version these rules know (the highest version at which a check changed).
 * `latest` means this version, as on a Kubernetes 1.35 or 1.36 API server.
 */
export const POD_SECURITY_LATEST_VERSION = 'v1.35';

/** Options of {@link findPodSecurityViolations} and {@link assertPodSecurity}. */
export interface PodSecurityOptions {
  /**
   * The policy version, as in the namespace label `pod-security.kubernetes.io/enforce-version`:
   * `latest` or `v1.N` (e.g. `v1.25`). A pinned version applies the rules as they were at that
   * Kubernetes minor release: for example `v1.21` has no restricted capabilities check,
   * `v1.33` has no check of probe and lifecycle `host` fields, `v1.26` fewer safe sysctls.
   * As on the API server, two later changes apply at every version: `image` volumes are
   * allowed by restricted, and the AppArmor fields are checked as the annotations are.
   * @default 'latest'
   */
  readonly version?: string;
}

/** One way a pod-bearing object breaks a Pod Security Standards level. */
export interface PodSecurityViolation {
  /** `Kind/name` of the object, e.g. `Deployment/web` (with `namespace/` before the name when it has one). */
  readonly object: string;
  /** JSON pointer to the offending field, e.g. `/spec/template/spec/containers/0/securityContext/privileged`. */
  readonly path: string;
  /** The check, as pod-security-admission names it, e.g. `runAsNonRoot`, `capabilities_restricted`. */
  readonly rule: string;
  /** The level whose check this is: a baseline violation also breaks restricted. */
  readonly level: PodSecurityLevel;
  /**
   * The API server's reason, then this field's part of its detail, e.g.
   * `runAsNonRoot != true (container "x" must not set securityContext.runAsNonRoot=false)`.
   */
  readonly message: string;
}

/** One check a pod failed, as the API server reports it. */
export interface FailedPodSecurityCheck {
  /** The check's id, e.g. `runAsNonRoot`. */
  readonly rule: string;
  /** The API server's reason, e.g. `runAsNonRoot != true`. */
  readonly reason: string;
  /** The API server's detail, e.g. `pod or container "c" must set securityContext.runAsNonRoot=true`. */
  readonly detail: string;
}

/** What the API server says about one pod-bearing object: its checks that failed. */
export interface PodSecurityEvaluation {
  /** `Kind/name` of the object, as in {@link PodSecurityViolation.object}. */
  readonly object: string;
  /** JSON pointer to the pod template (`/spec/template` for a Deployment, `` for a Pod). */
  readonly templatePath: string;
  /** The checks that failed, in the API server's order. */
  readonly failed: readonly FailedPodSecurityCheck[];
  /**
   * The text the API server puts after `pods "name" is forbidden: ` (undefined when allowed), e.g.
   * `violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)`.
   */
  readonly message: string | undefined;
  /** The violations, field by field. */
  readonly violations: readonly PodSecurityViolation[];
}

type Obj = Record<string, unknown>;

interface Item {
  readonly path: string;
  readonly detail: string;
}

interface Result {
  readonly reason: string;
  readonly detail: string;
  readonly items: readonly Item[];
}

interface Container {
  readonly name: string;
  readonly path: string;
  readonly c: Obj;
  readonly sc: Obj | undefined;
}

/** A pod spec with where it sits, as the checks see it. */
interface PodView {
  readonly annotations: Record<string, unknown>;
  readonly annotationsPath: string;
  readonly spec: Obj;
  readonly specPath: string;
  readonly psc: Obj | undefined;
  readonly containers: readonly Container[];
}

type CheckFn = (pod: PodView) => Result | undefined;

interface Check {
  readonly id: string;
  readonly level: PodSecurityLevel;
  /** Ascending minimum versions (minor of 1.x) and the function from that version on. */
  readonly versions: readonly (readonly [number, CheckFn])[];
  /** Baseline checks this restricted check replaces, from its first version on. */
  readonly overrides?: readonly string[];
}

const esc = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/** Go's `%q` for the strings these messages hold. */
function q(s: string): string {
  return JSON.stringify(s);
}
/** pod-security-admission's joinQuote: `"a", "b"` (no escaping, as there). */
function joinQuote(items: readonly string[]): string {
  return items.length === 0 ? '' : `"${items.join('", "')}"`;
}
function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}
function containersPhrase(names: readonly string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}
/** A sorted, de-duplicated list (Go's sets.List). */
function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
function userNamespacePod(pod: PodView): boolean {
  return pod.spec.hostUsers === false;
}
function windowsPod(pod: PodView): boolean {
  return obj(pod.spec.os)?.name === 'windows';
}

// ---------------------------------------------------------------------------------------
// Baseline checks

const hostNamespaces: CheckFn = (pod) => {
  const items: Item[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod.spec[field] === true) items.push({ path: `${pod.specPath}/${field}`, detail: `${field}=true` });
  }
  if (items.length === 0) return undefined;
  return { reason: 'host namespaces', detail: items.map((i) => i.detail).join(', '), items };
};

const privileged: CheckFn = (pod) => {
  const bad = pod.containers.filter((c) => c.sc?.privileged === true);
  if (bad.length === 0) return undefined;
  const tail = 'must not set securityContext.privileged=true';
  return {
    reason: 'privileged',
    detail: `${containersPhrase(bad.map((c) => c.name))} ${tail}`,
    items: bad.map((c) => ({ path: `${c.path}/securityContext/privileged`, detail: `${containersPhrase([c.name])} ${tail}` })),
  };
};

const BASELINE_CAPABILITY_SET: ReadonlySet<string> = new Set(BASELINE_CAPABILITIES);

// The capabilities container `c` adds that `allowed` refuses, each with its violation item.
function forbiddenCapabilities(c: Container, allowed: (cap: string) => boolean): Found {
  const values: string[] = [];
  const items: Item[] = [];
  arr(obj(c.sc?.capabilities)?.add).forEach((cap, i) => {
    if (allowed(str(cap))) return;
    values.push(str(cap));
    items.push({
      path: `${c.path}/securityContext/capabilities/add/${i}`,
      detail: `${containersPhrase([c.name])} must not include ${q(str(cap))} in securityContext.capabilities.add`,
    });
  });
  return { values, items };
}

// What a check finds in one container: the offending values, each with its violation item.
interface Found {
  readonly values: string[];
  readonly items: Item[];
}

// `find` over every container: the containers with a finding, and all values and items.
function perContainer(pod: PodView, find: (c: Container) => Found): Found & { readonly containers: string[] } {
  const out = { containers: [] as string[], values: [] as string[], items: [] as Item[] };
  for (const c of pod.containers) {
    const found = find(c);
    if (found.values.length === 0) continue;
    out.containers.push(c.name);
    out.values.push(...found.values);
    out.items.push(...found.items);
  }
  return out;
}

const capabilitiesBaseline: CheckFn = (pod) => {
  const found = perContainer(pod, (c) => forbiddenCapabilities(c, (cap) => BASELINE_CAPABILITY_SET.has(cap)));
  if (found.items.length === 0) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${containersPhrase(found.containers)} must not include ${joinQuote(sortedSet(found.values))} in securityContext.capabilities.add`,
    items: found.items,
  };
};

const volumes = (pod: PodView): { v: Obj; name: string; path: string }[] =>
  arr(pod.spec.volumes).flatMap((v, i) => (isObj(v) ? [{ v, name: str(v.name), path: `${pod.specPath}/volumes/${i}` }] : []));

const hostPathVolumes: CheckFn = (pod) => {
  const bad = volumes(pod).filter((v) => v.v.hostPath !== undefined && v.v.hostPath !== null);
  if (bad.length === 0) return undefined;
  const phrase = (names: string[]) => `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}`;
  return {
    reason: 'hostPath volumes',
    detail: phrase(bad.map((v) => v.name)),
    items: bad.map((v) => ({ path: `${v.path}/hostPath`, detail: phrase([v.name]) })),
  };
};

const hostPorts: CheckFn = (pod) => {
  const found = perContainer(pod, (c) => {
    const values: string[] = [];
    const items: Item[] = [];
    arr(c.c.ports).forEach((p, i) => {
      const hostPort = obj(p)?.hostPort;
      if (hostPort === undefined || hostPort === null || hostPort === 0) return;
      values.push(str(hostPort));
      items.push({ path: `${c.path}/ports/${i}/hostPort`, detail: `${containersPhrase([c.name])} uses hostPort ${str(hostPort)}` });
    });
    return { values, items };
  });
  if (found.items.length === 0) return undefined;
  const set = sortedSet(found.values);
  const names = found.containers;
  return {
    reason: 'hostPort',
    detail: `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('hostPort', 'hostPorts', set.length)} ${set.join(', ')}`,
    items: found.items,
  };
};

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

const appArmorProfile: CheckFn = (pod) => {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  const items: Item[] = [];
  const allowedType = (p: Obj) => p.type === 'RuntimeDefault' || p.type === 'Localhost';
  const podProfile = obj(pod.psc?.appArmorProfile);
  if (podProfile && !allowedType(podProfile)) {
    badSetters.push('pod');
    badValues.push(str(podProfile.type));
    items.push({
      path: `${pod.specPath}/securityContext/appArmorProfile/type`,
      detail: `pod must not set AppArmor profile type to ${q(str(podProfile.type))}`,
    });
  }
  const badContainers: string[] = [];
  for (const c of pod.containers) {
    const p = obj(c.sc?.appArmorProfile);
    if (!p || allowedType(p)) continue;
    badContainers.push(c.name);
    badValues.push(str(p.type));
    items.push({
      path: `${c.path}/securityContext/appArmorProfile/type`,
      detail: `${containersPhrase([c.name])} must not set AppArmor profile type to ${q(str(p.type))}`,
    });
  }
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));
  const annotations: string[] = [];
  for (const [key, value] of Object.entries(pod.annotations)) {
    const v = str(value);
    if (!key.startsWith(APPARMOR_ANNOTATION_PREFIX) || v === '' || v === 'runtime/default' || v.startsWith('localhost/')) continue;
    annotations.push(`${key}=${q(v)}`);
    items.push({ path: `${pod.annotationsPath}/${esc(key)}`, detail: `annotation must not set AppArmor profile type to "${key}=${q(v)}"` });
  }
  const values = sortedSet(badValues);
  if (annotations.length > 0) {
    values.push(...annotations.sort());
    badSetters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (badSetters.length === 0) return undefined;
  return {
    reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    detail: `${badSetters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
    items,
  };
};

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckFn {
  return (pod) => {
    const badSetters: string[] = [];
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const items: Item[] = [];
    const check = (opts: Obj, path: string, who: string): boolean => {
      let valid = true;
      if (!allowedTypes.has(str(opts.type))) {
        valid = false;
        badTypes.push(str(opts.type));
        items.push({ path: `${path}/type`, detail: `${who} set forbidden securityContext.seLinuxOptions: type ${q(str(opts.type))}` });
      }
      for (const field of ['user', 'role'] as const) {
        if (str(opts[field]) === '') continue;
        valid = false;
        if (field === 'user') setUser = true;
        else setRole = true;
        items.push({ path: `${path}/${field}`, detail: `${who} set forbidden securityContext.seLinuxOptions: ${field} may not be set` });
      }
      return valid;
    };
    const podOpts = obj(pod.psc?.seLinuxOptions);
    if (podOpts && !check(podOpts, `${pod.specPath}/securityContext/seLinuxOptions`, 'pod')) badSetters.push('pod');
    const badContainers: string[] = [];
    for (const c of pod.containers) {
      const opts = obj(c.sc?.seLinuxOptions);
      if (opts && !check(opts, `${c.path}/securityContext/seLinuxOptions`, containersPhrase([c.name]))) badContainers.push(c.name);
    }
    if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));
    if (badSetters.length === 0) return undefined;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length > 0) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return {
      reason: 'seLinuxOptions',
      detail: `${badSetters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}`,
      items,
    };
  };
}
const SELINUX_TYPES_1_0 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, 'container_engine_t']);

const procMount: CheckFn = (pod) => {
  const bad = pod.containers.filter((c) => c.sc?.procMount !== undefined && c.sc.procMount !== null && c.sc.procMount !== 'Default');
  if (bad.length === 0) return undefined;
  const phrase = (cs: Container[]) =>
    `${containersPhrase(cs.map((c) => c.name))} must not set securityContext.procMount to ${joinQuote(sortedSet(cs.map((c) => str(c.sc?.procMount))))}`;
  return {
    reason: 'procMount',
    detail: phrase(bad),
    items: bad.map((c) => ({ path: `${c.path}/securityContext/procMount`, detail: phrase([c]) })),
  };
};
const procMountBaseline1_35: CheckFn = (pod) => (userNamespacePod(pod) ? undefined : procMount(pod));

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

// Before policy 1.19 the seccomp annotations were checked (the field did not exist).
const seccompBaseline1_0: CheckFn = (pod) => {
  const allowed = (v: string) => v === '' || v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const bad: Item[] = [];
  const keys = [SECCOMP_POD_ANNOTATION, ...pod.containers.map((c) => SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name)];
  for (const key of keys) {
    const value = pod.annotations[key];
    if (value === undefined || allowed(str(value))) continue;
    bad.push({ path: `${pod.annotationsPath}/${esc(key)}`, detail: `${key}=${q(str(value))}` });
  }
  if (bad.length === 0) return undefined;
  const values = sortedSet(bad.map((b) => b.detail));
  return {
    reason: 'seccompProfile',
    detail: `forbidden ${pluralize('annotation', 'annotations', values.length)} ${values.join(', ')}`,
    items: bad.map((b) => ({ path: b.path, detail: `forbidden annotation ${b.detail}` })),
  };
};

const validSeccomp = (type: unknown) => type === 'RuntimeDefault' || type === 'Localhost';

const seccompBaseline1_19: CheckFn = (pod) => {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  const items: Item[] = [];
  const tail = (t: string) => `must not set securityContext.seccompProfile.type to ${q(t)}`;
  const podProfile = obj(pod.psc?.seccompProfile);
  if (podProfile && !validSeccomp(podProfile.type)) {
    badSetters.push('pod');
    badValues.push(str(podProfile.type));
    items.push({ path: `${pod.specPath}/securityContext/seccompProfile/type`, detail: `pod ${tail(str(podProfile.type))}` });
  }
  const badContainers: string[] = [];
  for (const c of pod.containers) {
    const p = obj(c.sc?.seccompProfile);
    if (!p || validSeccomp(p.type)) continue;
    badContainers.push(c.name);
    badValues.push(str(p.type));
    items.push({ path: `${c.path}/securityContext/seccompProfile/type`, detail: `${containersPhrase([c.name])} ${tail(str(p.type))}` });
  }
  if (badContainers.length > 0) badSetters.push(containersPhrase(badContainers));
  if (badSetters.length === 0) return undefined;
  return {
    reason: 'seccompProfile',
    detail: `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}`,
    items,
  };
};

const SYSCTLS_1_0 = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

/** The sysctls baseline allows, by the policy version that added them. */
export const POD_SECURITY_SAFE_SYSCTLS: Readonly<Record<string, readonly string[]>> = {
  'v1.0': SYSCTLS_1_0,
  'v1.27': SYSCTLS_1_27,
  'v1.29': SYSCTLS_1_29,
  'v1.32': SYSCTLS_1_32,
};

function sysctls(allowedList: readonly string[]): CheckFn {
  const allowed = new Set(allowedList);
  return (pod) => {
    const items: Item[] = [];
    const names: string[] = [];
    arr(pod.psc?.sysctls).forEach((s, i) => {
      const name = str(obj(s)?.name);
      if (allowed.has(name)) return;
      names.push(name);
      items.push({ path: `${pod.specPath}/securityContext/sysctls/${i}/name`, detail: name });
    });
    if (names.length === 0) return undefined;
    return { reason: 'forbidden sysctls', detail: names.join(', '), items };
  };
}

const windowsHostProcess: CheckFn = (pod) => {
  const badSetters: string[] = [];
  const items: Item[] = [];
  const tail = 'must not set securityContext.windowsOptions.hostProcess=true';
  if (obj(pod.psc?.windowsOptions)?.hostProcess === true) {
    badSetters.push('pod');
    items.push({ path: `${pod.specPath}/securityContext/windowsOptions/hostProcess`, detail: `pod ${tail}` });
  }
  const bad = pod.containers.filter((c) => obj(c.sc?.windowsOptions)?.hostProcess === true);
  for (const c of bad) {
    items.push({ path: `${c.path}/securityContext/windowsOptions/hostProcess`, detail: `${containersPhrase([c.name])} ${tail}` });
  }
  if (bad.length > 0) badSetters.push(containersPhrase(bad.map((c) => c.name)));
  if (badSetters.length === 0) return undefined;
  return { reason: 'hostProcess', detail: `${badSetters.join(' and ')} ${tail}`, items };
};

const hostProbesAndHostLifecycle: CheckFn = (pod) => {
  const found = perContainer(pod, (c) => {
    const values: string[] = [];
    const items: Item[] = [];
    const handlers: [string, unknown][] = [
      ['livenessProbe', c.c.livenessProbe],
      ['readinessProbe', c.c.readinessProbe],
      ['startupProbe', c.c.startupProbe],
      ['lifecycle/postStart', obj(c.c.lifecycle)?.postStart],
      ['lifecycle/preStop', obj(c.c.lifecycle)?.preStop],
    ];
    for (const [where, handler] of handlers) {
      for (const kind of ['httpGet', 'tcpSocket']) {
        const host = str(obj(obj(handler)?.[kind])?.host);
        if (host === '') continue;
        values.push(host);
        items.push({
          path: `${c.path}/${where}/${kind}/host`,
          detail: `${containersPhrase([c.name])} uses probe or lifecycle host ${q(host)}`,
        });
      }
    }
    return { values, items };
  });
  if (found.items.length === 0) return undefined;
  const names = sortedSet(found.containers);
  const set = sortedSet(found.values);
  return {
    reason: 'probe or lifecycle host',
    detail: `${containersPhrase(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', set.length)} ${joinQuote(set)}`,
    items: found.items,
  };
};

// ---------------------------------------------------------------------------------------
// Restricted checks

const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const restrictedVolumes: CheckFn = (pod) => {
  const badNames: string[] = [];
  const badTypes: string[] = [];
  const items: Item[] = [];
  for (const v of volumes(pod)) {
    const sources = Object.keys(v.v).filter((k) => k !== 'name' && v.v[k] !== null && v.v[k] !== undefined);
    if (sources.some((s) => RESTRICTED_VOLUME_TYPES.has(s))) continue;
    const type = sources[0] ?? 'unknown';
    badNames.push(v.name);
    badTypes.push(type);
    items.push({
      path: sources[0] ? `${v.path}/${esc(type)}` : v.path,
      detail: `volume ${q(v.name)} uses restricted volume type ${q(type)}`,
    });
  }
  if (items.length === 0) return undefined;
  const types = sortedSet(badTypes);
  return {
    reason: 'restricted volume types',
    detail: `${pluralize('volume', 'volumes', badNames.length)} ${joinQuote(badNames)} ${pluralize('uses', 'use', badNames.length)} ${pluralize('restricted volume type', 'restricted volume types', types.length)} ${joinQuote(types)}`,
    items,
  };
};

function allowPrivilegeEscalation(windowsExempt: boolean): CheckFn {
  return (pod) => {
    if (windowsExempt && windowsPod(pod)) return undefined;
    const bad = pod.containers.filter((c) => c.sc?.allowPrivilegeEscalation !== false);
    if (bad.length === 0) return undefined;
    const tail = 'must set securityContext.allowPrivilegeEscalation=false';
    return {
      reason: 'allowPrivilegeEscalation != false',
      detail: `${containersPhrase(bad.map((c) => c.name))} ${tail}`,
      items: bad.map((c) => ({
        path: `${c.path}/securityContext/allowPrivilegeEscalation`,
        detail: `${containersPhrase([c.name])} ${tail}`,
      })),
    };
  };
}

function runAsNonRoot(relaxForUserNamespaces: boolean): CheckFn {
  return (pod) => {
    if (relaxForUserNamespaces && userNamespacePod(pod)) return undefined;
    const explicit = podAndContainersMustNotSet(
      pod,
      'runAsNonRoot != true',
      'runAsNonRoot',
      (v) => v === false,
      'must not set securityContext.runAsNonRoot=false',
    );
    if (explicit) return explicit;
    if (pod.psc?.runAsNonRoot === true) return undefined;
    const unset = pod.containers.filter((c) => c.sc?.runAsNonRoot !== true);
    return podOrContainersMustSet('runAsNonRoot != true', 'runAsNonRoot', 'must set securityContext.runAsNonRoot=true', unset);
  };
}

// The pod and the containers that set `field` to a value `bad` accepts: one violation, "pod
// and container "a" <tail>", with an item per setter.
function podAndContainersMustNotSet(
  pod: PodView,
  reason: string,
  field: string,
  bad: (value: unknown) => boolean,
  tail: string,
): Result | undefined {
  const setters: string[] = [];
  const items: Item[] = [];
  if (bad(pod.psc?.[field])) {
    setters.push('pod');
    items.push({ path: `${pod.specPath}/securityContext/${field}`, detail: `pod ${tail}` });
  }
  const containers = pod.containers.filter((c) => bad(c.sc?.[field]));
  for (const c of containers) items.push({ path: `${c.path}/securityContext/${field}`, detail: `${containersPhrase([c.name])} ${tail}` });
  if (containers.length > 0) setters.push(containersPhrase(containers.map((c) => c.name)));
  return setters.length === 0 ? undefined : { reason, detail: `${setters.join(' and ')} ${tail}`, items };
}

// The containers that set a field neither themselves nor through the pod: one violation, "pod
// or container "a" must set ...", with an item per container.
function podOrContainersMustSet(reason: string, field: string, tail: string, containers: readonly Container[]): Result | undefined {
  if (containers.length === 0) return undefined;
  return {
    reason,
    detail: `pod or ${containersPhrase(containers.map((c) => c.name))} ${tail}`,
    items: containers.map((c) => ({ path: `${c.path}/securityContext/${field}`, detail: `pod or ${containersPhrase([c.name])} ${tail}` })),
  };
}

function runAsUser(relaxForUserNamespaces: boolean): CheckFn {
  return (pod) => {
    if (relaxForUserNamespaces && userNamespacePod(pod)) return undefined;
    return podAndContainersMustNotSet(pod, 'runAsUser=0', 'runAsUser', (v) => v === 0, 'must not set runAsUser=0');
  };
}

function seccompRestricted(windowsExempt: boolean): CheckFn {
  return (pod) => {
    if (windowsExempt && windowsPod(pod)) return undefined;
    const explicit = seccompBaseline1_19(pod);
    if (explicit) return explicit;
    if (validSeccomp(obj(pod.psc?.seccompProfile)?.type)) return undefined;
    return podOrContainersMustSet(
      'seccompProfile',
      'seccompProfile',
      'must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
      pod.containers.filter((c) => !obj(c.sc?.seccompProfile)),
    );
  };
}

function capabilitiesRestricted(windowsExempt: boolean): CheckFn {
  return (pod) => {
    if (windowsExempt && windowsPod(pod)) return undefined;
    const missingDrop: Container[] = [];
    const adding: string[] = [];
    const forbidden: string[] = [];
    const dropItems: Item[] = [];
    const addItems: Item[] = [];
    const dropTail = 'must set securityContext.capabilities.drop=["ALL"]';
    for (const c of pod.containers) {
      const caps = obj(c.sc?.capabilities);
      if (!arr(caps?.drop).includes('ALL')) {
        missingDrop.push(c);
        dropItems.push({
          path: `${c.path}/securityContext/capabilities${caps ? '/drop' : ''}`,
          detail: `${containersPhrase([c.name])} ${dropTail}`,
        });
      }
      const found = forbiddenCapabilities(c, (cap) => cap === 'NET_BIND_SERVICE');
      if (found.values.length > 0) {
        adding.push(c.name);
        forbidden.push(...found.values);
        addItems.push(...found.items);
      }
    }
    const details: string[] = [];
    if (missingDrop.length > 0) details.push(`${containersPhrase(missingDrop.map((c) => c.name))} ${dropTail}`);
    if (adding.length > 0) {
      details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedSet(forbidden))} in securityContext.capabilities.add`);
    }
    if (details.length === 0) return undefined;
    return { reason: 'unrestricted capabilities', detail: details.join('; '), items: [...dropItems, ...addItems] };
  };
}

// In the order the API server runs them (pod-security-admission registers them file by file).
// One row a check, as a table: the policy versions each check changed at.
// prettier-ignore
const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [[0, appArmorProfile]] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [[0, capabilitiesBaseline]] },
  { id: 'hostNamespaces', level: 'baseline', versions: [[0, hostNamespaces]] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [[0, hostPathVolumes]] },
  { id: 'hostPorts', level: 'baseline', versions: [[0, hostPorts]] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', versions: [[34, hostProbesAndHostLifecycle]] },
  { id: 'privileged', level: 'baseline', versions: [[0, privileged]] },
  { id: 'procMount', level: 'baseline', versions: [[0, procMount], [35, procMountBaseline1_35]] },
  { id: 'seLinuxOptions', level: 'baseline', versions: [[0, seLinuxOptions(SELINUX_TYPES_1_0)], [31, seLinuxOptions(SELINUX_TYPES_1_31)]] },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [[0, seccompBaseline1_0], [19, seccompBaseline1_19]] },
  { id: 'sysctls', level: 'baseline', versions: [[0, sysctls(SYSCTLS_1_0)], [27, sysctls(SYSCTLS_1_27)], [29, sysctls(SYSCTLS_1_29)], [32, sysctls(SYSCTLS_1_32)]] },
  { id: 'windowsHostProcess', level: 'baseline', versions: [[0, windowsHostProcess]] },
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [[8, allowPrivilegeEscalation(false)], [25, allowPrivilegeEscalation(true)]] },
  { id: 'capabilities_restricted', level: 'restricted', overrides: ['capabilities_baseline'], versions: [[22, capabilitiesRestricted(false)], [25, capabilitiesRestricted(true)]] },
  { id: 'procMount_restricted', level: 'restricted', overrides: ['procMount'], versions: [[35, procMount]] },
  { id: 'restrictedVolumes', level: 'restricted', overrides: ['hostPathVolumes'], versions: [[0, restrictedVolumes]] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [[0, runAsNonRoot(false)], [35, runAsNonRoot(true)]] },
  { id: 'runAsUser', level: 'restricted', versions: [[23, runAsUser(false)], [35, runAsUser(true)]] },
  { id: 'seccompProfile_restricted', level: 'restricted', overrides: ['seccompProfile_baseline'], versions: [[19, seccompRestricted(false)], [25, seccompRestricted(true)]] },
];

const LATEST_MINOR = Math.max(...CHECKS.flatMap((c) => c.versions.map(([v]) => v)));

/** The minor version of a policy version string; `latest` and newer versions clamp to the newest rules. */
function policyMinor(version: string | undefined): number {
  if (version === undefined || version === 'latest') return LATEST_MINOR;
  const m = /^v1\.(0|[1-9]\d*)$/.exec(version);
  if (!m) throw new Error(`Pod Security version ${JSON.stringify(version)}: expected "latest" or "v1.<minor>", e.g. "v1.25"`);
  return Math.min(Number(m[1]), LATEST_MINOR);
}

type Plan = readonly { readonly id: string; readonly level: PodSecurityLevel; readonly fn: CheckFn }[];
const plans = new Map<string, Plan>();

/** The checks of a level at a version, in the API server's order (computed once per pair). */
function plan(level: PodSecurityLevel, minor: number): Plan {
  const key = `${level}:${minor}`;
  let p = plans.get(key);
  if (p) return p;
  const at = (c: Check) => [...c.versions].reverse().find(([v]) => v <= minor)?.[1];
  const restricted = level === 'restricted' ? CHECKS.filter((c) => c.level === 'restricted' && at(c)) : [];
  const overridden = new Set(restricted.flatMap((c) => c.overrides ?? []));
  p = [...CHECKS.filter((c) => c.level === 'baseline' && at(c) && !overridden.has(c.id)), ...restricted].map((c) => ({
    id: c.id,
    level: c.level,
    fn: at(c)!,
  }));
  plans.set(key, p);
  return p;
}

function objectName(manifest: Obj): string {
  const meta = obj(manifest.metadata);
  const ns = str(meta?.namespace);
  return `${str(manifest.kind) || '?'}/${ns ? `${ns}/` : ''}${str(meta?.name) || '?'}`;
}

/** The AppArmor field the API server derives from an annotation value, if any. */
function appArmorFieldOf(annotation: unknown): Obj | undefined {
  const v = str(annotation);
  if (v === 'runtime/default') return { type: 'RuntimeDefault' };
  if (v === 'unconfined') return { type: 'Unconfined' };
  if (v.startsWith('localhost/')) return { type: 'Localhost', localhostProfile: v.slice('localhost/'.length) };
  return undefined;
}

function podView(t: PodTemplateLocation, isPod: boolean): PodView {
  const specPath = `${t.path}/spec`;
  const annotations = obj(t.metadata?.annotations) ?? {};
  const podAppArmor = obj(obj(t.spec.securityContext)?.appArmorProfile);
  const containers: Container[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    arr(t.spec[field]).forEach((c, i) => {
      if (!isObj(c)) return;
      let sc = obj(c.securityContext);
      // Creating a Pod, the API server copies a container's AppArmor annotation into its
      // unset field (unless the pod-level field says the same), before admission sees it.
      const synced =
        isPod && !obj(sc?.appArmorProfile) ? appArmorFieldOf(annotations[APPARMOR_ANNOTATION_PREFIX + str(c.name)]) : undefined;
      if (
        synced &&
        !(podAppArmor && podAppArmor.type === synced.type && str(podAppArmor.localhostProfile) === str(synced.localhostProfile))
      ) {
        sc = { ...sc, appArmorProfile: synced };
      }
      containers.push({ name: str(c.name), path: `${specPath}/${field}/${i}`, c, sc });
    });
  }
  return {
    annotations,
    annotationsPath: `${t.path}/metadata/annotations`,
    spec: t.spec,
    specPath,
    psc: obj(t.spec.securityContext),
    containers,
  };
}

function checkLevel(level: unknown): PodSecurityLevel {
  if (level !== 'baseline' && level !== 'restricted') {
    throw new Error(`Pod Security level ${JSON.stringify(level)}: expected "baseline" or "restricted" ("privileged" allows everything)`);
  }
  return level;
}

/**
 * Evaluates each pod-bearing object of `manifests` as the API server's Pod Security admission
 * would at `level`, with the failed checks, the API server's message and the violations
 * field by field. Objects without a pod spec are skipped.
 */
export function evaluatePodSecurity(
  manifests: readonly unknown[],
  level: PodSecurityLevel,
  options: PodSecurityOptions = {},
): PodSecurityEvaluation[] {
  const checks = plan(checkLevel(level), policyMinor(options.version));
  const label = `${level}:${options.version ?? 'latest'}`;
  const out: PodSecurityEvaluation[] = [];
  for (const manifest of manifests) {
    const template = findPodTemplate(manifest);
    if (!template) continue;
    const object = objectName(manifest as Obj);
    const pod = podView(template, (manifest as Obj).kind === 'Pod');
    const failed: FailedPodSecurityCheck[] = [];
    const violations: PodSecurityViolation[] = [];
    for (const check of checks) {
      const r = check.fn(pod);
      if (!r) continue;
      failed.push({ rule: check.id, reason: r.reason, detail: r.detail });
      for (const item of r.items) {
        violations.push({ object, path: item.path, rule: check.id, level: check.level, message: `${r.reason} (${item.detail})` });
      }
    }
    const message =
      failed.length === 0
        ? undefined
        : `violates PodSecurity ${q(label)}: ${failed.map((f) => (f.detail ? `${f.reason} (${f.detail})` : f.reason)).join(', ')}`;
    out.push({ object, templatePath: template.path, failed, message, violations });
  }
  return out;
}

/**
 * Checks every pod-bearing object (Pod; the pod templates of Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, PodTemplate; custom resources
 * with a `spec.template`) against the Pod Security Standards `level`, with the rules of the
 * policy version `options.version` (default `latest`). Returns every violation, field by
 * field; an empty list means the API server would admit every pod.
 */
export function findPodSecurityViolations(
  ...[manifests, level, options]: [manifests: readonly unknown[], level: PodSecurityLevel, options?: PodSecurityOptions]
): PodSecurityViolation[] {
  return evaluatePodSecurity(manifests, level, options).flatMap((e) => e.violations);
}

/**
 * Throws if any pod-bearing object breaks the Pod Security Standards `level`, listing every
 * violation as `Kind/name at /json/path: [rule] message`.
 */
export function assertPodSecurity(manifests: readonly unknown[], level: PodSecurityLevel, options: PodSecurityOptions = {}): void {
  const violations = findPodSecurityViolations(manifests, level, options);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  ${v.object} at ${v.path || '/'}: [${v.rule}] ${v.message}`);
  throw new Error(`${violations.length} Pod Security "${level}:${options.version ?? 'latest'}" violation(s):\n${lines.join('\n')}`);
}

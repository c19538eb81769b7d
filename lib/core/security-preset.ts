import * as kplus from 'cdk8s-plus-27';
import { PropContext } from './errors';
import { MAX_INT32 } from './limits';
import { containerPointer, setManifestField } from './manifest-patches';
import { podSpecPointer } from './pod-spec';
import { checkIntegerRange, checkPort } from './prop-checks';

/**
 * A Pod Security Standards level a pod can be checked against: `restricted` (non-root, all
 * capabilities dropped, seccomp, no hostPath) or `baseline` (prevents known privilege
 * escalations; allows root and a set of capabilities, no hostPath). `privileged` is no
 * check at all, so it is no level here (the plugin's namespace levels add it).
 */
export type PodSecurityLevel = 'restricted' | 'baseline';

/** The capabilities the Baseline level lets a container add. */
export const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
] as const;

/** A capability the Baseline Pod Security level allows a container to add. */
export type BaselineCapability = (typeof BASELINE_CAPABILITIES)[number];

/** Options for {@link SecurityPreset.restricted}. */
export interface RestrictedPresetOptions {
  /**
   * The non-root user the container runs as.
   * @default 10001
   */
  readonly user?: number;
  /**
   * The group the container runs as; also the pod's `fsGroup`, so volumes it writes
   * are group-owned and readable by every container of the pod.
   * @default 10001
   */
  readonly group?: number;
  /**
   * The lowest port a non-root process may bind, set through the namespaced, "safe"
   * sysctl `net.ipv4.ip_unprivileged_port_start` (allowed at every Pod Security level).
   * Set it to the server's port when that port is below 1024 (httpd listens on 80).
   * @default - no sysctl: only ports from 1024 up can be bound
   */
  readonly unprivilegedPortStart?: number;
}

/** Options for {@link SecurityPreset.baselineRoot}. */
export interface BaselineRootPresetOptions {
  /**
   * Capabilities to keep after dropping all of them; each must be one that the Baseline
   * level allows.
   * @default - none
   */
  readonly addCapabilities?: BaselineCapability[];
}

interface SecurityContexts {
  readonly container: Record<string, unknown>;
  readonly pod: Record<string, unknown>;
}

/**
 * A named, documented security context for a pod and its containers.
 *
 * cdk8s-plus-27 decides some of this silently (`runAsNonRoot: true`,
 * `readOnlyRootFilesystem: true`, no `seccompProfile`, capabilities it can only write
 * with a `CAP_` prefix, which Pod Security admission does not recognize as `ALL` or
 * `NET_BIND_SERVICE`). A preset replaces those fields as a whole, so what the
 * manifest says is exactly what the preset documents.
 */
export class SecurityPreset {
  /**
   * Pod Security "restricted": a fixed non-root user, read-only root filesystem, all
   * capabilities dropped, no privilege escalation, `RuntimeDefault` seccomp profile.
   * The workload must write only to volumes.
   */
  public static restricted(options: RestrictedPresetOptions = {}): SecurityPreset {
    const ctx = PropContext.named('SecurityPreset.restricted');
    const user = checkIntegerRange(ctx, 'user', options.user ?? 10001, 1, MAX_INT32, 'a non-root user id');
    const group = checkIntegerRange(ctx, 'group', options.group ?? 10001, 0, MAX_INT32, 'a group id');
    const sysctls =
      options.unprivilegedPortStart === undefined
        ? undefined
        : [
            {
              name: 'net.ipv4.ip_unprivileged_port_start',
              value: String(checkPort(ctx, 'unprivilegedPortStart', options.unprivilegedPortStart)),
            },
          ];
    return new SecurityPreset('restricted', {
      container: {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsGroup: group,
        runAsNonRoot: true,
        runAsUser: user,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      pod: {
        fsGroup: group,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        ...(sysctls ? { sysctls } : {}),
      },
    });
  }

  /**
   * Pod Security "baseline" for images that must start as root (for example to write
   * to a root-owned hostPath directory): user 0, read-only root filesystem, all
   * capabilities dropped except the ones listed, no privilege escalation,
   * `RuntimeDefault` seccomp profile.
   */
  public static baselineRoot(options: BaselineRootPresetOptions = {}): SecurityPreset {
    const ctx = PropContext.named('SecurityPreset.baselineRoot');
    const add = options.addCapabilities ?? [];
    for (const cap of add) {
      if (!(BASELINE_CAPABILITIES as readonly string[]).includes(cap)) {
        throw ctx.error(
          'CAPABILITY',
          'addCapabilities',
          cap,
          `is not a capability the Baseline level allows: ${BASELINE_CAPABILITIES.join(', ')}`,
        );
      }
    }
    return new SecurityPreset('baseline', {
      container: {
        allowPrivilegeEscalation: false,
        capabilities: add.length > 0 ? { add: [...add].sort(), drop: ['ALL'] } : { drop: ['ALL'] },
        privileged: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: false,
        runAsUser: 0,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      pod: {
        runAsNonRoot: false,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
  }

  private constructor(
    /**
     * The most restrictive Pod Security level a pod using only this preset meets
     * (its volumes can lower it: hostPath needs "privileged").
     */
    public readonly level: PodSecurityLevel,
    private readonly contexts: SecurityContexts,
  ) {}

  /** The container `securityContext` this preset writes (a copy). */
  public get containerSecurityContext(): Record<string, unknown> {
    return structuredClone(this.contexts.container);
  }

  /** The pod `securityContext` this preset writes (a copy). */
  public get podSecurityContext(): Record<string, unknown> {
    return structuredClone(this.contexts.pod);
  }

  // The apply methods hand the preset's own (never mutated) objects to the JSON patch
  // without a copy: cdk8s deep-copies patch values when it applies them at synth.

  /** Replaces the `securityContext` of one container (or init container) of `workload`. */
  public applyToContainer(workload: kplus.AbstractPod, container: kplus.Container): void {
    setManifestField(workload, `${containerPointer(workload, container)}/securityContext`, this.contexts.container);
  }

  /** Replaces the pod-level `securityContext` of `workload`. */
  public applyToPod(workload: kplus.AbstractPod): void {
    setManifestField(workload, `${podSpecPointer(workload)}/securityContext`, this.contexts.pod);
  }
}

import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { withContainerLog } from '../core/hook-log';
import { atomicWriteInto, printLines, sh, ShellCode, ShellScript } from '../core/shell';
import { DOWNWARD_API_SANITIZERS, FLAG_FIELDS, FLAG_FILE_EXTENSION, FLAG_HEADER_PRINTER } from './flag-file';

/** Options of {@link FlagFileDirectory.preStopHook}; errors name them as props of that name. */
export interface PreStopFlagHookOptions {
  /** The container the hook runs in, recorded as `container=`. */
  readonly containerName: string;
  /**
   * How long the hook sleeps before it writes the flag file: a graceful-shutdown delay
   * (for example to let Service endpoints drain). Whole seconds.
   * @default Duration.seconds(0)
   */
  readonly preStopDelay?: Duration;
  /**
   * Lines written after the header and its two human-readable lines. Written literally; the
   * collector never parses them, so they cannot pose as header fields.
   * @default - none
   */
  readonly flagLines?: readonly string[];
  /**
   * The shell that runs the hook; it must exist in the image, with `date`, `mkdir`, `mv`
   * (and `sleep` for a delay).
   * @default '/bin/sh'
   */
  readonly shell?: string;
}

/**
 * What {@link FlagFileDirectory.preStopHook} builds: put its parts into the container's props.
 * `handler` and `envVariables` are cdk8s-plus-27 objects; `command` and `envFieldRefs` are
 * the same as plain data, for a container of any cdk8s-plus version:
 * `lifecycle: { preStop: Handler.fromCommand([...hook.command]) }` and
 * `EnvValue.fromFieldRef(path as EnvFieldPaths)` for each entry of `envFieldRefs`.
 */
export interface PreStopFlagHook {
  /** The script the hook runs; frozen, shared by every call with the same options. */
  readonly script: ShellScript;
  /** The hook's exec command, `[shell, '-c', script]`. */
  readonly command: readonly string[];
  /** For `lifecycle.preStop` of a cdk8s-plus-27 container. */
  readonly handler: kplus.Handler;
  /** The downward API variables the script reads, for a cdk8s-plus-27 container's `envVariables`. */
  readonly envVariables: { readonly [name: string]: kplus.EnvValue };
  /**
   * The same variables as plain data: each name and its downward API field path
   * (`POD_NAME: 'metadata.name'`, `POD_NAMESPACE`, `POD_UID`, `NODE_NAME`).
   */
  readonly envFieldRefs: { readonly [name: string]: string };
  /** The delay before the write, in seconds. */
  readonly delaySeconds: number;
}

/** The preStop hook's script and container parts; built once per distinct input (see FlagFileDirectory.preStopHook). */
export function buildPreStopFlagHook(
  mountPath: string,
  containerName: string,
  delaySeconds: number,
  shell: string,
  flagLines: readonly string[],
): PreStopFlagHook {
  const producer = [FLAG_HEADER_PRINTER, ...(flagLines.length > 0 ? [printLines(flagLines)] : [])];
  const script = new ShellScript({ shell }).add(
    ...(delaySeconds > 0 ? [sh`sleep ${delaySeconds}`] : []),
    // C locale: English dates, and byte ranges in the case patterns below.
    sh`LC_ALL=C
export LC_ALL`,
    // One date call for the header, the file name and the human-readable line.
    sh`now=$(date -u '+%Y-%m-%dT%H:%M:%SZ %Y%m%dT%H%M%SZ %a %b %e %H:%M:%S UTC %Y')
f_stopped_at=\${now%% *}
now=\${now#* }
stamp=\${now%% *}
human_date=\${now#* }`,
    sh`# The downward API values, kept only if they look like Kubernetes names: one line, no '/'.`,
    DOWNWARD_API_SANITIZERS,
    sh`f_container=${containerName}`,
    // Pod name, UID, time and PID: unique across restarts and repeated hooks, never a
    // hidden name, and well under the 255-byte limit (cut with builtins: no process).
    sh`name_pod=\${f_pod:-unknown}
while [ "\${#name_pod}" -gt 100 ]; do name_pod=\${name_pod%?}; done
name_uid=\${f_uid:-unknown}
while [ "\${#name_uid}" -gt 40 ]; do name_uid=\${name_uid%?}; done
file=$name_pod.$name_uid.$stamp.$$${FLAG_FILE_EXTENSION}`,
    atomicWriteInto(mountPath, ShellCode.trusted('"$file"'), ShellCode.lines(producer)),
  );
  const envVariables: { [name: string]: kplus.EnvValue } = {};
  const envFieldRefs: { [name: string]: string } = {};
  for (const field of FLAG_FIELDS) {
    if (!field.fieldRef) continue;
    envVariables[field.env] = kplus.EnvValue.fromFieldRef(field.fieldRef);
    envFieldRefs[field.env] = field.fieldRef;
  }
  // Its lines and exit status go to the container's log, prefixed `[pre-stop-flag]`.
  const logged = withContainerLog('pre-stop-flag', script);
  const command = Object.freeze(logged.toCommand());
  return { script: logged, command, handler: kplus.Handler.fromCommand([...command]), envVariables, envFieldRefs, delaySeconds };
}

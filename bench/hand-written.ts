import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * httpd's probes as a user writes them once for all their pods, by hand with cdk8s-plus-27:
 * the same readiness (HTTP GET of `path`) and liveness (TCP connect) the constructs write.
 */
export function httpdProbes(path: string): { readiness: kplus.Probe; liveness: kplus.Probe } {
  return {
    readiness: kplus.Probe.fromHttpGet(path, {
      port: 80,
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold: 3,
    }),
    liveness: kplus.Probe.fromTcpSocket({
      port: 80,
      periodSeconds: Duration.seconds(20),
      timeoutSeconds: Duration.seconds(5),
      failureThreshold: 6,
    }),
  };
}

/** A user who wants no `externalIPs: []` (cdk8s-plus-27 writes it on every Service) removes it, as the library does. */
export function withoutEmptyExternalIps(service: kplus.Service): kplus.Service {
  ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
  return service;
}
/**
 * The container-log wrapper the library puts around its hooks (lib/core/hook-log.ts), typed
 * out once as a user copying it would have it: `script` runs in a subshell, its lines go to
 * PID 1's streams prefixed with `[name]`, then its exit status.
 */
export function withHookLog(name: string, script: string): string {
  return `set -eu
hook_log_name='${name}'
exec 5>&1 6>&2
if (exec >>'/proc/1/fd/1' 2>>'/proc/1/fd/2') 2>/dev/null; then
  exec 5>>'/proc/1/fd/1' 6>>'/proc/1/fd/2'
fi
hook_log_lines() {
  while IFS= read -r hook_log_line || [ -n "$hook_log_line" ]; do
    printf '[%s] %s\\n' "$hook_log_name" "$hook_log_line"
  done
}
printf '[%s] running\\n' "$hook_log_name" >&5
set +e
hook_log_status=$(
  { { { (
${script}) 3>&- 4>&- 5>&- 6>&-
printf '%s' "$?" >&3
} 2>&1 1>&4 | hook_log_lines >&6; } 4>&1 | hook_log_lines >&5; } 3>&1
)
if [ "$hook_log_status" = 0 ]; then
  printf '[%s] exit status 0\\n' "$hook_log_name" >&5
else
  printf '[%s] exit status %s\\n' "$hook_log_name" "$hook_log_status" >&6
fi
exit "$hook_log_status"
`;
}

/** The drain delay's preStop command: a logged `sleep 5`. */
export const DRAIN_COMMAND: readonly string[] = ['/bin/sh', '-c', withHookLog('drain-delay', "set -eu\nsleep '5'\n")];

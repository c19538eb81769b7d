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

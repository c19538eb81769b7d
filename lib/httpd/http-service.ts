import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { markOutsideCheckedFields } from '../core/manifest-patches';
import { checkDnsLabel, checkNodePort, checkPort } from '../core/prop-checks';

/** How a web server is exposed; each field is a prop of the construct that uses it. */
export interface HttpServiceOptions {
  /**
   * The Service's `metadata.name`.
   * @default - a unique name generated from the construct path
   */
  readonly serviceName?: string;
  /**
   * The Service's type.
   * @default kplus.ServiceType.NODE_PORT
   */
  readonly serviceType?: kplus.ServiceType;
  /**
   * The Service's port.
   * @default 80
   */
  readonly servicePort?: number;
  /**
   * A fixed node port, for `NODE_PORT` and `LOAD_BALANCER` services.
   * @default - Kubernetes picks a free port from 30000-32767
   */
  readonly nodePort?: number;
}

/**
 * Adds a Service named `http` in front of `selector`'s pods, forwarding to `targetPort`.
 * The options are checked against `ctx`, so errors name the construct the user wrote.
 *
 * @param labels the Service's labels, already checked by the caller (it labels its
 *   workload with them too)
 */
export function addHttpService(
  scope: Construct,
  ctx: PropContext,
  selector: kplus.IPodSelector,
  targetPort: number,
  options: HttpServiceOptions,
  labels: Record<string, string> = {},
): kplus.Service {
  const name = options.serviceName === undefined ? undefined : checkDnsLabel(ctx, 'serviceName', options.serviceName);
  const port = checkPort(ctx, 'servicePort', options.servicePort ?? 80);
  const type = options.serviceType ?? kplus.ServiceType.NODE_PORT;
  if (options.nodePort !== undefined) {
    checkNodePort(ctx, 'nodePort', options.nodePort);
    if (type !== kplus.ServiceType.NODE_PORT && type !== kplus.ServiceType.LOAD_BALANCER) {
      throw ctx.error(
        'NODE_PORT',
        'nodePort',
        options.nodePort,
        `cannot be set on a Service of type ${type}: only NodePort and LoadBalancer have node ports`,
      );
    }
  }
  const service = new kplus.Service(scope, 'Service', {
    metadata: metadataWithName(name, labels),
    type,
    selector,
    ports: [{ port, targetPort, nodePort: options.nodePort, name: 'http' }],
  });
  // cdk8s-plus-27 writes `externalIPs: []` on every Service: a field nobody asked for. The
  // synth checks read no externalIPs, so the model stays the truth for them.
  ApiObject.of(service).addJsonPatch(markOutsideCheckedFields(JsonPatch.remove('/spec/externalIPs')));
  return service;
}

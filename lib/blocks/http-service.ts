import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { metadataWithName } from '../core/defaults';
import { PropContext } from '../core/errors';
import { checkDnsLabel, checkLabels, checkNodePort, checkPort } from '../core/prop-checks';

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
 * {@link HttpServiceOptions}, checked: what {@link buildHttpService} needs.
 * @internal
 */
export interface CheckedHttpService {
  /**
   * The Service's `metadata.name`.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /** The Service's type. */
  readonly type: kplus.ServiceType;
  /** The Service's port. */
  readonly port: number;
  /**
   * A fixed node port.
   * @default - Kubernetes picks one
   */
  readonly nodePort?: number;
}

/**
 * Checks the Service props (each error names its prop).
 * @internal
 */
export function checkHttpServiceOptions(ctx: PropContext, options: HttpServiceOptions): CheckedHttpService {
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
  return { name, type, port, nodePort: options.nodePort };
}

/**
 * Adds the checked Service named `http` in front of `selector`'s pods, forwarding to `targetPort`.
 * @param labels the Service's labels, already checked by the caller (it labels its workload with them too)
 * @internal
 */
export function buildHttpService(
  scope: Construct,
  selector: kplus.IPodSelector,
  targetPort: number,
  service: CheckedHttpService,
  labels: Record<string, string>,
): kplus.Service {
  const built = new kplus.Service(scope, 'Service', {
    metadata: metadataWithName(service.name, labels),
    type: service.type,
    selector,
    ports: [{ port: service.port, targetPort, nodePort: service.nodePort, name: 'http' }],
  });
  // cdk8s-plus-27 writes `externalIPs: []` on every Service: a field nobody asked for.
  ApiObject.of(built).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
  return built;
}

/** Options for {@link addHttpService}. */
export interface AddHttpServiceOptions extends HttpServiceOptions {
  /** The pods the Service sends traffic to (a workload or a pod). */
  readonly selector: kplus.IPodSelector;
  /**
   * The pods' port.
   * @default 80
   */
  readonly targetPort?: number;
  /**
   * Labels of the Service.
   * @default - none
   */
  readonly labels?: { readonly [key: string]: string };
}

/**
 * Adds a Service named `http` in front of `selector`'s pods. Bad options throw a
 * {@link PropError} naming `scope`.
 */
export function addHttpService(scope: Construct, options: AddHttpServiceOptions): kplus.Service {
  const ctx = PropContext.of(scope);
  const labels = checkLabels(ctx, 'labels', options.labels ?? {});
  const targetPort = checkPort(ctx, 'targetPort', options.targetPort ?? 80);
  return buildHttpService(scope, options.selector, targetPort, checkHttpServiceOptions(ctx, options), labels);
}

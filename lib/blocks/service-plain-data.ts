import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';

/**
 * What an Ingress backend or a NetworkPolicy needs from a Service the library made, as plain
 * data: a cdk8s-plus-27 `Service` cannot be handed to another cdk8s-plus major (cdk8s-plus-33's
 * `IngressBackend.fromService` takes only its own `Service`), strings and numbers can.
 */
export interface ServicePlainData {
  /** The Service's `metadata.name`. */
  readonly name: string;
  /**
   * The Service's `metadata.namespace`.
   * @default - none: the namespace the manifests are applied to
   */
  readonly namespace?: string;
  /** The Service's port (the one named `http`, or the first). */
  readonly port: number;
  /**
   * That port's name, for an Ingress backend by port name.
   * @default - none: the port has no name
   */
  readonly portName?: string;
  /** The container port the Service forwards to: what a NetworkPolicy on the pods allows. */
  readonly targetPort: number;
  /**
   * The labels the Service selects its pods by (`spec.selector`): a NetworkPolicy's
   * `podSelector.matchLabels`, or cdk8s-plus-33's `Pods.select(scope, id, { labels })`.
   */
  readonly podSelector: Readonly<Record<string, string>>;
}

/**
 * The name, port, target port and pod selector of `service` as built (a later JSON patch of
 * the selector is not seen), e.g. `servicePlainData(site.service)` for an Ingress or a
 * NetworkPolicy of another cdk8s-plus version.
 */
export function servicePlainData(service: kplus.Service): ServicePlainData {
  // cdk8s-plus-27 keeps the selector private; the rendered object is the public view of it.
  const spec = (ApiObject.of(service).toJson() as { spec: ServiceSpecJson }).spec;
  const ports = spec.ports ?? [];
  const port = ports.find((p) => p.name === 'http') ?? ports[0];
  // The library's Services forward to a numbered port; a named one has no number to give.
  if (port === undefined || typeof port.targetPort === 'string') {
    throw new Error(`Service ${service.node.path}: servicePlainData needs a port with a numbered targetPort`);
  }
  const namespace = service.metadata.namespace;
  return {
    name: service.name,
    ...(namespace === undefined ? {} : { namespace }),
    port: port.port,
    ...(port.name === undefined ? {} : { portName: port.name }),
    targetPort: port.targetPort ?? port.port,
    podSelector: Object.freeze({ ...spec.selector }),
  };
}

interface ServiceSpecJson {
  readonly ports?: readonly { readonly name?: string; readonly port: number; readonly targetPort?: number | string }[];
  readonly selector?: Record<string, string>;
}

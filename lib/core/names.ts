// Kubernetes' object naming rules (apimachinery's validation), once: the prop checks and
// the rules on produced objects both test names against these.

/** A DNS-1123 label (container, port, volume and Service names), at most {@link DNS1123_LABEL_MAX} characters. @internal */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** @internal */
export const DNS1123_LABEL_MAX = 63;

/** A DNS-1123 subdomain (Pod and most object names), at most {@link DNS1123_SUBDOMAIN_MAX} characters. @internal */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** @internal */
export const DNS1123_SUBDOMAIN_MAX = 253;

/** The name part of a label key, and a label value when not empty, at most {@link LABEL_NAME_MAX} characters. @internal */
export const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** @internal */
export const LABEL_NAME_MAX = 63;

/** Whether `name` is a DNS-1123 subdomain. @internal */
export function isDnsSubdomain(name: string): boolean {
  return name.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(name);
}

// Limits of Kubernetes and the kernel that the prop checks and synth checks enforce.

/** The largest value of a Kubernetes int32 field (`terminationGracePeriodSeconds`, `replicas`, ids). */
export const MAX_INT32 = 2147483647;

/**
 * Typed cdk8s constructs for running your own commands inside a Kubernetes pod, and the
 * building blocks they are made of. Test helpers are in `cdk8s-pod-lifecycle/testing`.
 * @module cdk8s-pod-lifecycle
 */
export * from './shell';
export * from './validation';
export * from './pod-spec-patch';
export * from './security-preset';
export * from './httpd-container';
export * from './write-file-hook';
export * from './httpd-with-post-start';
export * from './synth-validations';
export { addRawJsonPatch, makeNativeSidecar } from './raw-manifest-fields';
export * from './http-service';
export * from './git-clone-script';
export * from './git-site-containers';
export * from './git-cloned-site-init';
export * from './audit-log';
export * from './pre-stop-audited-pod';
export * from './pre-stop-audit-collector';

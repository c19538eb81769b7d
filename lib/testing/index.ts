/**
 * Test helpers for charts built with cdk8s-pod-lifecycle (or any cdk8s chart), imported
 * from `cdk8s-pod-lifecycle/testing`: {@link synthSnapshot} for stable jest snapshots and
 * {@link assertValidManifests} / {@link findSchemaViolations} for the Kubernetes 1.27 API
 * schema, {@link warningsOf} for the library's warnings. The schema checker needs the optional peer dependencies `kubernetes-models@4.3.0`
 * and `ajv`: `npm i -D kubernetes-models@4.3.0 ajv`.
 * @module cdk8s-pod-lifecycle/testing
 */
export { KUBERNETES_SCHEMA_VERSION, type SchemaViolation, findSchemaViolations, assertValidManifests } from './k8s-schema';
export { CDK8S_BOOKKEEPING_LABELS, type SynthSnapshotOptions, type SnapshotManifest, synthSnapshot } from './snapshot';
export { warningsOf } from './warnings';
export {
  type PodSecurityLevel,
  type PodSecurityOptions,
  type PodSecurityViolation,
  type PodSecurityEvaluation,
  type FailedPodSecurityCheck,
  type PodTemplateLocation,
  POD_SECURITY_LATEST_VERSION,
  POD_SECURITY_SAFE_SYSCTLS,
  evaluatePodSecurity,
  findPodSecurityViolations,
  assertPodSecurity,
  findPodTemplate,
} from './pod-security';
export {
  type RuntimeProblem,
  type RuntimeRule,
  type RuntimeRuleOptions,
  RUNTIME_RULES,
  MAX_ARG_STRLEN,
  findRuntimeProblems,
} from './runtime-rules';
export { type YamlTextProblem, findYamlTextProblems, findLoneSurrogates } from './yaml-text';

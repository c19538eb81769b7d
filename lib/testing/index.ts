/**
 * Test helpers for charts built with cdk8s-pod-lifecycle (or any cdk8s chart), imported
 * from `cdk8s-pod-lifecycle/testing`: {@link synthSnapshot} for stable jest snapshots,
 * {@link checkObjects} / {@link assertRulesPass} for the library's rules (the same rules
 * the synth checks and the plugin run, see docs/rules.md), {@link assertValidManifests} /
 * {@link findSchemaViolations} for the Kubernetes 1.27 API schema, the Pod Security
 * Standards, and {@link warningsOf} for the library's warnings.
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
  POD_SECURITY_LATEST_VERSION,
  evaluatePodSecurity,
  findPodSecurityViolations,
  assertPodSecurity,
} from '../rules/pod-security';
export { type RuleId, type RuleSeverity, type Rule, type Finding, type ObjectRef, RULES } from '../rules/rules';
export { type CheckOptions, checkObjects } from '../rules/engine';
export { assertRulesPass } from './rules';
export { type YamlTextProblem, findYamlTextProblems } from './yaml-text';

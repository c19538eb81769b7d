/**
 * Typed cdk8s constructs for running your own commands inside a Kubernetes pod, and the
 * building blocks they are made of. Test helpers are in `cdk8s-pod-lifecycle/testing`.
 *
 * The folders are layers, and imports only point down: `core/` (shell quoting, limits,
 * names, prop checks, errors, warnings, manifest patches, where the pod spec sits, security
 * presets, defaults), the rules on the produced objects, `blocks/` (the building blocks
 * several constructs share), then one folder per construct family (`httpd/`, `prestop/`,
 * `git-site/`), which never import each other. This file is the public API, by name.
 * @module cdk8s-pod-lifecycle
 */

// core: primitives
export {
  type ShellCode,
  type ShellArg,
  shellQuote,
  sh,
  printLines,
  printText,
  atomicWrite,
  ShellScript,
  type ShellScriptProps,
} from './core/shell';
export { PropError, type PropErrorCode, PropContext } from './core/errors';
export {
  checkDnsLabel,
  checkPort,
  checkAbsolutePath,
  checkOwnDirectory,
  checkFileName,
  checkNoNulByte,
  checkNoNulBytes,
  checkEach,
  checkUnicodeText,
  checkManifestText,
  checkCommand,
  checkExecArgs,
  checkResources,
  checkWrittenFilePath,
  MAX_WRITTEN_FILE_NAME_BYTES,
  checkSecretKey,
} from './core/prop-checks';
export { podSpecPointer } from './core/pod-spec';
export { MAX_INT32, MAX_ARG_STRLEN, NAME_MAX, PATH_MAX, MAX_OBJECT_BYTES, MAX_PID_DIGITS } from './core/limits';
export { Warnings, type WarningCode, type ConstructWarning } from './core/warnings';
export { containerPointer, setManifestField, addRawJsonPatch, makeNativeSidecar } from './core/manifest-patches';
export {
  SecurityPreset,
  type PodSecurityLevel,
  BASELINE_CAPABILITIES,
  type BaselineCapability,
  type RestrictedPresetOptions,
  type BaselineRootPresetOptions,
} from './core/security-preset';
export { IMAGE_PINS, HTTPD } from './core/images';
export { DEFAULT_GIT_SITE_SIZE_LIMIT, DEFAULT_RESOURCES, DEFAULT_SECURITY_PRESETS, defaultPullPolicy } from './core/defaults';

// synth-checks: the rules engine at synth time
export { addSynthCheck, addStandardSynthChecks, type SynthCheck, type SynthProblem, type SynthProblemCode } from './synth-checks/checks';
export { gracePeriodProblems, type GracePeriodRequirement } from './synth-checks/grace-period';
export { type RuleId, type RuleSeverity } from './rules/rules';

// blocks: the building blocks several constructs share
export {
  addHttpdContainer,
  type AddHttpdContainerOptions,
  type HttpdContainerOptions,
  type HttpdContainerParts,
  type HttpdOptions,
  type HttpdPodOptions,
  type HttpdProbeOptions,
  httpdReadinessProbe,
  httpdLivenessProbe,
} from './blocks/httpd-container';
export {
  drainDelay,
  applyDrainDelay,
  type DrainOptions,
  type DrainDelayOptions,
  type ApplyDrainDelayOptions,
  type DrainDelay,
  SHUTDOWN_MARGIN,
} from './blocks/drain-delay';
export { addHttpService, type HttpServiceOptions, type AddHttpServiceOptions } from './blocks/http-service';
export { WriteFileHook, type WriteFileHookProps } from './blocks/write-file-hook';
export { DEFAULT_POST_START_CONTENT, type PageContentFrom, POST_START_PAGE_SOURCE } from './blocks/post-start-page';
export { servicePlainData, type ServicePlainData } from './blocks/service-plain-data';

// httpd: HttpdWithPostStart
export { HttpdWithPostStart, type HttpdWithPostStartProps } from './httpd/httpd-with-post-start';

// prestop: the flag-file protocol, PreStopAuditedPod and its collector
export { type PreStopFlagHook, type PreStopFlagHookOptions } from './prestop/pre-stop-flag-hook';
export { type CollectorScript, type CollectorScriptOptions } from './prestop/collector-script';
export { FlagFileDirectory, type FlagFileDirectoryProps } from './prestop/flag-file-directory';
export { PreStopAuditedPod, type PreStopAuditedPodProps, PRE_STOP_WRITE_MARGIN } from './prestop/pre-stop-audited-pod';
export { PreStopAuditCollector, type PreStopAuditCollectorProps } from './prestop/pre-stop-audit-collector';

// git-site: git rules, the clone script and containers, GitClonedSiteInit
export { type GitProtocol } from './git-site/git-rules';
export { GitCloneScript, type GitCloneScriptProps, type GitCredentialFiles, type GitSubmodules } from './git-site/git-clone-script';
export { GIT_CLONE_LAYOUT, GIT_NETWORK_LIMITS } from './git-site/git-update-script';
export {
  GitCredentials,
  GitCertificateAuthority,
  type GitCertificateAuthorityOptions,
  type GitCredentialFile,
  type GitSshCredentialsOptions,
  type GitHttpsCredentialsOptions,
} from './git-site/git-credentials';
export {
  addGitSiteContainers,
  type AddGitSiteContainersOptions,
  type GitSiteContainersOptions,
  type GitSiteParts,
  GIT_SITE,
  gitSiteVolume,
} from './git-site/git-site-containers';
export { GitClonedSiteInit, type GitClonedSiteInitProps } from './git-site/git-cloned-site-init';

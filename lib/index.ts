/**
 * Typed cdk8s constructs for running your own commands inside a Kubernetes pod, and the
 * building blocks they are made of. Test helpers are in `cdk8s-pod-lifecycle/testing`.
 *
 * The folders are layers: `core/` (shell quoting, prop checks, errors, warnings, manifest
 * patches, security presets, defaults), `synth-checks/` (rules on the final manifests), then
 * one folder per scenario (`httpd/`, `prestop/`, `git-site/`) with its building blocks and
 * its constructs. This file is the public API, by name.
 * @module cdk8s-pod-lifecycle
 */

// core: primitives
export {
  ShellCode,
  type ShellArg,
  shellQuote,
  sh,
  printLines,
  printText,
  atomicWrite,
  atomicWriteInto,
  ShellScript,
  type ShellScriptProps,
} from './core/shell';
export { PropError, type PropErrorCode, PropContext } from './core/errors';
export {
  checkDnsLabel,
  checkDnsSubdomain,
  checkIntegerRange,
  checkWholeSeconds,
  checkPort,
  checkNodePort,
  checkAbsolutePath,
  checkOwnDirectory,
  checkFileName,
  checkLabelKey,
  checkLabels,
  checkImage,
  isPinnedImage,
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
export { MAX_INT32, MAX_ARG_STRLEN, NAME_MAX, PATH_MAX, MAX_OBJECT_BYTES, MAX_PID_DIGITS } from './core/limits';
export { Warnings, type WarningCode, type ConstructWarning, WARNINGS_ENV } from './core/warnings';
export {
  POD_SPEC_POINTERS,
  podSpecPointer,
  containerPointer,
  setManifestField,
  addRawJsonPatch,
  makeNativeSidecar,
} from './core/manifest-patches';
export {
  SecurityPreset,
  PodSecurityLevel,
  BASELINE_CAPABILITIES,
  type BaselineCapability,
  type RestrictedPresetOptions,
  type BaselineRootPresetOptions,
} from './core/security-preset';
export { IMAGE_PINS, HTTPD, GIT_IMAGE_USER } from './core/images';
export { DEFAULT_GIT_SITE_SIZE_LIMIT, DEFAULT_RESOURCES, DEFAULT_SECURITY_PRESETS, defaultPullPolicy } from './core/defaults';

// synth-checks: rules on the final state of the app
export {
  addSynthCheck,
  addStandardSynthChecks,
  serviceSelectorProblems,
  volumeMountProblems,
  problemsWithCode,
  type SynthCheck,
  type SynthProblem,
  type SynthProblemCode,
} from './synth-checks/checks';
export { gracePeriodProblems, gracePeriodRule, sleepActionProblems, type GracePeriodRequirement } from './synth-checks/grace-period';

// httpd: building blocks and HttpdWithPostStart
export {
  addHttpdContainer,
  type HttpdContainerOptions,
  type HttpdContainerParts,
  type HttpdOptions,
  type HttpdPodOptions,
  type HttpdProbeOptions,
  httpdReadinessProbe,
  httpdLivenessProbe,
  HTTPD_VOLUMES,
} from './httpd/httpd-container';
export { drainDelay, applyDrainDelay, type DrainOptions, type DrainDelay, SHUTDOWN_MARGIN } from './httpd/drain-delay';
export { addHttpService, type HttpServiceOptions } from './httpd/http-service';
export { WriteFileHook, type WriteFileHookProps } from './httpd/write-file-hook';
export { DEFAULT_POST_START_CONTENT, type PageContentFrom, POST_START_PAGE_SOURCE } from './httpd/post-start-page';
export { HttpdWithPostStart, type HttpdWithPostStartProps } from './httpd/httpd-with-post-start';

// prestop: the flag-file protocol, PreStopAuditedPod and its collector
export { FLAG_FILE_FORMAT, FLAG_FILE_EXTENSION, FLAG_FIELDS, type FlagField } from './prestop/flag-file';
export { type PreStopFlagHook, type PreStopFlagHookOptions } from './prestop/pre-stop-flag-hook';
export { type CollectorScript, type CollectorScriptOptions, COLLECTOR_DIRS, CLEANUP_KILL_AFTER_SECONDS } from './prestop/collector-script';
export { FlagFileDirectory, type FlagFileDirectoryProps } from './prestop/flag-file-directory';
export { PreStopAuditedPod, type PreStopAuditedPodProps, PRE_STOP_WRITE_MARGIN } from './prestop/pre-stop-audited-pod';
export { PreStopAuditCollector, type PreStopAuditCollectorProps } from './prestop/pre-stop-audit-collector';

// git-site: git rules, the clone script and containers, GitClonedSiteInit
export { checkGitRepository, checkGitRef, checkRepoSubPath, type GitProtocol, type GitRepositoryCheckOptions } from './git-site/git-rules';
export {
  GitCloneScript,
  type GitCloneScriptProps,
  type GitCredentialFiles,
  type GitSubmodules,
  GIT_CLONE_LAYOUT,
  GIT_NETWORK_LIMITS,
} from './git-site/git-clone-script';
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
  type GitSiteContainersOptions,
  type GitSiteParts,
  GIT_SITE,
  gitSiteVolume,
} from './git-site/git-site-containers';
export { GitClonedSiteInit, type GitClonedSiteInitProps } from './git-site/git-cloned-site-init';

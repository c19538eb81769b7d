// The one place the end-to-end suite imports the library and the examples from: when lib/
// or examples/ move or rename something, re-point it here and nowhere else.
export {
  GIT_CLONE_LAYOUT,
  GIT_SITE,
  GitCertificateAuthority,
  GitClonedSiteInit,
  GitCredentials,
  HttpdWithPostStart,
  PreStopAuditCollector,
  PreStopAuditedPod,
  SecurityPreset,
  Warnings,
  WriteFileHook,
  addRawJsonPatch,
} from '../../../lib';
export { buildExamples } from '../../../examples/main';

/**
 * The prop (and the property) through which a PreStopAuditedPod and a PreStopAuditCollector
 * share their flag-file directory (a FlagFileDirectory; 0.1 called it `auditLog`): change
 * this one word when it is renamed again.
 */
export const SHARED_DIRECTORY_PROP = 'flagDirectory' as const;

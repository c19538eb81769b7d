// The one place the end-to-end suite imports the library and the examples from: when lib/
// or examples/ move or rename something, re-point it here and nowhere else.
export {
  GitClonedSiteInit,
  GitCredentials,
  HttpdWithPostStart,
  PreStopAuditCollector,
  PreStopAuditedPod,
  SecurityPreset,
  addRawJsonPatch,
} from '../../../lib';
export { buildExamples } from '../../../examples/main';

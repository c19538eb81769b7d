// The cdk8s synth validation plugin at a short path, for cdk8s.yaml:
//   validations:
//     - package: ./node_modules/cdk8s-pod-lifecycle/plugin
//       version: 0.2.0
//       class: PodLifecycleValidation
// (cdk8s-cli installs any other package name from npm, so the entry must be a local path.)
module.exports = require('./build/lib/cdk8s-plugin');

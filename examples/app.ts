// The cdk8s app that `cdk8s synth` runs (see cdk8s.yaml).
import { buildExamples } from './main';

buildExamples().synth();

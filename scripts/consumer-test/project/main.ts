// The app `cdk8s synth` runs (cdk8s.yaml): one YAML file per chart in dist/.
import { App } from 'cdk8s';
import { buildApp } from './charts';

buildApp(new App()).synth();

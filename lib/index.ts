export * from './shell';
export * from './validation';
export * from './pod-spec-patch';
export * from './security-preset';
export * from './httpd-container';
export * from './write-file-hook';
export * from './httpd-with-post-start';
export * from './synth-validations';

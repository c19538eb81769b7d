// Keeps test output readable: the warnings are still recorded, and read with warningsOf.
process.env.CDK8S_POD_LIFECYCLE_WARNINGS = 'silent';

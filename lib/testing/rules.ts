import { CheckOptions, checkObjects } from '../rules/engine';

/**
 * Throws when the manifests (all the objects of one app, e.g. `Testing.synth(chart)`) break
 * a rule of {@link checkObjects}: one line per finding, with the rule id, the object, the
 * field and how to fix it.
 *
 * @param manifests plain manifest objects
 * @param options which rules to run
 */
export function assertRulesPass(manifests: readonly unknown[], options: CheckOptions = {}): void {
  const findings = checkObjects(manifests, options);
  if (findings.length === 0) return;
  const lines = findings.map((f) => `  [${f.rule}] ${f.message}; ${f.fix}`);
  throw new Error(`${findings.length} rule finding(s):\n${lines.join('\n')}`);
}

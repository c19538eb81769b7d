import { IConstruct } from 'constructs';
import { ConstructWarning, Warnings } from '../core/warnings';

/**
 * The library's warnings on `scope` and every construct below it (a chart, an app) that no
 * construct at or above them acknowledged: code, message and construct path, in tree order.
 *
 * @example expect(warningsOf(chart).map((w) => w.code)).toEqual(['NATIVE_SIDECAR'])
 */
export function warningsOf(scope: IConstruct): ConstructWarning[] {
  return Warnings.of(scope).list();
}

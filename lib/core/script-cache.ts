import { ShellScript } from './shell';

// Scripts are pure functions of their checked options, and the pods of an app usually all
// get the same ones (one preStop hook for every audited pod, one clone script per
// repository). Each distinct script is built once and shared, so a thousand pods hold one
// copy of it instead of a thousand. Shared values are frozen (a ShellScript's add() then
// throws), so no holder can change what the others run. An app has a handful of distinct
// scripts, a test run thousands: the cache forgets everything when it is full.
const cache = new Map<string, object>();
const MAX_ENTRIES = 64;

/**
 * The value `build` returns for `inputs`: built on the first call with equal inputs, then
 * shared by every later one, frozen, with the scripts and plain records it holds.
 * @internal
 *
 * @param inputs everything the value depends on, as JSON values
 */
export function sharedFrozen<T extends object>(inputs: readonly unknown[], build: () => T): T {
  const key = JSON.stringify(inputs);
  const found = cache.get(key);
  if (found) return found as T;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  const value = build();
  for (const member of Object.values(value)) {
    if (
      member instanceof ShellScript ||
      (typeof member === 'object' && member !== null && Object.getPrototypeOf(member) === Object.prototype)
    ) {
      Object.freeze(member);
    }
  }
  cache.set(key, Object.freeze(value));
  return value;
}

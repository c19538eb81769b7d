// Kubernetes resource quantities (`500m`, `0.5`, `64Mi`, `1e3`), read once for every rule.

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The forms of a Kubernetes quantity: a decimal with an optional binary or decimal suffix or exponent. */
export const QUANTITY_PATTERN = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * The value of a quantity (a string or a number) times `unit` (1000 for millicores of CPU,
 * 1 for bytes of memory), or undefined when it is no quantity.
 */
export function quantityValue(written: unknown, unit = 1): number | undefined {
  if (typeof written === 'number') return written * unit;
  if (typeof written !== 'string') return undefined;
  const match = QUANTITY_PATTERN.exec(written);
  if (!match) return undefined;
  const scale = match[2] !== undefined ? 10 ** Number(match[2]) : SUFFIX[match[3] ?? ''];
  return Number(match[1]) * scale * unit;
}

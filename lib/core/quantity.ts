// Kubernetes quantities (`500m`, `0.5`, `64Mi`, `1e3`), parsed once for the prop checks and
// the rules on produced objects.

const SUFFIX_SCALE: Readonly<Record<string, number>> = {
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

const QUANTITY = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * The value of a Kubernetes quantity (a string such as `50m` or `64Mi`, or a number),
 * multiplied by `unit` (1000 for millicores); undefined when it is no quantity.
 * @internal
 */
export function parseQuantity(written: string | number, unit = 1): number | undefined {
  const match = QUANTITY.exec(String(written));
  if (!match) return undefined;
  const scale = match[2] !== undefined ? 10 ** Number(match[2]) : SUFFIX_SCALE[match[3] ?? ''];
  return Number(match[1]) * scale * unit;
}

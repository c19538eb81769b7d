// Lone UTF-16 surrogates, once: a string holding one has no UTF-8 form, so no process, YAML
// or JSON file receives it as written (it becomes U+FFFD, or the file is refused).

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The index of the first lone surrogate (a UTF-16 half that is not part of a pair) in
 * `text`, or -1.
 * @internal
 */
export function loneSurrogateIndex(text: string): number {
  return LONE_SURROGATE.exec(text)?.index ?? -1;
}

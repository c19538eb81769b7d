// Reading free-form manifest JSON without trusting its shape.

/** A JSON object. */
export type Obj = Record<string, unknown>;
/** Whether `v` is a JSON object. */
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
/** `v` when it is a JSON object, else undefined. */
export const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
/** `v` when it is an array, else empty. */
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** `v` when it is a string, else empty. */
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

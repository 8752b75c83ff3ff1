/**
 * A tiny runtime schema checker for messages crossing into the background. Small on purpose:
 * every rule is visible here, it has no dependencies, and it rejects unknown keys so a page
 * (or a confused content script) cannot smuggle fields into the database.
 */

export class SchemaError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path || '(root)'}: ${message}`);
    this.name = 'SchemaError';
  }
}

export type Schema<T> = (value: unknown, path: string) => T;
export type Infer<S> = S extends Schema<infer T> ? T : never;

export const str =
  (opts: { max?: number; min?: number; pattern?: RegExp } = {}): Schema<string> =>
  (v, p) => {
    if (typeof v !== 'string') throw new SchemaError(p, 'expected a string');
    if (opts.max !== undefined && v.length > opts.max) throw new SchemaError(p, `longer than ${opts.max}`);
    if (opts.min !== undefined && v.length < opts.min) throw new SchemaError(p, `shorter than ${opts.min}`);
    if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(p, 'has an unexpected form');
    return v;
  };

export const int =
  (opts: { min?: number; max?: number } = {}): Schema<number> =>
  (v, p) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new SchemaError(p, 'expected an integer');
    if (opts.min !== undefined && v < opts.min) throw new SchemaError(p, `below ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) throw new SchemaError(p, `above ${opts.max}`);
    return v;
  };

export const bool: Schema<boolean> = (v, p) => {
  if (typeof v !== 'boolean') throw new SchemaError(p, 'expected a boolean');
  return v;
};

export const literal =
  <T extends string | number | boolean>(...allowed: T[]): Schema<T> =>
  (v, p) => {
    if (!allowed.includes(v as T)) throw new SchemaError(p, `expected one of ${allowed.join(', ')}`);
    return v as T;
  };

export const nullable =
  <T>(inner: Schema<T>): Schema<T | null> =>
  (v, p) =>
    v === null ? null : inner(v, p);

/** A key that may be left out (never sent as null): absent, or a value `inner` accepts. */
export const absentOr =
  <T>(inner: Schema<T>): Schema<T | undefined> =>
  (v, p) =>
    v === undefined ? undefined : inner(v, p);

export const arr =
  <T>(item: Schema<T>, opts: { max: number }): Schema<T[]> =>
  (v, p) => {
    if (!Array.isArray(v)) throw new SchemaError(p, 'expected an array');
    if (v.length > opts.max) throw new SchemaError(p, `more than ${opts.max} items`);
    return v.map((x, i) => item(x, `${p}[${i}]`));
  };

type Shape = Record<string, Schema<unknown>>;
type FromShape<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/** An object with exactly these keys: missing or unknown keys are refused (except keys allowed to be absent, absentOr). */
export const obj =
  <S extends Shape>(shape: S): Schema<FromShape<S>> =>
  (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(p, 'expected an object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (!(key in shape)) throw new SchemaError(p, `unexpected key "${key}"`);
    }
    for (const [key, schema] of Object.entries(shape)) {
      const value = schema((v as Record<string, unknown>)[key], p ? `${p}.${key}` : key);
      // A key left out (absentOr) stays out: no `key: undefined` reaches the database.
      if (value !== undefined) out[key] = value;
    }
    return out as FromShape<S>;
  };

export function parse<T>(schema: Schema<T>, value: unknown): T {
  return schema(value, '');
}

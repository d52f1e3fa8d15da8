/**
 * The few building blocks client/wireSchemas.ts is made of: the protocol's zod schemas (shared/),
 * compiled by scripts/wireSchemas.ts into plain functions, so a page checks every server message
 * without carrying zod (about a quarter of the client bundle). Each block follows zod/mini's rules
 * for its type: unknown keys are dropped, an absent optional key stays absent, every check runs,
 * issues carry zod's code, path and message, and `safeParse` answers like zod's.
 */

/** One reason a value was refused: zod's issue code, where, and zod/mini's message. */
export interface WireIssue {
  readonly code: string;
  readonly path: PropertyKey[];
  readonly message: string;
}

/** What `safeParse` returns, shaped like zod's result. */
export type WireParseResult<T> =
  | { readonly success: true; readonly data: T; readonly error?: never }
  | { readonly success: false; readonly data?: never; readonly error: { readonly issues: WireIssue[]; readonly message: string } };

/** A compiled wire schema: parses an unknown value into a fresh `T`, or says why it cannot. */
export interface WireSchema<T> {
  safeParse(input: unknown): WireParseResult<T>;
}

/** Parses `input`, adding an issue for each problem; returns the output value (meaningless once an issue was added). */
export type Parse = ((input: unknown, issues: WireIssue[]) => unknown) & { optional?: true };

/** Bounds of a string's or an array's length. */
export interface LengthChecks {
  min?: number;
  max?: number;
}

/** Bounds of a number, as zod's `gt`/`gte` (`positive`, `nonnegative`) and `lt`/`lte` checks, and `int` for `z.int()`. */
export interface NumberChecks {
  int?: true;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

const fail = (issues: WireIssue[], code: string, message = 'Invalid input'): void => void issues.push({ code, path: [], message });

const isObject = (value: unknown): value is Record<PropertyKey, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** zod's test for a record: an object literal (or one without a prototype), not a class instance. */
const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (!isObject(value)) return false;
  const ctor = value.constructor;
  if (typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return isObject(proto) && Object.hasOwn(proto, 'isPrototypeOf');
};

/** Puts `key` in front of the path of every issue added since `start`. */
const prefix = (issues: WireIssue[], start: number, key: PropertyKey): void => {
  for (let i = start; i < issues.length; i++) issues[i]!.path.unshift(key);
};

/** Length bounds; zod checks them on anything with a `length`, even after the type was wrong. */
const checkLength = (input: unknown, issues: WireIssue[], min: number, max: number): void => {
  const length = (input as { length?: number } | null | undefined)?.length;
  if (length === undefined) return;
  if (length < min) fail(issues, 'too_small');
  if (length > max) fail(issues, 'too_big');
};

/** Wraps a compiled schema in zod's `safeParse`. */
export const toSchema = <T>(parse: Parse): WireSchema<T> => ({
  safeParse(input) {
    const issues: WireIssue[] = [];
    const data = parse(input, issues);
    return issues.length === 0
      ? { success: true, data: data as T }
      : { success: false, error: { issues, message: JSON.stringify(issues, null, 2) } };
  },
});

/** `z.string()` with length checks and, for `RoomNameSchema`, a refinement and its message. */
export const string =
  ({ min = 0, max = Infinity }: LengthChecks = {}, refine?: (value: string) => boolean, message?: string): Parse =>
  (input, issues) => {
    const isString = typeof input === 'string';
    if (!isString) fail(issues, 'invalid_type');
    checkLength(input, issues, min, max);
    // unlike the length checks, a refinement runs only on a string
    if (isString && refine && !refine(input)) fail(issues, 'custom', message);
    return input;
  };

/** `z.number()` (finite) or `z.int()` (a safe integer), with bounds. */
export const number =
  ({ int, gt = -Infinity, gte = -Infinity, lt = Infinity, lte = Infinity }: NumberChecks = {}): Parse =>
  (input, issues) => {
    if (typeof input !== 'number' || !Number.isFinite(input)) return fail(issues, 'invalid_type');
    if (int) {
      // zod stops at a fraction but goes on checking an integer outside the safe range
      if (!Number.isInteger(input)) return fail(issues, 'invalid_type');
      if (!Number.isSafeInteger(input)) fail(issues, input > 0 ? 'too_big' : 'too_small');
    }
    if (!(input > gt && input >= gte)) fail(issues, 'too_small');
    if (!(input < lt && input <= lte)) fail(issues, 'too_big');
    return input;
  };

/** `z.boolean()`. */
export const boolean: Parse = (input, issues) => (typeof input === 'boolean' ? input : fail(issues, 'invalid_type'));

/** `z.unknown()`. */
export const unknown: Parse = (input) => input;

/** `z.enum()` and `z.literal()`: one of these values. */
export const oneOf = (values: readonly unknown[]): Parse => {
  const allowed = new Set(values);
  return (input, issues) => (allowed.has(input) ? input : fail(issues, 'invalid_value'));
};

/** `z.optional()`: undefined, or the inner schema; an object leaves the key out when it is absent. */
export const optional = (inner: Parse): Parse => Object.assign((input: unknown, issues: WireIssue[]) => (input === undefined ? input : inner(input, issues)), { optional: true as const });

/** `z.object()`: a new object with the shape's keys only, in the shape's order. */
export const object =
  (shape: Record<string, Parse>): Parse =>
  (input, issues) => {
    if (!isObject(input)) return fail(issues, 'invalid_type');
    const output: Record<string, unknown> = {};
    for (const key in shape) {
      const field = shape[key]!;
      const present = key in input;
      if (!present && field.optional) continue;
      const start = issues.length;
      const value = field(input[key], issues);
      // a required key that is absent fails even when its schema takes undefined (zod's "nonoptional")
      if (!present && issues.length === start) fail(issues, 'invalid_type');
      prefix(issues, start, key);
      if (present) output[key] = value;
    }
    return output;
  };

/** `z.array()`, with an optional cap on its length (checked before the items, as zod does). */
export const array =
  (item: Parse, { max = Infinity }: Pick<LengthChecks, 'max'> = {}): Parse =>
  (input, issues) => {
    if (!Array.isArray(input)) {
      fail(issues, 'invalid_type');
      return checkLength(input, issues, 0, max);
    }
    if (input.length > max) return fail(issues, 'too_big');
    return input.map((value, index) => {
      const start = issues.length;
      const output = item(value, issues);
      prefix(issues, start, index);
      return output;
    });
  };

/** `z.record(z.string(), value)`: a plain object's own enumerable keys, each value parsed. */
export const record =
  (value: Parse): Parse =>
  (input, issues) => {
    if (!isPlainObject(input)) return fail(issues, 'invalid_type');
    const output: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      // a key JSON.parse made an own property: copying it would replace the output's prototype
      if (key === '__proto__') continue;
      const start = issues.length;
      output[key] = value(input[key], issues);
      prefix(issues, start, key);
    }
    return output;
  };

/** `z.union()`: the first option that takes the value. */
export const union =
  (options: readonly Parse[]): Parse =>
  (input, issues) => {
    for (const option of options) {
      const tried: WireIssue[] = [];
      const output = option(input, tried);
      if (tried.length === 0) return output;
    }
    return fail(issues, 'invalid_union');
  };

/** `z.discriminatedUnion()`: the option whose `key` holds the value's `key`, given as [value, option] pairs. */
export const discriminatedUnion = (key: string, options: ReadonlyArray<readonly [unknown, Parse]>): Parse => {
  const byValue = new Map(options);
  return (input, issues) => {
    if (!isObject(input)) return fail(issues, 'invalid_type');
    const option = byValue.get(input[key]);
    if (option) return option(input, issues);
    fail(issues, 'invalid_union');
    issues[issues.length - 1]!.path.push(key);
  };
};

/**
 * `npm run wire-schemas`: writes client/wireSchemas.ts, the zod schemas of what the
 * server sends (shared/), compiled into client/wireParser.ts's small functions so the browser
 * client validates every message without bundling zod. Run it after changing one of those
 * schemas; test/client/wireSchemas.test.ts fails until the file matches them again. A schema
 * using something wireParser.ts does not model makes this script throw rather than guess.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as shared from '../shared/index.js';
import { isValidRoomName } from '../shared/rooms.js';

/** The schemas the client parses server messages with; each `XSchema` is typed with shared's `X`. */
export const WIRE_SCHEMA_NAMES = [
  'HelloSchema',
  'StatusEventSchema',
  'RevokedSchema',
  'ResyncNoticeSchema',
  'WireErrorSchema',
  'SubscribeAckSchema',
  'UnsubscribeAckSchema',
  'ReplayAckSchema',
  'RefreshAckSchema',
  'HeartbeatAckSchema',
] as const satisfies ReadonlyArray<keyof typeof shared>;

/** Refinements the compiled schemas may call, by the module that exports them (relative to client/). */
const REFINEMENTS = new Map<unknown, { name: string; from: string }>([[isValidRoomName, { name: 'isValidRoomName', from: '../shared/rooms.js' }]]);

const REFINEMENT_NAMES = [...REFINEMENTS.values()].map(({ name }) => name);

const PARSER_IMPORTS = ['array', 'boolean', 'discriminatedUnion', 'number', 'object', 'oneOf', 'optional', 'record', 'string', 'toSchema', 'union', 'unknown'];

interface ZodDef {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  [key: string]: unknown;
}
interface CheckDef {
  check: string;
  [key: string]: unknown;
}
interface ZodLike {
  _zod: { def: ZodDef; values?: Set<unknown> };
}

/** A value as TypeScript source: strings single-quoted, arrays on one line. */
const literal = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(literal).join(', ')}]`
    : typeof value === 'string'
      ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
      : String(value);

const isZod = (value: unknown): value is ZodLike => typeof value === 'object' && value !== null && '_zod' in value;

/** Renders client/wireSchemas.ts from the schemas in shared/ as they are now. */
export function renderWireSchemas(): string {
  const names = new Map<ZodLike, string>();
  for (const [name, value] of Object.entries(shared)) if (isZod(value) && !names.has(value)) names.set(value, name);
  const declarations: string[] = [];
  const declared = new Set<ZodLike>();
  const refinements = new Map<string, string>();

  const local = (schema: ZodLike): string => {
    const name = names.get(schema)!.replace(/Schema$/, '');
    const variable = name[0]!.toLowerCase() + name.slice(1);
    if (PARSER_IMPORTS.includes(variable) || REFINEMENT_NAMES.includes(variable)) throw new Error(`scripts/wireSchemas.ts: ${name}Schema would shadow ${variable}`);
    return variable;
  };
  const declare = (schema: ZodLike): string => {
    if (!declared.has(schema)) {
      declared.add(schema);
      const body = render(schema, '', true);
      declarations.push(`const ${local(schema)} = ${body};`);
    }
    return local(schema);
  };

  /** The parser expression for `schema`; shared's named schemas become one `const` each. */
  function render(schema: ZodLike, indent: string, top = false): string {
    if (!top && names.has(schema)) return declare(schema);
    const def = schema._zod.def;
    const checks = (def.checks ?? []).map((check) => check._zod.def);
    const where = names.get(schema) ?? `a ${def.type} schema`;
    const unsupported = (what: string) => new Error(`scripts/wireSchemas.ts: ${where} uses ${what}, which client/wireParser.ts does not model`);
    const lengths = (allowed: string[]) => {
      const bounds: string[] = [];
      let refine = '';
      for (const check of checks) {
        if (check.check === 'min_length' && allowed.includes('min')) bounds.push(`min: ${String(check.minimum)}`);
        else if (check.check === 'max_length' && allowed.includes('max')) bounds.push(`max: ${String(check.maximum)}`);
        else if (check.check === 'custom' && allowed.includes('refine') && !refine && REFINEMENTS.has(check.fn)) {
          const { name, from } = REFINEMENTS.get(check.fn)!;
          refinements.set(name, from);
          const message = typeof check.error === 'function' ? (check.error as (issue: object) => unknown)({}) : undefined;
          if (typeof message !== 'string') throw unsupported('a refinement without a message');
          refine = `, ${name}, ${literal(message)}`;
        } else throw unsupported(`the check ${check.check}`);
      }
      return { bounds: bounds.length ? `{ ${bounds.join(', ')} }` : '', refine };
    };
    const inner = indent + '  ';
    switch (def.type) {
      case 'string': {
        const { bounds, refine } = lengths(['min', 'max', 'refine']);
        return `string(${refine ? bounds || '{}' : bounds}${refine})`;
      }
      case 'number': {
        const bounds: string[] = [];
        if (def.check === 'number_format') {
          if (def.format !== 'safeint') throw unsupported(`the number format ${String(def.format)}`);
          bounds.push('int: true');
        }
        for (const check of checks) {
          if (check.check === 'greater_than') bounds.push(`${check.inclusive ? 'gte' : 'gt'}: ${String(check.value)}`);
          else if (check.check === 'less_than') bounds.push(`${check.inclusive ? 'lte' : 'lt'}: ${String(check.value)}`);
          else throw unsupported(`the check ${check.check}`);
        }
        return `number(${bounds.length ? `{ ${bounds.join(', ')} }` : ''})`;
      }
      case 'boolean':
      case 'unknown':
        if (checks.length) throw unsupported('checks');
        return def.type;
      case 'enum':
      case 'literal':
        if (checks.length) throw unsupported('checks');
        return `oneOf(${literal([...schema._zod.values!])})`;
      case 'optional':
        return `optional(${render(def.innerType as ZodLike, indent)})`;
      case 'object': {
        if (checks.length || def.catchall) throw unsupported('checks or a catchall');
        const shape = Object.entries(def.shape as Record<string, ZodLike>);
        return `object({\n${shape.map(([key, field]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(key) ? key : literal(key)}: ${render(field, inner)},\n`).join('')}${indent}})`;
      }
      case 'array': {
        const { bounds } = lengths(['max']);
        return `array(${render(def.element as ZodLike, indent)}${bounds ? `, ${bounds}` : ''})`;
      }
      case 'record': {
        const key = def.keyType as ZodLike;
        if (checks.length || key._zod.def.type !== 'string' || key._zod.def.checks?.length || def.mode) throw unsupported('a record keyed by anything but z.string()');
        return `record(${render(def.valueType as ZodLike, indent)})`;
      }
      case 'union': {
        if (checks.length || def.inclusive === true) throw unsupported('checks or z.xor');
        const options = def.options as ZodLike[];
        if (typeof def.discriminator !== 'string') return `union([${options.map((option) => render(option, indent)).join(', ')}])`;
        if (def.unionFallback) throw unsupported('unionFallback');
        const key = def.discriminator;
        const pairs = options.flatMap((option) => {
          const tag = option._zod.def.type === 'object' ? (option._zod.def.shape as Record<string, ZodLike>)[key] : undefined;
          if (!tag || tag._zod.def.type !== 'literal') throw unsupported('a discriminator that is not a literal');
          const parser = render(option, inner);
          return [...tag._zod.values!].map((value) => `${inner}[${literal(value)}, ${parser}],\n`);
        });
        return `discriminatedUnion(${literal(key)}, [\n${pairs.join('')}${indent}])`;
      }
      default:
        throw unsupported(`z.${def.type}()`);
    }
  }

  const exports = WIRE_SCHEMA_NAMES.map((name) => {
    const type = name.replace(/Schema$/, '');
    return `/** {@link ${type}}, as zod's \`${name}\` in shared/ parses it. */\nexport const ${name}: WireSchema<${type}> = toSchema(${declare(shared[name] as unknown as ZodLike)});`;
  });
  const types = WIRE_SCHEMA_NAMES.map((name) => name.replace(/Schema$/, '')).sort();
  const used = PARSER_IMPORTS.filter((name) => declarations.some((line) => new RegExp(`\\b${name}\\b`).test(line)) || name === 'toSchema');
  return [
    '/*',
    ' * Generated by `npm run wire-schemas` from the zod schemas in shared/: do not edit.',
    ' * What the browser client parses server messages with (zod stays out of its bundle);',
    ' * test/client/wireSchemas.test.ts fails when this file falls behind shared/.',
    ' */',
    `import type { ${types.join(', ')} } from '../shared/index.js';`,
    ...[...refinements].map(([name, from]) => `import { ${name} } from '${from}';`),
    `import { ${used.join(', ')} } from './wireParser.js';`,
    `import type { WireSchema } from './wireParser.js';`,
    '',
    ...declarations,
    '',
    ...exports,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'wireSchemas.ts');
  writeFileSync(file, renderWireSchemas());
  console.log(`wrote ${file}`);
}

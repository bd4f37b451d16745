// Request validation with zod, the one way every service checks what a client sent: a failed parse
// is a 400 DomainError naming every bad field and why. Controllers take validated arguments with
// ValidBody / ValidQuery / ValidParam; parseInput is there for schemas built at run time (from
// configuration) and for values put together from several parts of a request.
import { Body, Param, Query, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from '@mercato/config';
import { invalidInput } from './domain-error';

/**
 * The field of a zod issue: `a.b[2]`, under `at` when `at` is a field name (a path parameter),
 * or `at` itself (`(body)`, `(query)`) when the issue is about the whole value.
 */
function fieldOf(path: readonly PropertyKey[], at: string): string {
  let field = at.startsWith('(') ? '' : at;
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field === '' ? at : field;
}

/**
 * Parses `value` with `schema`, or throws a 400 listing every problem. `at` is where the value came
 * from: a field name (`'name'`, `'userId'`), or `(body)` / `(query)` for a whole body or query.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, at = '(body)'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidInput(
    result.error.issues.map((issue) => ({ field: fieldOf(issue.path, at), reason: issue.message })),
  );
}

/** A Nest pipe that parses its argument with a zod schema (see ValidBody, ValidQuery, ValidParam). */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const at =
      metadata.type === 'param' && metadata.data
        ? metadata.data
        : metadata.type === 'query'
          ? metadata.data || '(query)'
          : '(body)';
    return parseInput(this.schema, value, at);
  }
}

/** The request body, parsed with `schema`. */
export const ValidBody = (schema: z.ZodType): ParameterDecorator => Body(new ZodValidationPipe(schema));

/** The query string (or one parameter of it), parsed with `schema`. */
export const ValidQuery = (schema: z.ZodType, name?: string): ParameterDecorator =>
  name === undefined ? Query(new ZodValidationPipe(schema)) : Query(name, new ZodValidationPipe(schema));

/** A path parameter, parsed with `schema`; problems name the parameter. */
export const ValidParam = (name: string, schema: z.ZodType): ParameterDecorator =>
  Param(name, new ZodValidationPipe(schema));

// Request validation with zod: a bad request is a 400 naming each field and the reason.
import { BadRequestException } from '@nestjs/common';
import type { z } from '@mercato/config';

function fieldOf(path: readonly PropertyKey[]): string {
  let field = '';
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field === '' ? 'body' : field;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BadRequestException({
    statusCode: 400,
    message: 'invalid request',
    errors: result.error.issues.map((issue) => ({ field: fieldOf(issue.path), reason: issue.message })),
  });
}

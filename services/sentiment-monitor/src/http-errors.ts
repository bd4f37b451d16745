// Request validation for the HTTP API: a zod parse that fails with 400
// `{ message, errors: [{ field, reason }] }`, naming every bad field so a client can fix the request
// without reading server logs.
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { z } from '@mercato/config';

function fieldOf(path: readonly PropertyKey[], prefix?: string): string {
  let field = prefix ?? '';
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field === '' ? '(body)' : field;
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new BadRequestException({
    message: 'invalid request',
    errors: result.error.issues.map((issue) => ({
      field: fieldOf(issue.path, prefix),
      reason: issue.message,
    })),
  });
}

export const notFound = (message: string): NotFoundException => new NotFoundException({ message });

// The registry's error bodies: every 4xx names the field and the reason, so a client (or a data
// scientist at a terminal) can fix the request without reading server logs.
import {
  BadRequestException,
  ConflictException,
  InternalServerErrorException,
  NotFoundException,
} from '@nestjs/common';
import type { z } from '@mercato/config';
import type { FieldIssue } from './artifact-bundle';

export type { FieldIssue };

function fieldOf(path: readonly PropertyKey[], prefix?: string): string {
  let field = prefix ?? '';
  for (const key of path) {
    if (typeof key === 'number') field += `[${key}]`;
    else field += field === '' ? String(key) : `.${String(key)}`;
  }
  return field === '' ? 'body' : field;
}

export function invalidRequest(issues: FieldIssue[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'invalid_request',
    message: issues.map((i) => `${i.field}: ${i.reason}`).join('; '),
    issues,
  });
}

/** Parses input with a zod schema, or throws a 400 listing every problem with its field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidRequest(
    result.error.issues.map((issue) => ({ field: fieldOf(issue.path, prefix), reason: issue.message })),
  );
}

export const notFound = (message: string): NotFoundException =>
  new NotFoundException({ statusCode: 404, error: 'not_found', message });

export const conflict = (error: string, message: string, details: object = {}): ConflictException =>
  new ConflictException({ statusCode: 409, error, message, ...details });

export const corrupted = (message: string): InternalServerErrorException =>
  new InternalServerErrorException({ statusCode: 500, error: 'artifact_corrupted', message });

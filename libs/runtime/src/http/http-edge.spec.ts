import { z } from '@mercato/config';
import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { conflict, DomainError, notFound, unavailable } from './domain-error';
import { errorAnswerOf } from './http-error.filter';
import { parseInput, ZodValidationPipe } from './validation';

const Body = z.strictObject({ name: z.string().min(1), tags: z.array(z.string()) });

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('the HTTP edge', () => {
  it('names every bad field, under a path parameter or the whole body or query', () => {
    const err = refusal(() => parseInput(Body, { name: '', tags: ['a', 2], extra: 1 }));
    expect(err.status).toBe(400);
    expect(err.body()).toEqual({
      statusCode: 400,
      error: 'invalid_request',
      message: 'invalid request',
      errors: [
        { field: 'name', reason: expect.any(String) },
        { field: 'tags[1]', reason: expect.any(String) },
        { field: '(body)', reason: expect.stringContaining('extra') },
      ],
    });
    expect(refusal(() => parseInput(z.string().regex(/^a$/), 'b', 'name')).errors).toEqual([
      { field: 'name', reason: expect.any(String) },
    ]);
    const pipe = new ZodValidationPipe(z.strictObject({ k: z.coerce.number() }));
    expect(pipe.transform({ k: '3' }, { type: 'query' })).toEqual({ k: 3 });
    expect(refusal(() => pipe.transform({ j: '1' }, { type: 'query' })).errors.map((e) => e.field)).toEqual([
      'k',
      '(query)',
    ]);
    expect(refusal(() => pipe.transform({}, { type: 'param', data: 'id' })).errors[0]?.field).toBe('id.k');
  });

  it('gives domain errors and Nest’s own exceptions one body', () => {
    expect(errorAnswerOf(notFound('model "x" does not exist'))).toEqual({
      status: 404,
      body: {
        statusCode: 404,
        error: 'not_found',
        message: 'model "x" does not exist',
        errors: [{ field: '(request)', reason: 'model "x" does not exist' }],
      },
    });
    expect(
      errorAnswerOf(conflict('version_in_use', 'held', { aliases: ['production'] }))?.body,
    ).toMatchObject({
      statusCode: 409,
      error: 'version_in_use',
      aliases: ['production'],
    });
    expect(errorAnswerOf(unavailable('try again'))?.body).toMatchObject({ statusCode: 503, retryable: true });
    expect(errorAnswerOf(new NotFoundException('Cannot GET /nope'))?.body).toEqual({
      statusCode: 404,
      error: 'not_found',
      message: 'Cannot GET /nope',
      errors: [{ field: '(request)', reason: 'Cannot GET /nope' }],
    });
    const tooLarge = new HttpException('too large', 413, { cause: { code: 'FST_ERR_CTP_BODY_TOO_LARGE' } });
    expect(errorAnswerOf(tooLarge, { bodyLimit: 10, bodyLimitVariable: 'MAX' })?.body).toEqual({
      statusCode: 413,
      error: 'body_too_large',
      message: '(body): the request body is larger than 10 bytes (MAX)',
      errors: [{ field: '(body)', reason: 'the request body is larger than 10 bytes (MAX)' }],
      limit: 10,
    });
    const shaped = { statusCode: 401, error: 'unauthorized', message: 'm', errors: [], reason: 'missing' };
    expect(errorAnswerOf(new BadRequestException(shaped))?.body).toBe(shaped);
    expect(errorAnswerOf(new Error('boom'))).toBeUndefined();
  });
});

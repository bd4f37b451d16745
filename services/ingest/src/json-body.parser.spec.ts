import { DomainError } from '@mercato/runtime';
import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8Offset, parseJsonBody } from './json-body.parser';

function failure(fn: () => unknown): { status: number; body: any } {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { status: err.status, body: err.body() };
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('strict UTF-8 JSON bodies', () => {
  it('parses UTF-8 JSON, with or without a charset parameter or BOM', () => {
    const bytes = Buffer.from('{"headline":"Zürich €"}', 'utf8');
    expect(parseJsonBody('application/json', bytes)).toEqual({ headline: 'Zürich €' });
    expect(parseJsonBody('application/json; charset=UTF-8', bytes)).toEqual({ headline: 'Zürich €' });
    expect(
      parseJsonBody('application/json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])),
    ).toEqual({
      headline: 'Zürich €',
    });
  });

  it('refuses invalid UTF-8 with the offending byte and offset instead of substituting U+FFFD', () => {
    const latin1 = Buffer.from('{"headline":"Z\xfcrich"}', 'latin1');
    const { status, body } = failure(() => parseJsonBody('application/json', latin1));
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_encoding');
    expect(body.errors[0].reason).toBe('the body is not valid UTF-8: invalid byte 0xfc at offset 14');
  });

  it('refuses other charsets with 415, malformed and empty JSON with 400', () => {
    expect(failure(() => parseJsonBody('application/json; charset=latin1', Buffer.from('{}'))).status).toBe(
      415,
    );
    const malformed = failure(() => parseJsonBody('application/json', Buffer.from('{"articles": [')));
    expect(malformed).toMatchObject({ status: 400, body: { error: 'malformed_json' } });
    expect(malformed.body.errors[0].reason).toMatch(/^not valid JSON: /);
    expect(failure(() => parseJsonBody('application/json', Buffer.alloc(0))).body.errors[0].reason).toBe(
      'the body is empty',
    );
  });

  it('finds the first invalid UTF-8 sequence', () => {
    expect(firstInvalidUtf8Offset(Buffer.from('plain ascii and ünïcödé 😀'))).toBe(-1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0xc0, 0xaf]))).toBe(1); // overlong "/"
    expect(firstInvalidUtf8Offset(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2); // encoded surrogate
    expect(firstInvalidUtf8Offset(Buffer.from([0xe2, 0x82]))).toBe(0); // truncated
    expect(firstInvalidUtf8Offset(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // past U+10FFFF
    expect(firstInvalidUtf8Offset(Buffer.from([0x80]))).toBe(0); // stray continuation byte
  });
});

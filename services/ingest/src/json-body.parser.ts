// Request bodies for the whole ingest app: JSON in strict UTF-8 only. Fastify's own JSON parser
// decodes leniently (invalid bytes silently become U+FFFD, corrupting the text we publish), so it is
// replaced on the Fastify instance before the server listens; every other content type is a 415.
// A body over the byte limit is answered 413 only once the client has finished sending it (read and
// discarded, for a bounded time): answering and closing at once makes the kernel reset the connection
// over the unread bytes, and most clients then lose the 413 and see a broken pipe instead.
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { invalidEncoding, malformedJson, unsupportedMediaType } from './http-errors';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Longest wait for the rest of an oversized body before the 413 is sent anyway. */
const LINGER_MS = 10_000;

/** Discards the rest of a request body; resolves when it has all arrived, or after maxMs. */
function drain(raw: IncomingMessage, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, maxMs);
    raw.once('end', done).once('close', done).once('error', done);
    raw.resume();
  });
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** The `charset` parameter of a content type, lower-cased, if any. */
function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

/** Decodes and parses a JSON request body, refusing anything that is not well-formed UTF-8 JSON. */
export function parseJsonBody(contentType: string | undefined, bytes: Buffer): unknown {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw unsupportedMediaType(contentType);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8Offset(bytes);
    throw invalidEncoding(
      `the body is not valid UTF-8: invalid byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}`,
    );
  }
  if (text.trim() === '') throw malformedJson('the body is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw malformedJson(`not valid JSON: ${(err as Error).message}`);
  }
}

@Injectable()
export class JsonBodyParser implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: this.settings.maxRequestBytes },
      (request, body, done) => {
        try {
          done(null, parseJsonBody(request.headers['content-type'], body as Buffer));
        } catch (err) {
          done(err as Error, undefined);
        }
      },
    );
    fastify.addContentTypeParser('*', (request, _payload, done) => {
      done(unsupportedMediaType(request.headers['content-type']), undefined);
    });
    fastify.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode === 413 && !request.raw.complete) await drain(request.raw, LINGER_MS);
      return payload;
    });
  }
}

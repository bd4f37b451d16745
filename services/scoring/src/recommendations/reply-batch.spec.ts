import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ReplyBatch } from './reply-batch';

/** A reply that records what it was sent, or fails to send. */
function fakeReply(sent: string[], name: string, fails = false): FastifyReply {
  const reply = {
    header: (key: string, value: string) => {
      expect([key, value]).toEqual(['content-type', 'application/json']);
      return reply;
    },
    send: (body: Buffer) => {
      if (fails) throw new Error(`${name} failed`);
      sent.push(`${name}:${body.toString()}`);
      return reply;
    },
  };
  return reply as unknown as FastifyReply;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReplyBatch', () => {
  it('holds replies until the turn ends, then sends all of them in order', async () => {
    const sent: string[] = [];
    const errors: unknown[] = [];
    const batch = new ReplyBatch('application/json', (err) => errors.push(err));
    batch.send(fakeReply(sent, 'a'), Buffer.from('1'));
    batch.send(fakeReply(sent, 'b', true), Buffer.from('2'));
    batch.send(fakeReply(sent, 'c'), Buffer.from('3'));
    expect(sent).toEqual([]);
    await nextTurn();
    // One failing reply is reported and does not keep the others from being sent.
    expect(sent).toEqual(['a:1', 'c:3']);
    expect(errors).toEqual([new Error('b failed')]);
    batch.send(fakeReply(sent, 'd'), Buffer.from('4'));
    await nextTurn();
    expect(sent).toEqual(['a:1', 'c:3', 'd:4']);
  });
});

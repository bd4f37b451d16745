import { describe, expect, it } from 'vitest';
import { interactionLine, itemLine, ndjson } from './dataset-lines';

describe('dataset lines', () => {
  it('writes the contract’s fields in order, the split from the row', () => {
    const row = {
      user_id: 'p1',
      item_id: 'i1',
      type: 'rating' as const,
      value: 4,
      occurred_at: new Date('2026-03-01T10:00:00.123Z'),
      train: false,
    };
    expect(interactionLine(row)).toBe(
      '{"user_id":"p1","item_id":"i1","type":"rating","value":4,"occurred_at":"2026-03-01T10:00:00.123Z","split":"test"}',
    );
    expect(JSON.parse(interactionLine({ ...row, train: true }))).toMatchObject({ split: 'train' });
    expect(
      JSON.parse(
        itemLine({
          item_id: 'i1',
          title: 'T',
          description: 'D',
          categories: ['a'],
          price: 9.5,
          available: true,
          updated_at: new Date('2026-03-01T00:00:00Z'),
        }),
      ),
    ).toEqual({
      item_id: 'i1',
      title: 'T',
      description: 'D',
      categories: ['a'],
      price: 9.5,
      available: true,
      updated_at: '2026-03-01T00:00:00.000Z',
    });
  });

  it('turns pages into newline-terminated chunks and counts rows', async () => {
    async function* pages(): AsyncGenerator<number[]> {
      yield [1, 2];
      yield [3];
    }
    const counts: number[] = [];
    const chunks: string[] = [];
    for await (const chunk of ndjson(
      pages(),
      (n) => JSON.stringify({ n }),
      (n) => counts.push(n),
    ))
      chunks.push(chunk);
    expect(chunks).toEqual(['{"n":1}\n{"n":2}\n', '{"n":3}\n']);
    expect(counts).toEqual([2, 1]);
  });
});

// The NDJSON lines of the dataset exports (the shapes are the shared contract with training).
import type {
  InteractionExportRow,
  ItemExportRow,
  SentimentFeedbackExportRow,
} from './dataset-export.repository';

export function interactionLine(r: InteractionExportRow): string {
  return JSON.stringify({
    user_id: r.user_id,
    item_id: r.item_id,
    type: r.type,
    value: r.value,
    occurred_at: r.occurred_at.toISOString(),
    split: r.train ? 'train' : 'test',
  });
}

export function itemLine(r: ItemExportRow): string {
  return JSON.stringify({
    item_id: r.item_id,
    title: r.title,
    description: r.description,
    categories: r.categories,
    price: r.price,
    available: r.available,
    updated_at: r.updated_at.toISOString(),
  });
}

export function sentimentFeedbackLine(r: SentimentFeedbackExportRow): string {
  return JSON.stringify({
    text: r.text,
    label: r.label,
    article_id: r.article_id,
    submitted_by: r.submitted_by,
    submitted_at: r.submitted_at.toISOString(),
    corrections: r.corrections,
  });
}

/** One chunk of text per page of rows: a line each, newline-terminated. */
export async function* ndjson<R>(
  pages: AsyncIterable<R[]>,
  line: (row: R) => string,
  onRows?: (n: number) => void,
): AsyncGenerator<string> {
  for await (const rows of pages) {
    let chunk = '';
    for (const row of rows) chunk += `${line(row)}\n`;
    onRows?.(rows.length);
    yield chunk;
  }
}

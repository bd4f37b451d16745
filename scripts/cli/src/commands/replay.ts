// `mercato replay news <file>`: streams a file of news into the ingest service's POST /v1/news at a
// chosen rate, in batches, with a progress line. CSV `text,label` and Financial PhraseBank files
// become articles (headline = text) with ids derived from the file's bytes and row, so replaying a
// file again is idempotent (ingest answers its articles as duplicates); JSON Lines files hold article
// objects as the API takes them. A batch is never dropped: 5xx, 429 and network errors are retried
// with backoff, a batch over ingest's limits is split, and only after --max-wait seconds of failing
// does the command stop, saying how far it got. `--json` prints the final counts.
import { cliAuthHeaders } from './keys';
import { parseLabelMap, readLabeledText, textFormatOf, type LabeledText, type TextFormat } from '@mercato/ml';
import type { Command } from 'commander';
import { encodingOption, formatOption, type TextDataOptions } from './text-data';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { createInterface } from 'node:readline';

export const DEFAULT_INGEST_URL = 'http://127.0.0.1:8081';

interface ReplayOptions extends TextDataOptions {
  rate?: number;
  batch: number;
  ingestUrl: string;
  labelMap?: string;
  source: string;
  maxWait: number;
  json?: boolean;
}

/** One line or row of the file: an article object, or why it could not be read. */
interface Entry {
  /** 1-based row (CSV, PhraseBank) or line (JSON Lines) number. */
  line: number;
  article?: Record<string, unknown>;
  /** Set for generated articles, whose published_at is stamped when they are sent. */
  generated?: boolean;
  problem?: string;
}

interface RecordResult {
  index: number;
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  errors?: { field: string; reason: string }[];
}

interface BatchAnswer {
  accepted: number;
  duplicate: number;
  rejected: number;
  results: RecordResult[];
}

export interface ReplayCounts {
  file: string;
  format: TextFormat;
  sent: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  seconds: number;
  perSecond: number;
}

const HEADLINE_MAX = 1000;
const SHOWN_REJECTIONS = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Headline = the text; text longer than a headline may be is cut there and kept whole as the body. */
export function articleFromText(text: string, id: string, source: string): Record<string, unknown> {
  const chars = [...text.trim()];
  if (chars.length <= HEADLINE_MAX) return { id, source, headline: chars.join('') };
  return { id, source, headline: `${chars.slice(0, HEADLINE_MAX - 1).join('')}…`, body: text };
}

async function* generatedEntries(file: string, rows: LabeledText[], source: string): AsyncGenerator<Entry> {
  const digest = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  const stem = basename(file, extname(file)).slice(0, 100);
  let line = 0;
  for (const row of rows) {
    line++;
    yield { line, generated: true, article: articleFromText(row.text, `${stem}-${digest}-${line}`, source) };
  }
}

async function* jsonlEntries(file: string): AsyncGenerator<Entry> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        yield { line, problem: 'expected a JSON object' };
      else yield { line, article: value as Record<string, unknown> };
    } catch (err) {
      yield { line, problem: `not valid JSON: ${(err as Error).message}` };
    }
  }
}

/** The file's entries, and how many there are when that is known up front. */
function openSource(
  file: string,
  format: TextFormat,
  opts: ReplayOptions,
): { entries: AsyncGenerator<Entry>; total?: number } {
  if (format === 'jsonl') return { entries: jsonlEntries(file) };
  // CSV and PhraseBank through the training readers (encoding detected unless --encoding says).
  const rows = readLabeledText(file, opts.labelMap ? parseLabelMap(opts.labelMap) : undefined, {
    format,
    encoding: opts.encoding,
  });
  return { entries: generatedEntries(file, rows, opts.source), total: rows.length };
}

async function* batches(entries: AsyncGenerator<Entry>, size: number): AsyncGenerator<Entry[]> {
  let batch: Entry[] = [];
  for await (const entry of entries) {
    batch.push(entry);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

class GiveUpError extends Error {}

/** Posts one batch until ingest has answered it: retries what may succeed later, splits what is too big. */
export class IngestSender {
  constructor(
    private readonly url: string,
    private readonly maxWaitMs: number,
    private readonly onRetry: (reason: string, attempt: number, delayMs: number) => void,
  ) {}

  async send(articles: Record<string, unknown>[]): Promise<BatchAnswer> {
    const firstFailure = { at: 0 };
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let body: unknown;
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(`${this.url}/v1/news`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...cliAuthHeaders() },
          body: JSON.stringify({ articles }),
        });
        status = res.status;
        const text = await res.text();
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
      } catch (err) {
        const { cause } = err as { cause?: { code?: string; message?: string } };
        await this.backoff(
          `cannot reach ingest at ${this.url} (${cause?.code ?? cause?.message ?? (err as Error).message})`,
          attempt,
          firstFailure,
        );
        continue;
      }
      if (status === 202) return body as BatchAnswer;
      const message = (body as { message?: string } | undefined)?.message ?? String(body).slice(0, 200);
      if (status === 413 && articles.length > 1) {
        const half = Math.ceil(articles.length / 2);
        const [a, b] = [await this.send(articles.slice(0, half)), await this.send(articles.slice(half))];
        return {
          accepted: a.accepted + b.accepted,
          duplicate: a.duplicate + b.duplicate,
          rejected: a.rejected + b.rejected,
          results: [...a.results, ...b.results.map((r) => ({ ...r, index: r.index + half }))],
        };
      }
      if (status === 413) {
        const id = typeof articles[0]?.id === 'string' ? articles[0].id : null;
        return {
          accepted: 0,
          duplicate: 0,
          rejected: 1,
          results: [{ index: 0, id, status: 'rejected', errors: [{ field: '(record)', reason: message }] }],
        };
      }
      if (status >= 500 || status === 429 || status === 408) {
        await this.backoff(`ingest answered ${status}: ${message}`, attempt, firstFailure, retryAfterMs);
        continue;
      }
      throw new Error(`ingest refused the batch (${status}): ${message}`);
    }
  }

  private async backoff(
    reason: string,
    attempt: number,
    first: { at: number },
    hintMs?: number,
  ): Promise<void> {
    const now = Date.now();
    if (first.at === 0) first.at = now;
    if (now - first.at > this.maxWaitMs)
      throw new GiveUpError(`${reason}; gave up after ${Math.round((now - first.at) / 1000)} s`);
    const delay =
      Math.min(10_000, hintMs ?? 250 * 2 ** Math.min(attempt - 1, 6)) * (0.75 + Math.random() * 0.5);
    this.onRetry(reason, attempt, delay);
    await sleep(delay);
  }
}

class Progress {
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly counts: ReplayCounts,
    private readonly total: number | undefined,
    private readonly started: number,
  ) {}

  line(): string {
    const c = this.counts;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(c.sent / seconds) : 0;
    const of = this.total === undefined ? '' : `/${this.total}`;
    return `replay: sent ${c.sent}${of}  accepted ${c.accepted}  duplicate ${c.duplicate}  rejected ${c.rejected}  ${rate}/s`;
  }

  draw(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.tty ? 200 : 5_000)) return;
    this.lastDraw = now;
    process.stderr.write(this.tty ? `\r${this.line()}\u001b[K` : `${this.line()}\n`);
  }

  /** A message on its own line, without garbling the progress line. */
  note(text: string): void {
    process.stderr.write(this.tty ? `\r\u001b[K${text}\n` : `${text}\n`);
    if (this.tty) this.draw(true);
  }

  finish(): void {
    this.draw(true);
    if (this.tty) process.stderr.write('\n');
  }
}

export async function replayNews(file: string, opts: ReplayOptions): Promise<ReplayCounts> {
  const format = opts.format ?? textFormatOf(file);
  const rate = opts.rate;
  // With a rate, at least one request a second, so the pace stays even.
  const batchSize = rate ? Math.max(1, Math.min(opts.batch, Math.floor(rate))) : opts.batch;
  const counts: ReplayCounts = {
    file,
    format,
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    seconds: 0,
    perSecond: 0,
  };
  const started = Date.now();
  const { entries, total } = openSource(file, format, opts);
  const progress = new Progress(counts, total, started);
  let shown = 0;
  const reject = (line: number, id: unknown, reasons: string): void => {
    counts.rejected++;
    if (shown++ < SHOWN_REJECTIONS)
      progress.note(
        `rejected: ${format === 'jsonl' ? 'line' : 'row'} ${line}${typeof id === 'string' ? ` (id ${id})` : ''}: ${reasons}`,
      );
    else if (shown === SHOWN_REJECTIONS + 1) progress.note('(further rejections are counted, not shown)');
  };
  const sender = new IngestSender(
    opts.ingestUrl.replace(/\/+$/, ''),
    opts.maxWait * 1000,
    (reason, attempt, delay) =>
      progress.note(`retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt}): ${reason}`),
  );
  let offered = 0;
  for await (const batch of batches(entries, batchSize)) {
    const sendable = batch.filter((e) => e.article !== undefined);
    for (const e of batch) if (e.problem !== undefined) reject(e.line, undefined, e.problem);
    if (sendable.length === 0) continue;
    if (rate) {
      const due = started + (offered / rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    offered += sendable.length;
    const now = Date.now();
    const articles = sendable.map((e, j) =>
      e.generated
        ? // Spread over the time the batch stands for at this rate, ending now (never in the future).
          {
            ...e.article,
            published_at: new Date(
              now - (rate ? ((sendable.length - 1 - j) / rate) * 1000 : 0),
            ).toISOString(),
          }
        : (e.article as Record<string, unknown>),
    );
    let answer: BatchAnswer;
    try {
      answer = await sender.send(articles);
    } catch (err) {
      progress.finish();
      const first = sendable[0] as Entry;
      const unit = format === 'jsonl' ? 'line' : 'row';
      throw new Error(
        `${(err as Error).message}. Delivered ${counts.sent} records; stopped at ${unit} ${first.line}. ` +
          'Replaying the file again is safe: records ingest already has are answered as duplicates.',
        { cause: err },
      );
    }
    counts.sent += sendable.length;
    counts.accepted += answer.accepted;
    counts.duplicate += answer.duplicate;
    for (const r of answer.results) {
      if (r.status !== 'rejected') continue;
      const entry = sendable[r.index];
      reject(entry?.line ?? 0, r.id, (r.errors ?? []).map((e) => `${e.field}: ${e.reason}`).join('; '));
    }
    progress.draw();
  }
  progress.finish();
  counts.seconds = Math.round((Date.now() - started) / 10) / 100;
  counts.perSecond = counts.seconds > 0 ? Math.round(counts.sent / counts.seconds) : counts.sent;
  return counts;
}

const positiveNumber =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} ${value}: expected a positive number`);
    return n;
  };

const positiveInt =
  (name: string) =>
  (value: string): number => {
    const n = positiveNumber(name)(value);
    if (!Number.isInteger(n)) throw new Error(`${name} ${value}: expected a whole number`);
    return n;
  };

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('stream files into the ingest service')
    .command('news <file>')
    .description(
      'replay news: CSV text,label or Financial PhraseBank (headline = text), or JSON Lines of articles',
    )
    .option(
      '--rate <per-second>',
      'records per second (default: as fast as ingest answers)',
      positiveNumber('--rate'),
    )
    .option('--batch <n>', 'records per request', positiveInt('--batch'), 100)
    .option(
      '--ingest-url <url>',
      'where ingest listens (INGEST_URL)',
      process.env.INGEST_URL ?? DEFAULT_INGEST_URL,
    )
    .option('--label-map <map>', 'CSV labels to classes, e.g. 0=negative,1=positive,2=neutral (TFNS)')
    .addOption(formatOption())
    .addOption(encodingOption('CSV and PhraseBank: '))
    .option('--source <name>', 'source of the generated articles (CSV, PhraseBank)', 'replay')
    .option(
      '--max-wait <seconds>',
      'stop when one batch cannot be delivered for this long',
      positiveNumber('--max-wait'),
      600,
    )
    .option('--json', 'print the final counts as JSON')
    .action(async (file: string, opts: ReplayOptions) => {
      const counts = await replayNews(file, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(counts, null, 2)}\n`);
      else
        process.stdout.write(
          `replayed ${counts.file}: ${counts.sent} sent, ${counts.accepted} accepted, ${counts.duplicate} duplicate, ` +
            `${counts.rejected} rejected in ${counts.seconds} s (${counts.perSecond}/s)\n`,
        );
    });
}

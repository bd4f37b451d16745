// Online outcomes of served recommendations. Every answer is remembered (user, the list, which
// stream ranked it, when) for RECS_OUTCOME_WINDOW_MS; an interaction by the same user on an item of
// the list within that window (read from interactions.raw.v1) makes the answer a hit (click, cart,
// purchase or rating; a view is not engagement) and, for a purchase, a purchase too. When its window
// has passed the answer is resolved into per-(tenant, stream, version) counts: the counts of the
// reporting window (cleared by each report) and the running totals the online promotion and
// rollback judge on. Streams: production/staging (what users were served), shadow (what the shadow
// version would have served on a mirrored request) and shadow_baseline (what production served on
// those same mirrored requests: the paired figure the shadow is compared with). Each report also
// gives coverage (share of the catalogue served) and popularity bias (mean popularity percentile of
// the served items, impression-weighted, where the catalogue's own mean is 0.5 by construction;
// popularity is the tenant's interaction count per item, halved at every report). Memory is bounded:
// beyond `maxPending` remembered answers the oldest is resolved early, as it stands. Pure logic, no I/O.

export const OUTCOME_STREAMS = ['production', 'staging', 'shadow', 'shadow_baseline'] as const;
export type OutcomeStream = (typeof OUTCOME_STREAMS)[number];

export type Engagement = 'view' | 'engaged' | 'purchase';

export interface OutcomeCounts {
  /** Answers whose window has passed. */
  answers: number;
  /** ...followed by an engagement with one of their items. */
  hits: number;
  /** ...followed by a purchase of one of their items. */
  purchases: number;
}

export interface OutcomeReport extends OutcomeCounts {
  tenantId: string;
  stream: OutcomeStream;
  version: number;
  /** Recommended items shown (answers × list length) in the reporting window, resolved or not. */
  impressions: number;
  /** Distinct served catalogue items / catalogue size; undefined without a catalogue. */
  coverage: number | undefined;
  /** Mean popularity percentile of the served items (0.5: as the catalogue); undefined without one. */
  popularityPercentile: number | undefined;
}

/** A served list: the ranked items as answered (the same array for a cached answer). */
export type ServedList = readonly { readonly itemId: string }[];

interface Pending {
  tenantId: string;
  stream: OutcomeStream;
  version: number;
  userKey: string;
  key: string;
  items: ServedList;
  at: number;
  hit: boolean;
  purchase: boolean;
  resolved: boolean;
}

interface Served {
  tenantId: string;
  stream: OutcomeStream;
  version: number;
  counts: OutcomeCounts;
  impressions: number;
  items: Map<string, number>;
}

const emptyCounts = (): OutcomeCounts => ({ answers: 0, hits: 0, purchases: 0 });
const keyOf = (tenantId: string, stream: OutcomeStream, version: number): string =>
  `${tenantId}\u0000${stream}\u0000${version}`;

/** A user's open answer of a stream's version (the tenant is in the user key). */
const openKeyOf = (userKey: string, stream: OutcomeStream, version: number): string =>
  `${userKey}\u0000${stream}\u0000${version}`;

export const rate = (c: OutcomeCounts): number => (c.answers === 0 ? 0 : c.hits / c.answers);

export class OutcomeTracker {
  private queue: Pending[] = [];
  private head = 0;
  private readonly byUser = new Map<string, Pending[]>();
  private readonly totals = new Map<string, OutcomeCounts>();
  private window = new Map<string, Served>();
  private readonly popularity = new Map<string, Map<string, number>>();
  /**
   * The open (unresolved) production/staging answers of each served list, as `openKey`s: whether the
   * user still has this very list open is one lookup, not a scan of the user's open answers (a heavy
   * user holds thousands within the window, and the scan was the largest cost of an uncached request).
   */
  private readonly openByList = new WeakMap<ServedList, Set<string>>();

  constructor(private readonly options: { windowMs: number; maxPending: number }) {}

  /**
   * An answer. A served answer that is the very list the user still has open (a cached answer asked
   * again) is not counted twice; shadow pairs always are, so both sides of a pair count alike.
   */
  served(
    tenantId: string,
    userId: string,
    stream: OutcomeStream,
    version: number,
    items: ServedList,
    now: number,
  ): void {
    if (items.length === 0) return;
    const userKey = `${tenantId}\u0000${userId}`;
    const key = keyOf(tenantId, stream, version);
    const paired = stream === 'shadow' || stream === 'shadow_baseline';
    if (!paired) {
      const openKey = openKeyOf(userKey, stream, version);
      let open = this.openByList.get(items);
      if (open?.has(openKey)) return;
      if (!open) this.openByList.set(items, (open = new Set()));
      open.add(openKey);
    }
    const open = this.byUser.get(userKey);
    const pending: Pending = {
      tenantId,
      stream,
      version,
      userKey,
      key,
      items,
      at: now,
      hit: false,
      purchase: false,
      resolved: false,
    };
    this.queue.push(pending);
    if (open) open.push(pending);
    else this.byUser.set(userKey, [pending]);
    let served = this.window.get(key);
    if (!served) {
      served = { tenantId, stream, version, counts: emptyCounts(), impressions: 0, items: new Map() };
      this.window.set(key, served);
    }
    served.impressions += items.length;
    for (const { itemId } of items) served.items.set(itemId, (served.items.get(itemId) ?? 0) + 1);
    if (this.queue.length - this.head > this.options.maxPending) this.resolveOne(this.queue[this.head++]);
  }

  /** An interaction read at `now`: a hit for the user's open answers that listed the item. */
  interaction(tenantId: string, userId: string, itemId: string, kind: Engagement, now: number): void {
    let counts = this.popularity.get(tenantId);
    if (!counts) this.popularity.set(tenantId, (counts = new Map<string, number>()));
    counts.set(itemId, (counts.get(itemId) ?? 0) + 1);
    if (kind === 'view') return;
    for (const p of this.byUser.get(`${tenantId}\u0000${userId}`) ?? []) {
      if (now - p.at > this.options.windowMs || !p.items.some((i) => i.itemId === itemId)) continue;
      p.hit = true;
      if (kind === 'purchase') p.purchase = true;
    }
  }

  /** Resolves every answer whose window has passed by `now`. */
  resolve(now: number): void {
    while (this.head < this.queue.length) {
      const p = this.queue[this.head] as Pending;
      if (now - p.at <= this.options.windowMs) break;
      this.head++;
      this.resolveOne(p);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Resolved answers of the stream's version since this process first served it. */
  total(tenantId: string, stream: OutcomeStream, version: number): OutcomeCounts {
    return { ...(this.totals.get(keyOf(tenantId, stream, version)) ?? emptyCounts()) };
  }

  /**
   * The reporting window's figures per (tenant, stream, version), then a new window; `catalogOf`
   * gives a tenant's catalogue (the population of coverage and popularity percentiles).
   */
  report(catalogOf: (tenantId: string) => Catalogue): OutcomeReport[] {
    const reports: OutcomeReport[] = [];
    const percentiles = new Map<string, (itemId: string) => number | undefined>();
    for (const s of this.window.values()) {
      const catalog = catalogOf(s.tenantId);
      let pct = percentiles.get(s.tenantId);
      if (!pct)
        percentiles.set(s.tenantId, (pct = popularityPercentiles(catalog, this.popularity.get(s.tenantId))));
      let covered = 0;
      let weighted = 0;
      let shown = 0;
      for (const [id, n] of s.items) {
        const p = pct(id);
        if (p === undefined) continue;
        covered++;
        weighted += p * n;
        shown += n;
      }
      reports.push({
        tenantId: s.tenantId,
        stream: s.stream,
        version: s.version,
        ...s.counts,
        impressions: s.impressions,
        coverage: catalog.size === 0 ? undefined : covered / catalog.size,
        popularityPercentile: shown === 0 ? undefined : weighted / shown,
      });
    }
    this.window = new Map();
    // Popularity decays: each report halves the counts, so it follows what is popular now.
    for (const [tenantId, counts] of this.popularity) {
      for (const [id, n] of counts) {
        if (n < 1) counts.delete(id);
        else counts.set(id, n / 2);
      }
      if (counts.size === 0) this.popularity.delete(tenantId);
    }
    return reports;
  }

  private resolveOne(p: Pending): void {
    if (p.resolved) return;
    p.resolved = true;
    this.openByList.get(p.items)?.delete(openKeyOf(p.userKey, p.stream, p.version));
    // Answers resolve in the order they were served, so the user's oldest open one is this one.
    const open = this.byUser.get(p.userKey);
    if (open?.[0] === p) open.shift();
    else if (open?.includes(p)) open.splice(open.indexOf(p), 1);
    if (open?.length === 0) this.byUser.delete(p.userKey);
    let total = this.totals.get(p.key);
    if (!total) this.totals.set(p.key, (total = emptyCounts()));
    let served = this.window.get(p.key);
    if (!served) {
      served = {
        tenantId: p.tenantId,
        stream: p.stream,
        version: p.version,
        counts: emptyCounts(),
        impressions: 0,
        items: new Map(),
      };
      this.window.set(p.key, served);
    }
    for (const c of [total, served.counts]) {
      c.answers++;
      if (p.hit) c.hits++;
      if (p.purchase) c.purchases++;
    }
  }
}

/** A tenant's catalogue as the percentiles need it: its size and membership (the state's Map). */
export interface Catalogue {
  readonly size: number;
  has(itemId: string): boolean;
}

/**
 * A catalogue item's popularity percentile by mid-rank (ties share the middle of their ranks), so
 * the catalogue's mean is exactly 0.5 and a list of only the most popular items approaches 1;
 * undefined for an item outside the catalogue. Only the items with interactions are sorted (the
 * rest share the bottom rank), so a million-item catalogue costs no more than its active items.
 */
export function popularityPercentiles(
  catalog: Catalogue,
  counts: ReadonlyMap<string, number> | undefined,
): (itemId: string) => number | undefined {
  const n = catalog.size;
  const active = [...(counts ?? [])]
    .filter(([id, c]) => c > 0 && catalog.has(id))
    .sort((a, b) => a[1] - b[1]);
  const idle = n - active.length;
  const out = new Map<string, number>();
  for (let i = 0; i < active.length;) {
    let j = i;
    while (j < active.length && (active[j] as [string, number])[1] === (active[i] as [string, number])[1])
      j++;
    const pct = (idle + i + (j - i) / 2) / n;
    for (let k = i; k < j; k++) out.set((active[k] as [string, number])[0], pct);
    i = j;
  }
  return (itemId) => (catalog.has(itemId) ? (out.get(itemId) ?? idle / 2 / n) : undefined);
}

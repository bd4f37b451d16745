// What the recs path accepts from interactions.raw.v1 and catalog.items.v1: each decoded record is
// checked and turned into the row the store keeps. A record that can never be stored (no user, no
// item, no time, an unknown type) is a NonRetriableError, so the transport dead-letters it alone.
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { InteractionType, type CatalogItem, type Interaction } from '@mercato/contracts';
import { NonRetriableError, type KafkaRecordInfo } from '@mercato/kafka';
import { tokenize } from '@mercato/ml';

export const INTERACTION_TYPES = ['view', 'click', 'cart', 'purchase', 'rating'] as const;
export type InteractionTypeName = (typeof INTERACTION_TYPES)[number];

const NAMES: Partial<Record<InteractionType, InteractionTypeName>> = {
  [InteractionType.VIEW]: 'view',
  [InteractionType.CLICK]: 'click',
  [InteractionType.CART]: 'cart',
  [InteractionType.PURCHASE]: 'purchase',
  [InteractionType.RATING]: 'rating',
};

const TYPES: Record<InteractionTypeName, InteractionType> = {
  view: InteractionType.VIEW,
  click: InteractionType.CLICK,
  cart: InteractionType.CART,
  purchase: InteractionType.PURCHASE,
  rating: InteractionType.RATING,
};

export const interactionTypeOf = (name: InteractionTypeName): InteractionType => TYPES[name];

export interface InteractionRow {
  tenantId: string;
  interactionId: string;
  userId: string;
  itemId: string;
  type: InteractionTypeName;
  value: number;
  occurredAt: Date;
  receivedAt: Date;
  eventId: string;
  /** Broker timestamp of the record (ms), for the lag metric. */
  brokerMs: number;
}

export interface CatalogItemRow {
  tenantId: string;
  itemId: string;
  updatedAt: Date;
  title: string;
  description: string;
  categories: string[];
  price: number;
  available: boolean;
  receivedAt: Date;
  eventId: string;
}

/** Postgres text cannot hold NUL. */
const clean = (text: string): string => text.replace(/\u0000/g, '');

function reject(record: KafkaRecordInfo, what: string): never {
  throw new NonRetriableError(`${record.topic} offset ${record.offset}: ${what}`);
}

/** The tenant of a record: the message's field, else its tenant header, else the service's tenant. */
const tenantOf = (fromMessage: string, record: KafkaRecordInfo, fallback: string): string =>
  fromMessage || record.tenantId || fallback;

export function interactionRow(value: Interaction, record: KafkaRecordInfo, tenant: string): InteractionRow {
  const type = NAMES[value.type];
  if (!type) reject(record, `unknown interaction type ${value.type}`);
  if (!value.userId) reject(record, 'user_id is empty');
  if (!value.itemId) reject(record, 'item_id is empty');
  if (!value.occurredAt) reject(record, 'occurred_at is missing');
  if (!Number.isFinite(value.value)) reject(record, 'value is not a finite number');
  return {
    tenantId: clean(tenantOf(value.tenantId, record, tenant)),
    // Ingest sets interaction_id to the record's event id; either identifies the interaction.
    interactionId: clean(value.interactionId || record.eventId),
    userId: clean(value.userId),
    itemId: clean(value.itemId),
    type,
    value: value.value,
    occurredAt: timestampDate(value.occurredAt),
    receivedAt: value.receivedAt ? timestampDate(value.receivedAt) : new Date(record.timestamp),
    eventId: record.eventId,
    brokerMs: record.timestamp,
  };
}

export function catalogItemRow(value: CatalogItem, record: KafkaRecordInfo, tenant: string): CatalogItemRow {
  if (!value.itemId) reject(record, 'item_id is empty');
  if (!Number.isFinite(value.price)) reject(record, 'price is not a finite number');
  return {
    tenantId: clean(tenantOf(value.tenantId, record, tenant)),
    itemId: clean(value.itemId),
    // A version without a time is ordered by when the broker received it.
    updatedAt: value.updatedAt ? timestampDate(value.updatedAt) : new Date(record.timestamp),
    title: clean(value.title),
    description: clean(value.description),
    categories: [...new Set(value.categories.map(clean).filter((c) => c !== ''))],
    price: value.price,
    available: value.available,
    receivedAt: new Date(record.timestamp),
    eventId: record.eventId,
  };
}

/** The text features of an item: the same tokenizer the models use (NFKC, lower case, <num>, <url>). */
export function itemTextTokens(item: Pick<CatalogItemRow, 'title' | 'description'>): {
  titleTokens: string[];
  descriptionTokens: string[];
} {
  return { titleTokens: tokenize(item.title), descriptionTokens: tokenize(item.description) };
}

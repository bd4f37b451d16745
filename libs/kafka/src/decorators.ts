// Typed sugar over @EventPattern: handlers name the catalogue entry, never a string topic.
import { EventPattern } from '@nestjs/microservices';
import type { TopicSpec } from '@mercato/contracts';

/** The handler receives each decoded record in turn (per-partition order is kept). */
export const OnTopic = (spec: TopicSpec) => EventPattern(spec.name);

/**
 * The handler receives a whole fetched batch of one partition as DecodedRecord[] (for batched
 * inference or bulk writes). A failing batch is retried, then split so only bad records dead-letter.
 */
export const OnTopicBatch = (spec: TopicSpec) => EventPattern(spec.name, { batch: true });

// Which lifecycle events move the serving sentiment model: a PROMOTED event (rollbacks are published
// as PROMOTED too, with previous_version set) of the configured model on the production alias.
import { ModelEventType, type ModelEvent } from '@mercato/contracts';

export const SERVING_ALIAS = 'production';

/** The version the production alias now points to, or undefined when the event is not about that. */
export function productionVersionOf(event: ModelEvent, modelName: string): number | undefined {
  if (event.type !== ModelEventType.PROMOTED) return undefined;
  if (event.modelName !== modelName || event.alias !== SERVING_ALIAS) return undefined;
  const version = Number(event.version);
  return Number.isInteger(version) && version > 0 ? version : undefined;
}

import { create } from '@bufbuild/protobuf';
import { ModelEventSchema, ModelEventType, ModelKind } from '@mercato/contracts';
import { describe, expect, it } from 'vitest';
import { productionVersionOf } from './model-events';

const event = (
  fields: { type?: ModelEventType; version?: string; alias?: string; previousVersion?: string } = {},
) =>
  create(ModelEventSchema, {
    eventId: 'e-1',
    type: ModelEventType.PROMOTED,
    modelName: 'sentiment',
    kind: ModelKind.SENTIMENT,
    version: '4',
    alias: 'production',
    ...fields,
  });

describe('productionVersionOf', () => {
  it('reads promotions of the model to production, rollbacks included', () => {
    expect(productionVersionOf(event(), 'sentiment')).toBe(4);
    expect(productionVersionOf(event({ version: '2', previousVersion: '4' }), 'sentiment')).toBe(2);
  });

  it('ignores other models, aliases, event types and malformed versions', () => {
    expect(productionVersionOf(event(), 'sentiment-eu')).toBeUndefined();
    expect(productionVersionOf(event({ alias: 'staging' }), 'sentiment')).toBeUndefined();
    expect(productionVersionOf(event({ type: ModelEventType.REGISTERED }), 'sentiment')).toBeUndefined();
    expect(productionVersionOf(event({ type: ModelEventType.ARCHIVED }), 'sentiment')).toBeUndefined();
    expect(productionVersionOf(event({ version: '' }), 'sentiment')).toBeUndefined();
    expect(productionVersionOf(event({ version: '1.5' }), 'sentiment')).toBeUndefined();
  });
});

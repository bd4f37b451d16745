// HTTP: the latest monitoring figures of the tenant's sentiment models (models.monitoring.v1), for
// the dashboard's drift panel.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { JsonResponse } from '@mercato/runtime';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelSignalsView } from './api.views';
import { ModelSignalsRepository } from './model-signals.repository';

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly signals: ModelSignalsRepository) {}

  @RequireScopes('sentiment:read')
  @Get('monitoring')
  @ApiOperation({
    summary: 'Drift signals of the tenant’s models',
    description:
      'Each figure of the latest window on models.monitoring.v1: prediction drift and unknown-word ' +
      'rate from scoring, feedback disagreement from the feature service; `drifted` when it crossed ' +
      'its threshold.',
  })
  @JsonResponse(200, 'signals per model', ModelSignalsView)
  async monitoring(@CurrentPrincipal() principal: Principal): Promise<ModelSignalsView> {
    const byModel = new Map<string, ModelSignalsView['items'][number]['signals']>();
    for (const s of await this.signals.latest(principal.tenantId)) {
      const list = byModel.get(s.model) ?? [];
      list.push({
        signal: s.signal,
        value: s.value,
        version: s.version,
        drifted: s.drifted,
        threshold: s.threshold,
        sample: s.sample,
        at: s.at.toISOString(),
      });
      byModel.set(s.model, list);
    }
    return { items: [...byModel].map(([model, signals]) => ({ model, signals })) };
  }
}

// HTTP: GET /v1/models/current names the model versions this replica serves.
import { JsonResponse } from '@mercato/runtime';
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SentimentModelService } from './sentiment/sentiment-model.service';
import { CurrentModelsView } from './sentiment/sentiment.dto';

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly sentiment: SentimentModelService) {}

  @RequireScopes('models:read')
  @Get('current')
  @ApiOperation({
    summary: 'The model versions this replica serves',
    description:
      "The platform's sentiment models and the caller's tenant's own: each with the loaded version (null " +
      'before the first promotion), its architecture, and the last version refused, if any.',
  })
  @JsonResponse(200, 'the serving models', CurrentModelsView)
  async current(@CurrentPrincipal() principal: Principal): Promise<CurrentModelsView> {
    return { sentiment: await this.sentiment.statusFor(principal.tenantId) };
  }
}

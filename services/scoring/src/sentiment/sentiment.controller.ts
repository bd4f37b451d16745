// HTTP: POST /v1/sentiment scores texts synchronously with the production sentiment model.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { ErrorResponses, JsonBody, JsonResponse, parseInput } from '@mercato/runtime';
import { Body, Controller, HttpCode, Post, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SentimentRequest, SentimentResponse } from './sentiment.dto';
import { TextScoringService } from './text-scoring.service';

@ApiTags('sentiment')
@Controller('v1/sentiment')
export class SentimentController {
  constructor(private readonly scoring: TextScoringService) {}

  @RequireScopes('sentiment:read')
  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Score texts',
    description:
      'Label (negative, neutral, positive), class probabilities and the five words that pushed each ' +
      "decision most, from the production model of the caller's tenant (its own, else the platform's): " +
      'the fast default model, or the fine-tuned transformer with "model": "teacher". The answer names ' +
      'the model, its version, whose it is and its architecture.',
  })
  @JsonBody(SentimentRequest, '1 to 100 texts of 1 to 5,000 characters')
  @JsonResponse(200, 'one result per text, in order', SentimentResponse)
  @ErrorResponses(
    [400, 'invalid body: each field with its reason'],
    [503, 'no production sentiment model (in the asked role) yet'],
  )
  async score(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<SentimentResponse> {
    const { texts, model } = parseInput(SentimentRequest, body);
    const response = await this.scoring.score(principal.tenantId, texts, model);
    if (!response)
      throw new ServiceUnavailableException({
        statusCode: 503,
        message:
          model === 'teacher' ? 'no production teacher model yet' : 'no production sentiment model yet',
      });
    return response;
  }
}

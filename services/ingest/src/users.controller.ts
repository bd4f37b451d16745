// HTTP: DELETE /v1/users/{userId} — the right to be forgotten. The raw user id is pseudonymized here
// exactly as interactions are, and the feature service deletes that pseudonym's interactions and
// features (and tells every consumer to forget them). The raw id is neither logged nor forwarded.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Pseudonymizer } from '@mercato/privacy';
import { invalidField, unavailable } from '@mercato/runtime';
import { FeatureUnavailableError, FeatureUsersClient } from './feature-users.client';
import { textProblem } from './record-validation';

@ApiTags('recommendations')
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly pseudonymizer: Pseudonymizer,
    private readonly feature: FeatureUsersClient,
  ) {}

  @Delete(':userId')
  @HttpCode(204)
  @RequireScopes('users:delete')
  @ApiOperation({
    summary: "Delete a user's data",
    description:
      'Deletes the interactions and features of your user (your own id, pseudonymized here as on ' +
      'ingest). 204 once the feature store has deleted them; 503 when it could not be reached (retry).',
  })
  @ApiParam({ name: 'userId', description: 'your user id (1–200 characters)' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('userId') userId: string): Promise<void> {
    const problem =
      [...userId].length > 200 ? 'must be at most 200 characters' : textProblem(userId, { identifier: true });
    if (problem) throw invalidField('userId', problem);
    try {
      await this.feature.deleteUser(
        principal.tenantId,
        this.pseudonymizer.pseudonym(principal.tenantId, userId),
      );
    } catch (err) {
      if (err instanceof FeatureUnavailableError)
        throw unavailable(`the user could not be deleted now: ${err.message}`);
      throw err;
    }
  }
}

// HTTP: DELETE /v1/users/{userId} — the right to be forgotten. The raw user id is pseudonymized here
// exactly as interactions are, and the feature service deletes that pseudonym's interactions and
// features (and tells every consumer to forget them). The raw id is neither logged, audited nor
// forwarded: the audit entry (the caller's principal) names the pseudonym.
import { CurrentPrincipal, RequireScopes, type Principal } from '@mercato/auth';
import { AuditLog } from '@mercato/db';
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
    private readonly audit: AuditLog,
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
    const pseudonym = this.pseudonymizer.pseudonym(principal.tenantId, userId);
    try {
      await this.feature.deleteUser(principal.tenantId, pseudonym);
    } catch (err) {
      if (err instanceof FeatureUnavailableError)
        throw unavailable(`the user could not be deleted now: ${err.message}`);
      throw err;
    }
    await this.audit.record(principal, { action: 'user.delete', target: `user ${pseudonym}` });
  }
}

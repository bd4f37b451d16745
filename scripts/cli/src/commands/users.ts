// `mercato users delete <id>`: the right to be forgotten from the terminal — asks ingest
// (INGEST_URL, default http://127.0.0.1:8081) to delete the user's interactions and features; the
// id is pseudonymized by the service, exactly as on ingest, for the key's tenant.
import type { Command } from 'commander';
import { cliAuthHeaders } from './keys';
import { DEFAULT_INGEST_URL } from './replay';

export function registerUsersCommand(program: Command): void {
  program
    .command('users')
    .description('user data (INGEST_URL; the tenant is the API key’s)')
    .command('delete <userId>')
    .description("delete a user's interactions and features (your own user id, as sent on ingest)")
    .option('--json', 'print the result as JSON')
    .action(async (userId: string, opts: { json?: boolean }) => {
      const base = (process.env.INGEST_URL ?? DEFAULT_INGEST_URL).replace(/\/+$/, '');
      const res = await fetch(`${base}/v1/users/${encodeURIComponent(userId)}`, {
        method: 'DELETE',
        headers: cliAuthHeaders(),
      });
      if (res.status !== 204) {
        const text = await res.text();
        throw new Error(`ingest answered ${res.status}: ${text.slice(0, 500)}`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify({ deleted: true })}\n` : 'user deleted\n');
    });
}

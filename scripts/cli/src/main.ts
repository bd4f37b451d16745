// The `mercato` command for operators and data scientists (run as `npx mercato …`).
import { readSecret } from '@mercato/auth';
import { SERVICE_NAMES } from '@mercato/runtime';
import { ensureLocalKafka } from '@mercato/dev-stack';
import { Command } from 'commander';
import { registerKeysCommand } from './commands/keys';
import { migrateServices } from './commands/migrate';
import { registerModelsCommand } from './commands/models';
import { registerReplayCommand } from './commands/replay';
import { createTopics, down, up, upDetached } from './commands/stack';
import { registerTrainCommands } from './commands/train';
import { registerUsersCommand } from './commands/users';

const program = new Command('mercato').description('Mercato: event-driven ML platform').showHelpAfterError();

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

program
  .command('up')
  .description('start Kafka, Postgres and the six services locally (Ctrl-C stops everything)')
  .option('--only <services>', `comma-separated subset of: ${SERVICE_NAMES.join(', ')}`, list)
  .option('-d, --detach', 'run in the background; stop with `mercato down`')
  .option(
    '--demo',
    'then train a first sentiment model if none exists and replay a generated news stream with surges',
  )
  .action(async (opts: { only?: string[]; detach?: boolean; demo?: boolean }) => {
    if (opts.detach) await upDetached(opts.only);
    else await up({ only: opts.only, demo: opts.demo });
  });

program
  .command('down')
  .description('stop a stack started with `mercato up --detach`')
  .action(() => down());

program
  .command('topics')
  .description('Kafka topics from the catalogue')
  .command('create')
  .description('create every catalogue topic and its dead-letter topic (idempotent)')
  .action(async () => {
    const kafka = process.env.KAFKA_BROKERS ?? (await ensureLocalKafka()).brokers;
    await createTopics(kafka);
  });

program
  .command('migrate')
  .description('apply Postgres migrations for services (DATABASE_URL, or the file DATABASE_URL_FILE names)')
  .option('--service <names>', 'comma-separated services (default: all)', list)
  .action(async (opts: { service?: string[] }) => {
    // The chart's migration hook Jobs mount the URL as a Secret file, as the services read it.
    const url = readSecret('DATABASE_URL');
    if (!url) throw new Error('DATABASE_URL (or DATABASE_URL_FILE) is not set');
    await migrateServices(url, opts.service ?? [...SERVICE_NAMES]);
  });

registerKeysCommand(program);
registerModelsCommand(program);
registerTrainCommands(program);
registerReplayCommand(program);
registerUsersCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`mercato: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

// The `mercato` command's definition: every command with its options, for main.ts to run and for
// the specs that check every command (e.g. that each --json command prints one JSON document).
// It starts fast: libraries are imported lazily (scripts/build.mjs compiles the CLI with SWC's lazy
// imports), so the command modules do no work at load time that needs one.
import { SERVICE_NAMES, readSecret } from '@mercato/config';
import { ensureLocalKafka } from '@mercato/dev-stack';
import { Command } from 'commander';
import { registerAuditCommand } from './commands/audit';
import { registerEncoderCommand } from './commands/encoder';
import { registerKeysCommand } from './commands/keys';
import { registerModelsCommand } from './commands/models';
import { registerReplayCommand } from './commands/replay';
import { registerRunsCommand } from './commands/runs';
import { registerTrainCommands } from './commands/train';
import { registerUsersCommand } from './commands/users';
import { migrateServices } from './commands/migrate';
import { createTopics, down, up, upDetached } from './commands/stack';

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function createProgram(): Command {
  const program = new Command('mercato')
    .description('Mercato: event-driven ML platform')
    .showHelpAfterError();

  program
    .command('up')
    .description('start Kafka, Postgres and the six services locally (Ctrl-C stops everything)')
    .option('--only <services>', 'comma-separated subset of the services (listed below)', list)
    .option('-d, --detach', 'run in the background; stop with `mercato down`')
    .option(
      '--demo',
      'then train a first sentiment model if none exists and replay a generated news stream with surges',
    )
    .addHelpText('after', () => `\nServices: ${SERVICE_NAMES.join(', ')}`)
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
  registerAuditCommand(program);
  registerModelsCommand(program);
  registerTrainCommands(program);
  registerRunsCommand(program);
  registerReplayCommand(program);
  registerUsersCommand(program);
  registerEncoderCommand(program);

  return program;
}

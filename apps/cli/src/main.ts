// The `tsstack` command line. Each command lives in its own file under commands/; this file only wires them.
import { buildProgram } from './program';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tsstack: ${message}\n`);
    process.exit(
      typeof (err as { exitCode?: number }).exitCode === 'number'
        ? (err as { exitCode: number }).exitCode
        : 1,
    );
  });

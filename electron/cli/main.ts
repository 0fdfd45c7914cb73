// Entry of the `nova-console` command (bin/nova-console.mjs and `npm run -s cli -- …`).
import { runCli } from './cli.ts';

// Ctrl+C ends `log --follow` cleanly (exit 0) instead of killing it mid-line.
const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
  write: (text) => process.stdout.write(text),
  signal: interrupted.signal,
});
process.removeAllListeners('SIGINT');

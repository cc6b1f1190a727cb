/**
 * Prints the one JSON "ready" line a long-running command promises, then waits for SIGINT/SIGTERM and
 * runs `stop` before exiting.
 */
export async function runUntilSignalled(readyInfo: unknown, stop: () => Promise<void>): Promise<void> {
  process.stdout.write(`${JSON.stringify(readyInfo)}\n`);
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stop();
  process.exit(0);
}

/** Polls `condition` until it holds; fails naming `what` after `deadlineMs` (generous: CI machines are loaded). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

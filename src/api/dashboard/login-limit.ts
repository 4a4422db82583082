// Failed dashboard logins per client address: a few a minute are mistakes, more are guesses.
// Kept in memory; a restart forgets them, which costs a guesser nothing worth having.
export class LoginLimit {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  /** Whether this address may try again now. */
  allows(address: string, now = Date.now()): boolean {
    return this.recent(address, now).length < this.perWindow;
  }

  failed(address: string, now = Date.now()): void {
    const recent = this.recent(address, now);
    recent.push(now);
    this.failures.set(address, recent);
  }

  private recent(address: string, now: number): number[] {
    const kept = (this.failures.get(address) ?? []).filter((at) => now - at < this.windowMs);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}

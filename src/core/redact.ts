// Output that leaves berth (a run's kept log tail, a notification) must not carry an app's
// secret values, even when the app printed them.

/** Values shorter than this are left alone: "1" or "on" would blank out half a log. */
const MIN_SECRET_LENGTH = 4;

export function redactSecrets(text: string, secretValues: readonly string[]): string {
  let out = text;
  const values = [...new Set(secretValues)]
    .filter((v) => v.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  for (const value of values) out = out.split(value).join('[secret]');
  return out;
}

// A named point in a deployment ("build", "release-command", a rollout action kind such as
// "serve", "revert-…", "replace-in-place:stopped", and "launch": a machine recorded as starting
// and not yet started) where a hook, when one is given, runs
// before the step is applied. Production passes none; crash tests pass one that holds the
// daemon there so they can kill it at exactly that point (test/helpers/paused-server.ts).
export type BeforeStep = (step: string) => Promise<void>;

export const noHook: BeforeStep = () => Promise.resolve();

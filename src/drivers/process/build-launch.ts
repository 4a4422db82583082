// How the process driver has a build run: the program to spawn (its own process group, output
// on pipes, killed as a group on timeout) and how to read its exit as the command's.

export interface BuildLaunch {
  file: string;
  args: string[];
  exitOf(
    exitCode: number | null,
    signal: NodeJS.Signals | null,
  ): { exitCode: number | null; signal: string | null };
  /** Said in the deploy's output when the build is less isolated than the app's own user would be. */
  note?: string;
}

// Which events are the story of an app (`berth events`) and which are a deploy's running
// commentary (build output, each check's result, the steps), shown by `releases show` and
// by `berth events --all`.

const PROGRESS_DETAIL = new Set([
  'build.output',
  'build.step',
  'build.note',
  'build.builder',
  'release_command.output',
  'machine.check',
  'deploy.waiting',
  'deploy.step',
  'deploy.note',
  'deploy.isolation',
  'deploy.driver',
]);

export function isProgressDetail(kind: string): boolean {
  return PROGRESS_DETAIL.has(kind);
}

export function progressDetailKinds(): string[] {
  return [...PROGRESS_DETAIL];
}

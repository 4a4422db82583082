// berth's TypeScript SDK.
export { BerthClient, type ClientOptions } from './client.js';
export { ApiError } from './api-error.js';
export type { DeployOptions, DeployOutcome, DeployProgress, DeployStrategyName } from './deploy.js';
export type { FollowedRelease, RolloutOutcome } from './follow-release.js';
export type { UploadedDirectory } from './upload-dir.js';
export type * from './types.js';
export type * from './schedule-types.js';
export type * from './token-types.js';
export type * from './net-types.js';

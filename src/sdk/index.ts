// berth's TypeScript SDK.
export { BerthClient, type ClientOptions } from './client.js';
export { ApiError } from './api-error.js';
export type * from './types.js';
export type * from './schedule-types.js';
export type * from './net-types.js';

// Tokens and the caller's identity as the API returns them: derived from its schemas.
export type { CreatedTokenInfo, TokenInfo, WhoamiInfo } from '../api/token-schemas.js';

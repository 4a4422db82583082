// A release's life: made, built, rolled out, then complete or failed. Complete releases are
// later superseded by newer ones; failed ones never served traffic (or were reverted).
export type ReleaseStatus = 'pending' | 'building' | 'deploying' | 'complete' | 'failed' | 'superseded';

const NEXT: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  pending: ['building', 'failed'],
  building: ['deploying', 'failed'],
  deploying: ['complete', 'failed'],
  complete: ['superseded'],
  failed: [],
  superseded: [],
};

export function canMoveRelease(from: ReleaseStatus, to: ReleaseStatus): boolean {
  return NEXT[from].includes(to);
}

export function isFinalRelease(status: ReleaseStatus): boolean {
  return status === 'complete' || status === 'failed' || status === 'superseded';
}

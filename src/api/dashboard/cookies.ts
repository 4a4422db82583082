// The dashboard's session cookie: read from a Cookie header, written HttpOnly and
// SameSite=Strict so page scripts cannot read it and other sites cannot send it.
export const SESSION_COOKIE = 'berth_session';

/** The session cookie's value in a Cookie header, if any. */
export function sessionCookieValue(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** Set-Cookie for a new session (maxAgeSeconds > 0), or one that clears it (0). */
export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${options.maxAgeSeconds}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

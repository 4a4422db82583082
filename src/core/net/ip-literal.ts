// Whether text is an IPv4 or IPv6 address literal, without node:net (src/core does no I/O and
// imports no node runtime modules). 4, 6, or 0 for neither, as node's isIP answers.

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const V6_GROUP = /^[0-9a-f]{1,4}$/i;

function isV4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => V4_PART.test(p));
}

function isV6(text: string): boolean {
  // A zone (fe80::1%eth0) names an interface; the address part is what is checked.
  const address = text.split('%')[0]!;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (i === all.length - 1 && g.includes('.')) {
      if (!isV4(g)) return false;
      count += 2;
    } else if (V6_GROUP.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

export function ipVersion(text: string): 0 | 4 | 6 {
  if (isV4(text)) return 4;
  if (text.includes(':') && isV6(text)) return 6;
  return 0;
}

// Credentials out of everything lvslab prints, logs or records about a GNS3 server: the one
// place that knows what a GNS3 secret looks like (a password, a basic-auth pair, a JWT).

export const REDACTED = '<redacted>';

/** Keys whose values are secrets wherever they appear in a JSON body or a config object. */
const SECRET_KEY = /^(password|passwd|access_token|token|authorization|secret|jwt_secret_key|compute_password|default_admin_password)$/i;

/**
 * Replaces every credential in `text`: the given secret values (and the base64 forms a
 * basic-auth header would carry), Authorization headers, Basic/Bearer credentials, JWTs,
 * `password=`/`token=` form or query fields, `"password": "…"` JSON fields and the password
 * of a URL's userinfo.
 */
export function redactText(text: string, secrets: Iterable<string | undefined> = []): string {
  let out = text;
  const values = new Set<string>();
  const list = [...secrets].filter((s): s is string => typeof s === 'string' && s.length > 0);
  for (const s of list) {
    values.add(s);
    values.add(encodeURIComponent(s));
    values.add(Buffer.from(s).toString('base64'));
  }
  // A basic-auth header carries base64("user:password"): redact the pairs too.
  for (const a of list) for (const b of list) values.add(Buffer.from(`${a}:${b}`).toString('base64'));
  // Longest first, so a value containing another is replaced whole.
  for (const v of [...values].sort((x, y) => y.length - x.length)) out = out.split(v).join(REDACTED);
  return out
    .replace(/(authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]+/gi, `$1${REDACTED}`)
    .replace(/\b(Basic)\s+(?!realm\b)[A-Za-z0-9+/]{4,}={0,2}/g, `$1 ${REDACTED}`)
    .replace(/\b(Bearer)\s+(?!realm\b)[A-Za-z0-9._~+/-]{4,}=*/g, `$1 ${REDACTED}`)
    .replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED)
    .replace(/([?&](?:password|token|access_token)=)[^&\s"']*/gi, `$1${REDACTED}`)
    .replace(/(^|[\s&])(password=)[^&\s"']*/gi, `$1$2${REDACTED}`)
    .replace(/(["']?(?:password|access_token|token)["']?\s*:\s*)(["'])(?:(?!\2).)*\2/gi, `$1$2${REDACTED}$2`)
    .replace(/(\/\/[^/:@\s]+:)[^@/\s]+@/g, `$1${REDACTED}@`);
}

/** A deep copy of a JSON value with secret-named fields and secret strings redacted. */
export function redactValue<T>(value: T, secrets: Iterable<string | undefined> = []): T {
  const list = [...secrets];
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, list);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = SECRET_KEY.test(k) && x !== null && x !== '' ? REDACTED : walk(x);
      return o;
    }
    return v;
  };
  return walk(value) as T;
}

/** A URL as it may be shown: without userinfo, query token or trailing slash. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.searchParams.delete('token');
    return u.toString().replace(/\/$/, '');
  } catch {
    return redactText(url);
  }
}

// wallet-trace.mjs wraps fetch so that the wallet's verdict can show what
// went over the wire: each exchange's method, path, status, whether its
// DPoP proof carried a server nonce, and the OAuth error code of a refusal.
// It records no token, code, proof or claim value, only their presence.

// tracingFetch returns a fetch that appends one entry per exchange to trace.
export function tracingFetch(trace, base = globalThis.fetch) {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined))
    const res = await base(input, init)
    trace.push(await entry(url, init.method ?? 'GET', headers, res))
    return res
  }
}

async function entry(url, method, headers, res) {
  const e = { method, path: url.pathname, status: res.status }
  const proof = headers.get('DPoP')
  if (proof) e.dpop_nonce = 'nonce' in claims(proof)
  if (res.headers.get('DPoP-Nonce')) e.got_dpop_nonce = true
  const challenge = res.headers.get('WWW-Authenticate')
  if (challenge) e.www_authenticate_error = /error="([^"]*)"/.exec(challenge)?.[1] ?? ''
  if (res.status >= 400 && (res.headers.get('Content-Type') ?? '').includes('json')) {
    const body = await res.clone().json().catch(() => ({}))
    if (typeof body.error === 'string') e.error = body.error
  }
  return e
}

// claims decodes a JWT's payload without verifying it.
function claims(jwt) {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'))
  } catch {
    return {}
  }
}

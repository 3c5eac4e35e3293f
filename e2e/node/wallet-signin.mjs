// wallet-signin.mjs plays the user's browser without a browser: it opens
// the authorization URL the wallet library built, posts the login form with
// the user's password, approves on the consent page and returns where the
// issuer redirects to (the wallet's redirect URI with the code). This is
// the one part of the flow that is not the wallet library's: a wallet hands
// it to the system browser.

// signIn returns the Location of the issuer's final redirect.
export async function signIn(fetch, authorizationUrl, username, password) {
  const jar = new Map()
  const login = await page(fetch, jar, authorizationUrl, { method: 'GET' })
  const consent = await page(fetch, jar, login.action, {
    method: 'POST',
    body: new URLSearchParams({ csrf_token: login.csrf, username, password }),
  })
  const res = await send(fetch, jar, consent.action, {
    method: 'POST',
    body: new URLSearchParams({ csrf_token: consent.csrf, decision: 'approve' }),
  })
  const location = res.headers.get('Location')
  if (res.status !== 303 || !location) {
    throw new Error(`consent: got ${res.status} without a redirect: ${excerpt(await res.text())}`)
  }
  return new URL(location, consent.action).href
}

// page requests an HTML page with a form and returns the form's absolute
// action and its csrf_token.
async function page(fetch, jar, url, init) {
  const res = await send(fetch, jar, url, init)
  const html = await res.text()
  if (res.status !== 200) throw new Error(`${init.method} ${new URL(url).pathname}: got ${res.status}: ${excerpt(html)}`)
  const action = /<form[^>]*\saction="([^"]+)"/.exec(html)?.[1]
  const csrf = /name="csrf_token"\s+value="([^"]+)"/.exec(html)?.[1]
  if (!action || !csrf) throw new Error(`${new URL(url).pathname}: no form with a csrf_token: ${excerpt(html)}`)
  return { action: new URL(unescape(action), url).href, csrf: unescape(csrf) }
}

// send sends one request without following redirects, with the cookies of
// the jar, and keeps the cookies the response sets.
async function send(fetch, jar, url, init) {
  const headers = new Headers()
  if (jar.size) headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  if (init.body) headers.set('Content-Type', 'application/x-www-form-urlencoded')
  const res = await fetch(url, { ...init, headers, redirect: 'manual' })
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';')
    const i = pair.indexOf('=')
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim())
  }
  return res
}

// unescape undoes html/template's escaping of attribute values.
function unescape(s) {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&#43;/g, '+')
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
}

function excerpt(html) {
  const text = html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

// wallet-issue.mjs is a wallet built on @openid4vc/openid4vci (the
// OpenWallet Foundation's OpenID4VCI client, with @openid4vc/oauth2): it
// takes a credential offer and runs the issuance against the issuer with
// the library's own flow functions: resolve the offer, fetch the issuer and
// authorization server metadata, get an access token (pre-authorized code
// with a tx_code, or the authorization code flow with PAR and PKCE), with
// DPoP and the library's retry on use_dpop_nonce; then a c_nonce from the
// nonce endpoint, one jwt key proof per key, and the credential request.
// Only the user's sign-in (wallet-signin.mjs) is not the library's.
//
// stdin (JSON):
//   flow              "pre-authorized_code" or "authorization_code"
//   credential_offer  the offer link (openid-credential-offer://?credential_offer…)
//   tx_code           the transaction code (pre-authorized_code)
//   client_id, redirect_uri, username, password   (authorization_code)
//   requests          [{configuration_id, proofs}]: one credential request per
//                     entry, with `proofs` key proofs of distinct keys; none
//                     (or empty) stops after the access token
//
// stdout (JSON): the verdict. `ok` says whether every step succeeded, `step`
// where it stopped and `error` why; `token` describes the token response,
// `results` each credential request (its proof keys' public JWKs and the
// credentials), `trace` every HTTP exchange (no secrets). The script exits 0
// whatever the verdict; a non-zero exit means the script itself broke.
import {
  Openid4vciClient,
  Openid4vciRetrieveCredentialsError,
  extractScopesForCredentialConfigurationIds,
} from '@openid4vc/openid4vci'
import {
  Oauth2ClientErrorResponseError,
  clientAuthenticationAnonymous,
  clientAuthenticationNone,
  setGlobalConfig,
} from '@openid4vc/oauth2'
import { Keyring, callbacks } from './wallet-crypto.mjs'
import { signIn } from './wallet-signin.mjs'
import { tracingFetch } from './wallet-trace.mjs'

// The tests' issuer listens on http://127.0.0.1: the library refuses
// plain http unless told otherwise.
setGlobalConfig({ allowInsecureUrls: true })

const input = JSON.parse(await readStdin())
const verdict = { ok: false, step: 'start', trace: [] }
try {
  await run(input, verdict)
  verdict.ok = true
  verdict.step = 'done'
} catch (err) {
  verdict.error = err instanceof Error ? err.message : String(err)
  Object.assign(verdict, await errorDetails(err))
}
process.stdout.write(JSON.stringify(verdict))

async function run(input, v) {
  const keyring = new Keyring()
  const fetch = tracingFetch(v.trace)
  const auth = input.flow === 'authorization_code'
    ? clientAuthenticationNone({ clientId: input.client_id })
    : clientAuthenticationAnonymous()
  const client = new Openid4vciClient({ callbacks: callbacks(keyring, fetch, auth) })

  v.step = 'resolve offer'
  const offer = await client.resolveCredentialOffer(input.credential_offer)
  v.offer = { credential_configuration_ids: offer.credential_configuration_ids, grants: Object.keys(offer.grants ?? {}) }

  v.step = 'resolve metadata'
  const metadata = await client.resolveIssuerMetadata(offer.credential_issuer)
  v.metadata = {
    version: metadata.originalDraftVersion,
    credential_issuer: metadata.credentialIssuer.credential_issuer,
    authorization_servers: metadata.authorizationServers.map((as) => as.issuer),
    known_configurations: Object.keys(metadata.knownCredentialConfigurations),
  }

  v.step = 'access token'
  const dpopKey = await keyring.generate()
  v.dpop_jkt = dpopKey.jkt
  const flow = input.flow === 'authorization_code' ? authorizationCode : preAuthorizedCode
  const { accessTokenResponse, dpop } = await flow({ client, fetch, input, offer, metadata, v }, { signer: dpopKey.signer })
  v.token = describeToken(accessTokenResponse)

  let nextDpop = dpop
  v.results = []
  for (const req of input.requests ?? []) {
    v.step = `credential ${req.configuration_id}`
    const { result, dpop } = await requestCredentials(client, input, metadata, keyring, accessTokenResponse, nextDpop, req)
    v.results.push(result)
    nextDpop = dpop
  }
}

// preAuthorizedCode redeems the offer's pre-authorized code with the tx_code.
async function preAuthorizedCode({ client, input, offer, metadata }, dpop) {
  return client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata: metadata,
    txCode: input.tx_code,
    dpop,
  })
}

// authorizationCode pushes the authorization request (PAR, PKCE S256, the
// offer's issuer_state, DPoP), lets the user sign in, checks the response
// and redeems the code.
async function authorizationCode({ client, fetch, input, offer, metadata, v }, dpop) {
  const scope = extractScopesForCredentialConfigurationIds({
    credentialConfigurationIds: offer.credential_configuration_ids,
    issuerMetadata: metadata,
  })
  // No state: Openid4vciClient (0.7.0) sends none, whatever it is given
  // (initiateAuthorization drops its `state` option, and an undefined state
  // overwrites one in additionalRequestPayload); PKCE S256 is what protects
  // the redirect against CSRF (RFC 9700 §2.1), and the sign-in below checks
  // that the issuer invents no state.
  const init = await client.initiateAuthorization({
    credentialOffer: offer,
    issuerMetadata: metadata,
    clientId: input.client_id,
    redirectUri: input.redirect_uri,
    scope: scope?.join(' '),
    dpop,
  })
  v.authorization = {
    flow: init.authorizationFlow,
    pushed: new URL(init.authorizationRequestUrl).searchParams.has('request_uri'),
    pkce_method: init.pkce?.codeChallengeMethod,
    scope: scope ?? [],
  }

  v.step = 'sign in'
  const redirect = await signIn(fetch, init.authorizationRequestUrl, input.username, input.password)
  const asMetadata = metadata.authorizationServers.find((as) => as.issuer === init.authorizationServer)
  const response = client.parseAndVerifyAuthorizationResponseRedirectUrl({
    url: redirect,
    authorizationServerMetadata: asMetadata,
  })
  if (response.error) throw new Error(`authorization error ${response.error}: ${response.error_description ?? ''}`)
  if (response.state !== undefined) throw new Error('the authorization response has a state the wallet never sent')
  v.authorization.redirect_to = redirect.split('?')[0]

  v.step = 'access token'
  return client.retrieveAuthorizationCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata: metadata,
    authorizationCode: response.code,
    pkceCodeVerifier: init.pkce?.codeVerifier,
    redirectUri: input.redirect_uri,
    dpop: init.dpop ?? dpop,
  })
}

// requestCredentials gets a c_nonce, makes one key proof per fresh key and
// asks for the credentials of one configuration.
async function requestCredentials(client, input, metadata, keyring, token, dpop, req) {
  const { c_nonce } = await client.requestNonce({ issuerMetadata: metadata })
  const keys = []
  const jwts = []
  for (let i = 0; i < req.proofs; i++) {
    const key = await keyring.generate()
    keys.push(key.signer.publicJwk)
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata: metadata,
      credentialConfigurationId: req.configuration_id,
      signer: key.signer,
      nonce: c_nonce,
      // 1.0 Appendix F.1: iss is the client_id, absent for an anonymous
      // pre-authorized token.
      clientId: input.flow === 'authorization_code' ? input.client_id : undefined,
    })
    jwts.push(jwt)
  }
  const res = await client.retrieveCredentials({
    issuerMetadata: metadata,
    credentialConfigurationId: req.configuration_id,
    accessToken: token.access_token,
    dpop,
    proofs: { jwt: jwts },
  })
  const body = res.credentialResponse
  const result = {
    configuration_id: req.configuration_id,
    format: metadata.credentialIssuer.credential_configurations_supported[req.configuration_id]?.format,
    proof_jwks: keys,
    credentials: (body.credentials ?? []).map((c) => c.credential),
    notification_id: body.notification_id,
  }
  return { result, dpop: { ...dpop, nonce: res.dpop?.nonce ?? dpop?.nonce } }
}

// describeToken keeps what the test checks of the token response: no token
// value, only the access token's cnf.jkt (decoded, not verified: the issuer
// signed it and other tests verify it).
function describeToken(t) {
  const claims = JSON.parse(Buffer.from(t.access_token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}')
  return {
    token_type: t.token_type,
    expires_in: t.expires_in,
    cnf_jkt: claims.cnf?.jkt,
    has_refresh_token: typeof t.refresh_token === 'string',
    authorization_details: t.authorization_details,
    scope: t.scope,
  }
}

// errorDetails is what the library kept of a refused request.
async function errorDetails(err) {
  if (err instanceof Oauth2ClientErrorResponseError) {
    return { error_response: err.errorResponse, status: err.response?.status }
  }
  if (err instanceof Openid4vciRetrieveCredentialsError) {
    const r = err.response
    return {
      error_response: r?.credentialErrorResponseResult?.data,
      status: r?.response?.status,
      error_body: await r?.response?.clone().text().catch(() => undefined),
    }
  }
  return {}
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

// wallet-crypto.mjs holds the wallet's keys and the crypto callbacks that
// @openid4vc/openid4vci asks its caller for: hashing and random bytes from
// node:crypto, JWT signing with jose. The wallet signs with keys it made
// itself (one for DPoP, one per key proof); the library only ever sees
// their public JWKs, in its `signer` objects.
import { createHash, randomBytes } from 'node:crypto'
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'

// hashes maps the library's hash names to node:crypto's.
const hashes = { 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' }

// Keyring is the wallet's key store: private keys by JWK thumbprint.
export class Keyring {
  #keys = new Map()

  // generate makes a P-256 key pair and returns the library's signer for it
  // (method jwk, ES256) with the thumbprint of its public key.
  async generate() {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const { kty, crv, x, y } = await exportJWK(publicKey)
    const publicJwk = { kty, crv, x, y }
    const jkt = await calculateJwkThumbprint(publicJwk, 'sha256')
    this.#keys.set(jkt, privateKey)
    return { signer: { method: 'jwk', alg: 'ES256', publicJwk }, jkt }
  }

  // signJwt is the library's signJwt callback: the header and payload it
  // built, signed with the private key of signer.publicJwk.
  signJwt = async (signer, { header, payload }) => {
    if (signer.method !== 'jwk') throw new Error(`this wallet signs with jwk signers only, not ${signer.method}`)
    const key = this.#keys.get(await calculateJwkThumbprint(signer.publicJwk, 'sha256'))
    if (!key) throw new Error('no private key for the signer: the wallet did not make this key')
    const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(header)
      .sign(key)
    return { jwt, signerJwk: signer.publicJwk }
  }
}

// callbacks is the library's callback context for a wallet with these keys,
// sending its HTTP requests with fetch and authenticating at the
// authorization server with clientAuthentication.
export function callbacks(keyring, fetch, clientAuthentication) {
  return {
    fetch,
    clientAuthentication,
    signJwt: keyring.signJwt,
    hash: (data, alg) => {
      const name = hashes[alg]
      if (!name) throw new Error(`unsupported hash ${alg}`)
      return new Uint8Array(createHash(name).update(data).digest())
    },
    generateRandom: (n) => new Uint8Array(randomBytes(n)),
    decryptJwe: () => {
      throw new Error('this wallet does not ask for encrypted responses')
    },
  }
}

// verify-mdoc.mjs checks an mso_mdoc credential (OpenID4VCI 1.0 Appendix A.2:
// base64url of a CBOR IssuerSigned) with @animo-id/mdoc, an implementation
// the issuer did not write. The crypto it needs (SHA-256, ES256, X.509) is
// node:crypto; the library builds the COSE Sig_structure, decodes the CBOR
// and recomputes the value digests itself.
//
// stdin (JSON):
//   credential            the base64url IssuerSigned
//   trusted_certificates  [base64 DER]: the trust anchors for the x5chain
//   holder_jwk            the public JWK the device key must equal
//   doctype               the expected docType
//   now                   RFC 3339: the time the validity is checked at
//
// stdout (JSON): a boolean per check, the failed checks' names, and the
// elements per namespace. CBOR values are written as JSON where JSON has
// them; a byte string as {"bstr": base64url}, a full-date (tag 1004) as
// {"full-date": "YYYY-MM-DD"}, a tdate (tag 0) as {"tdate": RFC 3339}.
import { Buffer } from 'node:buffer'
import { X509Certificate, createHash, randomBytes, verify as cryptoVerify } from 'node:crypto'
import { COSEKey, DateOnly, Verifier, parseIssuerSigned } from '@animo-id/mdoc'

async function check(input, verdict) {
  const bytes = new Uint8Array(Buffer.from(input.credential, 'base64url'))
  const doc = parseIssuerSigned(bytes)
  verdict.parsed = true
  const { issuerAuth, nameSpaces } = doc.issuerSigned
  const mso = issuerAuth.decodedPayload

  verdict.doctype = doc.docType
  verdict.doctype_matches = doc.docType === input.doctype && mso.docType === input.doctype
  verdict.version = mso.version
  verdict.digest_algorithm = mso.digestAlgorithm
  verdict.alg_in_protected = issuerAuth.protectedHeaders.get(1) === -7 && !issuerAuth.unprotectedHeaders.has(1)
  verdict.x5chain_in_unprotected = issuerAuth.unprotectedHeaders.has(33) && !issuerAuth.protectedHeaders.has(33)
  verdict.validity = Object.fromEntries(
    ['signed', 'validFrom', 'validUntil'].map((k) => [k, tdate(mso.validityInfo[k])]),
  )

  const checks = []
  const onCheckG = (c) => checks.push(c)
  const verifier = new Verifier()
  await verifier.verifyIssuerSignature(
    {
      trustedCertificates: input.trusted_certificates.map((b64) => new Uint8Array(Buffer.from(b64, 'base64'))),
      issuerAuth,
      now: new Date(input.now),
      disableCertificateChainValidation: false,
      onCheckG,
    },
    context,
  )
  await verifier.verifyData({ mdoc: doc, onCheckG }, context)

  const passed = (name) => checks.some((c) => c.check === name && c.status === 'PASSED')
  verdict.signature_valid = passed('Issuer signature must be valid')
  verdict.chain_valid = passed('Issuer certificate must be valid')
  verdict.valid_now = passed('The MSO must be valid at the time of verification')
  verdict.signed_in_certificate_validity = passed(
    'The MSO signed date must be within the validity period of the certificate',
  )
  const items = [...nameSpaces.values()].reduce((n, list) => n + list.length, 0)
  const digestChecks = checks.filter((c) => c.category === 'DATA_INTEGRITY' && c.check.startsWith('The calculated digest'))
  verdict.digests_checked = digestChecks.filter((c) => c.status === 'PASSED').length
  verdict.digests_valid =
    items > 0 &&
    verdict.digests_checked === items &&
    !checks.some((c) => c.category === 'DATA_INTEGRITY' && c.status !== 'PASSED')
  verdict.failed_checks = checks.filter((c) => c.status !== 'PASSED').map((c) => c.check)

  const deviceJwk = COSEKey.import(mso.deviceKeyInfo.deviceKey).toJWK()
  verdict.device_key = { kty: deviceJwk.kty, crv: deviceJwk.crv, x: deviceJwk.x, y: deviceJwk.y }
  const holder = input.holder_jwk
  verdict.device_key_matches =
    deviceJwk.kty === 'EC' && deviceJwk.crv === holder.crv && deviceJwk.x === holder.x && deviceJwk.y === holder.y

  verdict.elements = {}
  for (const [ns, list] of nameSpaces) {
    verdict.elements[ns] = {}
    for (const item of list) {
      verdict.elements[ns][item.elementIdentifier] = json(item.elementValue)
    }
  }
}

// context is the crypto the library asks for, from node:crypto.
const context = {
  crypto: {
    random: (length) => new Uint8Array(randomBytes(length)),
    digest: ({ digestAlgorithm, bytes }) => {
      const alg = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }[digestAlgorithm]
      return new Uint8Array(createHash(alg).update(bytes).digest())
    },
    calculateEphemeralMacKeyJwk: () => {
      throw new Error('not needed to verify issuer data')
    },
  },
  cose: {
    sign1: {
      sign: () => {
        throw new Error('not needed to verify')
      },
      verify: ({ sign1, jwk }) => {
        const { alg, data, signature } = sign1.getRawVerificationData()
        if (alg !== 'ES256' || jwk.crv !== 'P-256') return false
        return cryptoVerify('sha256', data, { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' }, signature)
      },
    },
    mac0: {
      sign: () => {
        throw new Error('not needed')
      },
      verify: () => false,
    },
  },
  x509: {
    getIssuerNameField: ({ certificate, field }) => nameField(new X509Certificate(certificate).issuer, field),
    getPublicKey: ({ certificate }) => new X509Certificate(certificate).publicKey.export({ format: 'jwk' }),
    validateCertificateChain: ({ trustedCertificates, x5chain }) => {
      const chain = x5chain.map((der) => new X509Certificate(der))
      const anchors = trustedCertificates.map((der) => new X509Certificate(der))
      for (let i = 0; i + 1 < chain.length; i++) {
        if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
          throw new Error(`x5chain certificate ${i} is not issued by the next one`)
        }
      }
      const last = chain[chain.length - 1]
      const trusted = anchors.some(
        (a) => last.raw.equals(a.raw) || (last.checkIssued(a) && last.verify(a.publicKey)),
      )
      if (!trusted) throw new Error('the x5chain does not lead to a trusted certificate')
    },
    getCertificateData: ({ certificate }) => {
      const c = new X509Certificate(certificate)
      return {
        issuerName: c.issuer,
        subjectName: c.subject,
        serialNumber: c.serialNumber,
        thumbprint: c.fingerprint256,
        notBefore: new Date(c.validFrom),
        notAfter: new Date(c.validTo),
        pem: c.toString(),
      }
    },
  },
}

// nameField returns the values of one attribute of a distinguished name as
// node prints it ("C=DE\nO=…").
function nameField(dn, field) {
  return dn
    .split('\n')
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => line.slice(field.length + 1))
}

// json renders a decoded CBOR value for the verdict.
function json(v) {
  if (v instanceof DateOnly) return { 'full-date': v.toISOString() }
  if (v instanceof Date) return { tdate: tdate(v) }
  if (v instanceof Uint8Array) return { bstr: Buffer.from(v).toString('base64url') }
  if (typeof v === 'bigint') return { bigint: v.toString() }
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, e]) => [String(k), json(e)]))
  if (Array.isArray(v)) return v.map(json)
  return v
}

// tdate writes a Date as a tdate: RFC 3339, whole seconds, UTC.
function tdate(d) {
  return d instanceof Date ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : d
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const input = JSON.parse(await readStdin())
const verdict = {
  base64url_unpadded: /^[A-Za-z0-9_-]+$/.test(input.credential),
  parsed: false,
  failed_checks: [],
}
try {
  await check(input, verdict)
} catch (err) {
  verdict.error = err instanceof Error ? err.message : String(err)
}
process.stdout.write(JSON.stringify(verdict))

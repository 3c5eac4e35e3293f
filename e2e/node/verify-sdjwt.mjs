// verify-sdjwt.mjs checks an SD-JWT VC with the independent library
// @sd-jwt/sd-jwt-vc (and node:crypto for the x5c chain), never with the
// issuer's own code. Input on stdin, JSON:
//
//   credential   the SD-JWT VC, compact form
//   trusted_cert the trust anchor, base64 DER: the x5c chain must end in it
//                (or in a certificate it issued)
//   issuer_jwk   optional: verify the signature with this key (the
//                /.well-known/jwt-vc-issuer path) instead of the x5c leaf
//   now          the verification time, seconds since the epoch
//   present      optional presentation frame ({claim: true, ...}): the
//                library presents that subset and verifies it again
//
// Output on stdout, JSON: the verdict. `valid` is the conjunction of every
// check; each check has its own boolean, `error` says why the library
// refused. The script exits 0 whatever the verdict; a non-zero exit means
// the script itself broke.
import { X509Certificate } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest } from '@sd-jwt/crypto-nodejs';

const input = JSON.parse(await readStdin());
const verdict = await check(input);
process.stdout.write(JSON.stringify(verdict));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function check({ credential, trusted_cert, issuer_jwk, now, present }) {
  const v = {
    valid: false,
    library_verified: false,
    x5c_trusted: false,
    typ_ok: false,
    alg_ok: false,
    all_disclosures_referenced: false,
    disclosure_shapes_ok: false,
  };
  const plain = new SDJwtVcInstance({ hasher: digest });
  let header;
  try {
    const decoded = await plain.decode(credential);
    header = decoded.jwt.header;
    v.header = header;
    v.typ_ok = header.typ === 'dc+sd-jwt';
    v.alg_ok = header.alg === 'ES256';
    v.x5c_trusted = chainTrusted(header.x5c, trusted_cert);
    const digests = await Promise.all(decoded.disclosures.map((d) => d.digest({ hasher: digest, alg: 'sha-256' })));
    Object.assign(v, await referenced(decoded, digests));
    v.disclosure_shapes_ok = shapesOk(decoded, digests);
  } catch (e) {
    v.error = `decode: ${e.message}`;
    return v;
  }
  try {
    const key = issuer_jwk ?? leafJwk(header.x5c);
    const sdjwt = new SDJwtVcInstance({ hasher: digest, verifier: await ES256.getVerifier(key) });
    const result = await sdjwt.verify(credential, { currentDate: now });
    v.library_verified = true;
    v.claims = result.payload;
    v.vct = result.payload.vct;
    v.cnf = result.payload.cnf;
    if (present) v.presented = await presentSubset(sdjwt, credential, present, now);
  } catch (e) {
    v.error = `verify: ${e.message}`;
  }
  v.valid = v.library_verified && v.x5c_trusted && v.typ_ok && v.alg_ok && v.all_disclosures_referenced &&
    v.disclosure_shapes_ok && (!v.presented || v.presented.library_verified);
  return v;
}

// referenced counts the disclosures and those the payload references: the
// library unpacks the payload and silently drops a disclosure whose digest
// appears nowhere (a tampered or foreign one), which RFC 9901 §7.1 step
// 3.2.4/5 says a verifier must refuse, so the script compares the two sets.
async function referenced(decoded, all) {
  const hash = { hasher: digest, alg: 'sha-256' };
  const used = await decoded.getPresentDisclosures(undefined, digest);
  const usedDigests = new Set(await Promise.all(used.map((d) => d.digest(hash))));
  const unreferenced = all.filter((d) => !usedDigests.has(d)).length;
  return {
    disclosures: all.length,
    unreferenced_disclosures: unreferenced,
    duplicate_disclosures: all.length - new Set(all).size,
    all_disclosures_referenced: unreferenced === 0 && new Set(all).size === all.length,
  };
}

// shapesOk checks RFC 9901 §7.1 step 3.3.2 and 3.4.2, which the library
// does not: a digest in an _sd array must reveal [salt, name, value], a
// digest in {"...": digest} an array element [salt, value]. It walks the
// payload and every disclosed value with the library's decoded disclosures.
function shapesOk(decoded, digests) {
  const inSd = new Set();
  const inArray = new Set();
  const walk = (x) => {
    if (Array.isArray(x)) {
      for (const e of x) {
        if (e && typeof e === 'object' && !Array.isArray(e) && typeof e['...'] === 'string') inArray.add(e['...']);
        else walk(e);
      }
    } else if (x && typeof x === 'object') {
      for (const [k, val] of Object.entries(x)) {
        if (k === '_sd' && Array.isArray(val)) val.forEach((d) => inSd.add(d));
        else walk(val);
      }
    }
  };
  walk(decoded.jwt.payload);
  decoded.disclosures.forEach((d) => walk(d.value));
  const raw = (d) => JSON.parse(Buffer.from(d.encode(), 'base64url').toString('utf8'));
  return decoded.disclosures.every((d, i) => {
    const n = raw(d).length;
    return (n === 3 && typeof d.key === 'string' && inSd.has(digests[i])) || (n === 2 && inArray.has(digests[i]));
  });
}

// chainTrusted checks with node:crypto that each certificate of x5c is
// signed by the next and the last by the trust anchor (or is the anchor).
function chainTrusted(x5c, trustedB64) {
  if (!Array.isArray(x5c) || x5c.length === 0 || !trustedB64) return false;
  const certs = x5c.map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  const anchor = new X509Certificate(Buffer.from(trustedB64, 'base64'));
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].checkIssued(certs[i + 1]) || !certs[i].verify(certs[i + 1].publicKey)) return false;
  }
  const last = certs[certs.length - 1];
  if (last.fingerprint256 === anchor.fingerprint256) return true;
  return last.checkIssued(anchor) && last.verify(anchor.publicKey);
}

// leafJwk is the x5c leaf's public key as a JWK, for the library's verifier.
function leafJwk(x5c) {
  if (!Array.isArray(x5c) || x5c.length === 0) throw new Error('no x5c header');
  const leaf = new X509Certificate(Buffer.from(x5c[0], 'base64'));
  return leaf.publicKey.export({ format: 'jwk' });
}

// presentSubset lets the library present only the frame's claims and
// verifies what it presented.
async function presentSubset(sdjwt, credential, frame, now) {
  const out = { library_verified: false };
  try {
    const presented = await sdjwt.present(credential, frame);
    out.disclosures = presented.split('~').length - 2;
    const result = await sdjwt.verify(presented, { currentDate: now });
    out.library_verified = true;
    out.claims = result.payload;
  } catch (e) {
    out.error = e.message;
  }
  return out;
}

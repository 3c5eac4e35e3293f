// decrypt-jwe.mjs decrypts a compact JWE with the independent library
// jose, never with the issuer's own code. Input on stdin, JSON:
//
//   jwe  the compact JWE (an encrypted credential response)
//   jwk  the private JWK to decrypt it with (ECDH-ES)
//
// Output on stdout, JSON: `ok`, the protected header, the plaintext parsed
// as JSON (`payload`), or `error` saying why jose refused. The script
// exits 0 whatever the verdict; a non-zero exit means it broke.
import { compactDecrypt, importJWK } from 'jose';

const input = JSON.parse(await readStdin());
process.stdout.write(JSON.stringify(await decrypt(input)));

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function decrypt({ jwe, jwk }) {
  try {
    const key = await importJWK(jwk, 'ECDH-ES');
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, key, {
      keyManagementAlgorithms: ['ECDH-ES'],
      contentEncryptionAlgorithms: ['A128GCM', 'A256GCM'],
    });
    return { ok: true, header: protectedHeader, payload: JSON.parse(new TextDecoder().decode(plaintext)) };
  } catch (e) {
    return { ok: false, error: String(e && e.message || e) };
  }
}

// Package walletprovider owns the trusted wallet providers, whose
// attestations authenticate wallets (attest_jwt_client_auth): a
// [Provider] as the config file and the admin API give it (validated:
// name, issuer, client IDs, JWK set or trust anchors), and the [Registry]
// of those trusted now (the config file's and the store's, reloaded after
// each change through the admin API), each [Trusted] value ready to
// verify an attestation's signature or x5c chain.
//
// It does not read attestations or PoPs (package clientauth does), never
// authenticates a request, and knows no HTTP.
package walletprovider

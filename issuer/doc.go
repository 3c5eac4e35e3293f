// Package issuer is the facade of the token service: [New] validates a
// [Config], loads the signing key and the nonce secret from the store and
// wires the parts, which it exposes to the web package as fields of
// [Service]:
//
//   - Grants (package grant): the token endpoint and its grants;
//   - Resource (package resource): revocation, introspection, UserInfo;
//   - ClientAuth (clientauth), Clients (clients), WalletProviders
//     (walletprovider): client authentication and registration;
//   - Offers (offer), UMA (uma), Authz and Users (authz): the credential
//     offers, UMA resources and tickets, the authorization code flow.
//
// What stays here is what belongs to the whole server: the configuration
// and its defaults, the endpoint paths, the discovery documents and the
// JWK set, the DPoP-Nonce and c_nonce values, and the sweeper of expired
// state. It holds no protocol rule of its own, and knows nothing of HTTP
// frameworks or storage engines: the web package turns HTTP requests into
// calls on the parts, and the state lives behind [storage.Store].
package issuer

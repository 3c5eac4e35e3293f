// Package issuer is the domain of the token service and its facade: [New]
// builds a [Service] from a [Config] and a store, wiring the parts (package
// token mints, package clientauth authenticates clients) and exposing them
// to the web package. It still owns the parts that have no package of their
// own yet: the token endpoint's grants, PAR, /authorize, sign-in and
// consent, users, authorization_details,
// UMA resources and tickets, revocation, introspection,
// UserInfo and the metadata documents. It knows nothing of HTTP frameworks
// or storage engines: the web package turns HTTP requests into calls on
// [Service], and the state lives behind [storage.Store].
package issuer

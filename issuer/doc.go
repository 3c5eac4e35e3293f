// Package issuer is the domain of the token service and its facade: [New]
// builds a [Service] from a [Config] and a store, wiring the parts
// (package token mints, clientauth authenticates clients, offer serves the
// credential offers, uma the UMA resources and tickets, authz the
// authorization code flow and the users) and exposing them to the web
// package as fields of [Service]. It still owns the token endpoint and its
// grants, revocation, introspection, UserInfo and the metadata documents,
// until package grant takes them. It knows nothing of HTTP frameworks or
// storage engines: the web package turns HTTP requests into calls on
// [Service] and its parts, and the state lives behind [storage.Store].
package issuer

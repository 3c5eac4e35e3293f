// Package clients owns client registration (RFC 7591 field names, the
// admin API): [Registry] creates, reads and deletes clients after
// validating their metadata (authentication method, grant types, jwks or
// jwks_uri, the RFC 8705 TLS values), and [CheckRedirectURI] is the one
// allow-list of redirect URIs. It stores secrets only as hashes.
//
// It never authenticates a request (package clientauth does, with the
// methods [AuthMethods] lists), never fetches a jwks_uri, and knows no
// HTTP.
package clients

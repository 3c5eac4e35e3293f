// Package schema holds the JSON Schemas (draft 2020-12) of the messages
// this server sends and receives: token requests per grant, token, refresh,
// nonce, PAR, introspection and credential messages, the error responses
// per endpoint, and the JWTs (client assertion, DPoP proof, key proof).
// They are written once, embedded in the binary, served at /schemas/ and
// quoted by the README; the web tests validate every response against
// them, so that code and schema cannot drift apart.
//
// Form-encoded requests (application/x-www-form-urlencoded) are validated
// as a JSON object of string values, one member per parameter. A JWT is
// validated as {"header": <decoded JOSE header>, "payload": <decoded
// claims>}: [DecodeJWT] builds that document from a compact JWT (without
// checking its signature).
//
// Schemas refer to each other by relative URL (e.g. "error-response.json"),
// which resolves both inside the binary and at /schemas/ over HTTP.
package schema

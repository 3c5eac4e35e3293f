// Package limit holds the in-memory limits on guessing that the parts of
// the domain share: [Backoff] (delays that double per failure, for client
// secrets and sign-ins), [Failures] (a fixed-window budget of failures, for
// PAR pushes and token scans), [Seen] (keys remembered for a while) and
// [AddressKey] (what an address counts as).
//
// It is a leaf: it imports only the standard library, knows nothing of
// OAuth or storage, and must not: its users decide what a key is and what
// a refusal answers.
package limit

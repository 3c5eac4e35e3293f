// Package uma owns UMA 2.0 (Kantara): the resources registered through
// the admin API with their owners' grants and pending requests, the
// permission endpoint that hands a resource server its tickets
// (Federated Authorization §4), and the evaluation of a ticket at the
// token endpoint ([UMA.Evaluate]), which the UMA grant of package grant
// calls.
//
// What is supported:
//   - Resources are registered through the admin API on behalf of their
//     owner and of the resource server (a client that authenticates with a
//     secret) that protects them.
//   - The policy is the owner's explicit grants: scopes for a requesting
//     client, or for a requesting party (a user of this server, identified
//     by a pushed claim token: an access token this server issued to that
//     user). Resources marked ask_owner queue unmatched requests for the
//     owner's decision.
//   - Answers: an RPT with a permissions claim; need_info when a grant names
//     a requesting party and no claim token was pushed; request_submitted
//     for ask_owner resources; request_denied otherwise.
//   - Not supported: pct (persisted claims tokens), RPT upgrade (rpt is
//     ignored; upgraded is always false), redirect_user interactive claims
//     gathering, other claim token formats.
//
// The package does not mint the RPT nor redeem the ticket (the grant
// does), and knows no HTTP.
package uma

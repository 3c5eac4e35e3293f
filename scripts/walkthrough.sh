#!/usr/bin/env bash
# scripts/walkthrough.sh [BASE_URL]: runs every flow of the README's
# walkthrough, command for command, against a server that is already running
# (default http://127.0.0.1:8080) with an admin token (ISSUER_ADMIN_TOKEN).
# The `issuer` binary comes from PATH, else it is built from this checkout.
# Every name it registers carries a fresh suffix, so it can run again on the
# same database. It stops at the first step that fails, naming it.
#
# The README's walkthrough blocks are generated from the blocks between the
# "# >>> README name" and "# <<< README" markers below (a `step "…"` line
# becomes a `# …` comment): edit them here, then run
#   go test ./scripts -run TestREADMEWalkthrough -update
set -euo pipefail

BASE=${1:-http://127.0.0.1:8080}
BASE=${BASE%/}
ADMIN_TOKEN=${ISSUER_ADMIN_TOKEN:?"set ISSUER_ADMIN_TOKEN to the server's --admin-token"}
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/walkthrough.XXXXXX")
# A failure in the sections that start a server of their own leaves neither
# the server nor its files behind.
cleanup() {
  for pid in ${NONCE_PID:-} ${MTLS_PID:-}; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK" "${NONCE_DIR:-$WORK}" "${PKI:-$WORK}"
}
trap cleanup EXIT
STEP="starting"
trap 'echo "walkthrough: FAILED at \"$STEP\" (scripts/walkthrough.sh line $LINENO: $BASH_COMMAND)" >&2' ERR
step() { STEP=$1; echo "== $1" >&2; }

for tool in curl jq openssl; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is missing (Debian: apt-get install -y $tool)" >&2; exit 1; }
done
# The built binary rather than `go run` for each command: faster, and a
# server started in the background stops with kill (go run's child would not).
if ! command -v issuer >/dev/null; then
  step "building the issuer binary (none on PATH)"
  (cd "$REPO" && go build -o "$WORK/bin/issuer" ./cmd/issuer)
  PATH="$WORK/bin:$PATH"
fi
cd "$WORK" # wallet-key.json, the cookie jar and the demo PKI land here
command curl -sS --fail-with-body -o /dev/null "$BASE/.well-known/openid-credential-issuer" ||
  { echo "walkthrough: no issuer answers at $BASE (start one with --admin-token)" >&2; exit 1; }

# >>> README setup
TAG=$(date +%s)-$RANDOM   # a suffix for the names registered below: run it all again on the same database
# curl that fails on an HTTP error status and then shows the server's JSON error, even where its output is captured
curl() { local out; out=$(command curl -sS --fail-with-body "$@") || { local s=$?; echo "$out" >&2; return $s; }; [ -z "$out" ] || echo "$out"; }
# <<< README

# >>> README preauth
step "1. The issuer creates an offer with the subject's claims and a transaction code (admin API)."
OFFER=$(curl "$BASE/admin/offers" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" -d '{
  "credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"], "subject":"erika-'$TAG'", "tx_code":{"length":6},
  "claims":{"given_name":"Erika","family_name":"Mustermann","birthdate":"1964-08-12","nationalities":["DE"],
    "place_of_birth":{"locality":"Berlin"},"date_of_expiry":"2031-01-01","issuing_authority":"DE","issuing_country":"DE"}}')
CODE=$(jq -er '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]' <<<"$OFFER")
TX_CODE=$(jq -er .tx_code <<<"$OFFER")   # returned once, for the issuer to send to the user out of band
jq -r .qr_url <<<"$OFFER"                # the offer as a QR code, for a wallet to scan

step "2. The wallet redeems the code with the transaction code and a DPoP proof (valid for 60 s)."
TOKEN=$(curl "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code \
  --data-urlencode pre-authorized_code="$CODE" -d tx_code="$TX_CODE")
ACCESS_TOKEN=$(jq -er .access_token <<<"$TOKEN")   # DPoP-bound: cnf.jkt is the wallet key's thumbprint; 5 min
CREDENTIAL_ID=$(jq -er '.authorization_details[0].credential_identifiers[0]' <<<"$TOKEN")
issuer decode --url "$BASE" "$ACCESS_TOKEN"   # its header and claims, verified with the server's /jwks

step "3. The wallet gets a c_nonce (valid 5 min) and signs a key proof over it; the credential is bound to that key."
C_NONCE=$(curl -X POST "$BASE/nonce" | jq -er .c_nonce)
KEY_PROOF=$(issuer keyproof --aud "$BASE" --nonce "$C_NONCE")

step "4. The wallet fetches the credential, with the access token and a DPoP proof over it (ath)."
RESPONSE=$(curl "$BASE/credential" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" POST "$BASE/credential")" \
  -H "Content-Type: application/json" \
  -d '{"credential_identifier":"'"$CREDENTIAL_ID"'","proofs":{"jwt":["'"$KEY_PROOF"'"]}}')
CREDENTIAL=$(jq -er '.credentials[0].credential' <<<"$RESPONSE")
NOTIFICATION_ID=$(jq -er .notification_id <<<"$RESPONSE")

step "5. Decode the SD-JWT VC: the disclosed claims, and whether its signature and digests verify."
issuer show --url "$BASE" "$CREDENTIAL"

step "6. The wallet tells the issuer it kept the credential (notification: 204); the admin API shows it."
curl "$BASE/notification" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" POST "$BASE/notification")" \
  -H "Content-Type: application/json" -d '{"notification_id":"'"$NOTIFICATION_ID"'","event":"credential_accepted"}'
curl "$BASE/admin/offers/$(jq -er .offer_id <<<"$OFFER")" -H "Authorization: Bearer $ADMIN_TOKEN" |
  jq -e '.notifications[0].event == "credential_accepted"'

step "7. A resource server (a client with a secret) introspects the token; the wallet revokes it."
RS_SECRET=$(curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"rs-'$TAG'","grant_types":["client_credentials"]}' | jq -er .client_secret)
curl -u "rs-$TAG:$RS_SECRET" "$BASE/introspect" -d token="$ACCESS_TOKEN" | jq -e '.active == true'
curl "$BASE/revoke" -d token="$ACCESS_TOKEN"
curl -u "rs-$TAG:$RS_SECRET" "$BASE/introspect" -d token="$ACCESS_TOKEN" | jq -e '.active == false'
# <<< README

# >>> README deferred
step "1. The issuer creates a deferred offer: the subject's claims come later (admin API)."
OFFER=$(curl "$BASE/admin/offers" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"],"subject":"max-'$TAG'","deferred":true}')
OFFER_ID=$(jq -er .offer_id <<<"$OFFER")
CODE=$(jq -er '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]' <<<"$OFFER")

step "2. The wallet redeems the code and asks for the credential: 202 with a transaction_id to poll with."
TOKEN=$(curl "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code --data-urlencode pre-authorized_code="$CODE")
ACCESS_TOKEN=$(jq -er .access_token <<<"$TOKEN")
CREDENTIAL_ID=$(jq -er '.authorization_details[0].credential_identifiers[0]' <<<"$TOKEN")
C_NONCE=$(curl -X POST "$BASE/nonce" | jq -er .c_nonce)
TRANSACTION_ID=$(curl "$BASE/credential" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" POST "$BASE/credential")" -H "Content-Type: application/json" \
  -d '{"credential_identifier":"'"$CREDENTIAL_ID"'","proofs":{"jwt":["'"$(issuer keyproof --aud "$BASE" --nonce "$C_NONCE")"'"]}}' |
  jq -er .transaction_id)

step "3. Polling before the issuer has the claims: 202 again, with the same transaction_id and an interval."
curl "$BASE/deferred_credential" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" POST "$BASE/deferred_credential")" \
  -H "Content-Type: application/json" -d '{"transaction_id":"'"$TRANSACTION_ID"'"}' | jq -e '.interval > 0'

step "4. The issuer supplies the claims (admin API: 204); the next poll gets the credential, once."
curl "$BASE/admin/offers/$OFFER_ID/claims" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"given_name":"Max","family_name":"Mustermann","birthdate":"1970-01-01","nationalities":["DE"],
    "place_of_birth":{"locality":"Köln"},"date_of_expiry":"2031-01-01","issuing_authority":"DE","issuing_country":"DE"}'
CREDENTIAL=$(curl "$BASE/deferred_credential" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" POST "$BASE/deferred_credential")" \
  -H "Content-Type: application/json" -d '{"transaction_id":"'"$TRANSACTION_ID"'"}' | jq -er '.credentials[0].credential')
issuer show --url "$BASE" "$CREDENTIAL"
# <<< README

# >>> README authcode
step "1. The issuer adds a user, a wallet client and an offer with the authorization_code grant."
curl "$BASE/admin/users" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"username":"alice-'$TAG'","password":"correct horse","claims":{"given_name":"Alice"}}'
curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"wallet-'$TAG'","token_endpoint_auth_method":"none",
       "grant_types":["authorization_code","refresh_token"],"redirect_uris":["https://wallet.example/cb"]}'
ISSUER_STATE=$(curl "$BASE/admin/offers" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"],"subject":"alice-'$TAG'","grants":["authorization_code"]}' |
  jq -er .credential_offer.grants.authorization_code.issuer_state)

step "2. The wallet: PKCE, then the pushed authorization request, bound to its DPoP key."
eval "$(issuer pkce)"   # sets CODE_VERIFIER and CODE_CHALLENGE
REQUEST_URI=$(curl "$BASE/par" -H "DPoP: $(issuer proof POST "$BASE/par")" \
  -d client_id="wallet-$TAG" -d response_type=code -d redirect_uri=https://wallet.example/cb \
  -d code_challenge="$CODE_CHALLENGE" -d code_challenge_method=S256 \
  -d scope=openid -d issuer_state="$ISSUER_STATE" -d state=s1 -d nonce=n1 | jq -er .request_uri)
echo "$BASE/authorize?client_id=wallet-$TAG&request_uri=$REQUEST_URI"   # a browser would open this: sign in, allow

step "3. The user signs in and allows, here with curl: each page has its own csrf_token (request_uri: 60 s)."
PAGE=$(curl -c jar -b jar -G "$BASE/authorize" -d client_id="wallet-$TAG" --data-urlencode request_uri="$REQUEST_URI")
PAGE=$(curl -c jar -b jar "$BASE/authorize/login" -d csrf_token="$(grep -o 'name="csrf_token" value="[^"]*' <<<"$PAGE" | cut -d'"' -f4)" \
  -d username="alice-$TAG" --data-urlencode "password=correct horse")
REDIRECT=$(curl -c jar -b jar -o /dev/null -w '%{redirect_url}' "$BASE/authorize/consent" \
  -d csrf_token="$(grep -o 'name="csrf_token" value="[^"]*' <<<"$PAGE" | cut -d'"' -f4)" -d decision=approve)
echo "$REDIRECT"   # https://wallet.example/cb?code=…&iss=…&state=s1
CODE=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$REDIRECT")

step "4. The wallet redeems the code (valid 60 s) with a proof of the same key."
TOKEN=$(curl "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=authorization_code -d client_id="wallet-$TAG" -d redirect_uri=https://wallet.example/cb \
  -d code_verifier="$CODE_VERIFIER" --data-urlencode code="$CODE")
ACCESS_TOKEN=$(jq -er .access_token <<<"$TOKEN")
jq -er '.refresh_token, .id_token' <<<"$TOKEN" >/dev/null

step "5. UserInfo, with the access token and a proof that carries its hash (ath)."
curl "$BASE/userinfo" -H "Authorization: DPoP $ACCESS_TOKEN" \
  -H "DPoP: $(issuer proof --access-token "$ACCESS_TOKEN" GET "$BASE/userinfo")" | jq -e '.given_name == "Alice"'
# <<< README

# >>> README clientcreds
step "A back-end client with a secret: client_credentials."
BACKEND_SECRET=$(curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"backend-'$TAG'","scope":"status","grant_types":["client_credentials"]}' | jq -er .client_secret)
curl -u "backend-$TAG:$BACKEND_SECRET" "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=client_credentials | jq -e '.token_type == "DPoP" and .scope == "status"'
# <<< README

# >>> README password
step "A first-party app: password, then refresh_token."
curl "$BASE/admin/users" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"username":"bob-'$TAG'","password":"correct horse","claims":{"given_name":"Bob"}}'
APP_SECRET=$(curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"app-'$TAG'","grant_types":["password","refresh_token"]}' | jq -er .client_secret)
REFRESH_TOKEN=$(curl -u "app-$TAG:$APP_SECRET" "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=password -d username="bob-$TAG" --data-urlencode "password=correct horse" | jq -er .refresh_token)
curl -u "app-$TAG:$APP_SECRET" "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=refresh_token --data-urlencode refresh_token="$REFRESH_TOKEN" | jq -e '.access_token | length > 0'
# <<< README

# >>> README uma
step "UMA: carol's resource, protected by a resource server, shared with a client."
curl "$BASE/admin/users" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"username":"carol-'$TAG'","password":"correct horse"}'
RS_SECRET=$(curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"photos-rs-'$TAG'","grant_types":["client_credentials"]}' | jq -er .client_secret)
APP_SECRET=$(curl "$BASE/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"client_id":"viewer-'$TAG'","grant_types":["urn:ietf:params:oauth:grant-type:uma-ticket"]}' | jq -er .client_secret)
RESOURCE_ID=$(curl "$BASE/admin/uma/resources" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"resource_server":"photos-rs-'$TAG'","owner":"carol-'$TAG'","name":"photos","resource_scopes":["view","edit"]}' | jq -er .id)
curl "$BASE/admin/uma/resources/$RESOURCE_ID/grants" -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H "Content-Type: application/json" -d '{"client_id":"viewer-'$TAG'","scopes":["view"]}'
step "The resource server asks for a ticket when the client comes without a token ..."
TICKET=$(curl -u "photos-rs-$TAG:$RS_SECRET" "$BASE/uma/permission" -H "Content-Type: application/json" \
  -d '{"resource_id":"'"$RESOURCE_ID"'","resource_scopes":["view"]}' | jq -er .ticket)
step "... and the client redeems it for a requesting party token with a permissions claim."
RPT=$(curl -u "viewer-$TAG:$APP_SECRET" "$BASE/token" -H "DPoP: $(issuer proof POST "$BASE/token")" \
  -d grant_type=urn:ietf:params:oauth:grant-type:uma-ticket -d ticket="$TICKET" | jq -er .access_token)
issuer decode "$RPT" | jq -e '.payload.permissions[0].resource_scopes == ["view"]'
# <<< README

# >>> README nonce
step "A second server, with RFC 9449 server nonces (--dpop-nonce) and a database of its own."
NONCE_ADDR=${NONCE_ADDR:-127.0.0.1:8081}
NONCE_DIR=$(mktemp -d)
issuer --addr "$NONCE_ADDR" --url "http://$NONCE_ADDR" --db "$NONCE_DIR/issuer.db" --admin-token "$ADMIN_TOKEN" \
  --dpop-nonce --log-level warn &
NONCE_PID=$!
for _ in $(seq 50); do curl -o /dev/null "http://$NONCE_ADDR/jwks" 2>/dev/null && break; sleep 0.2; done
CODE=$(curl "http://$NONCE_ADDR/admin/offers" -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: application/json" \
  -d '{"credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"],"subject":"erika"}' |
  jq -er '.credential_offer.grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]')

step "A proof without a nonce gets 400 use_dpop_nonce and a DPoP-Nonce header (5 min); the retry signs that nonce."
DPOP_NONCE=$(command curl -s -o /dev/null -D - "http://$NONCE_ADDR/token" -H "DPoP: $(issuer proof POST "http://$NONCE_ADDR/token")" \
  -d grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code --data-urlencode pre-authorized_code="$CODE" |
  sed -n 's/^dpop-nonce: *//Ip' | tr -d '\r')
curl "http://$NONCE_ADDR/token" -H "DPoP: $(issuer proof --nonce "$DPOP_NONCE" POST "http://$NONCE_ADDR/token")" \
  -d grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code --data-urlencode pre-authorized_code="$CODE" |
  jq -e '.token_type == "DPoP"'
kill "$NONCE_PID" && wait "$NONCE_PID"; rm -r "$NONCE_DIR"
# <<< README

# >>> README mtls
step "A demo PKI in a directory of its own: one CA for the server and the client certificates."
PKI=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=Demo CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$PKI/server.key" -out "$PKI/server.csr" 2>/dev/null
openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -days 90 -out "$PKI/server.pem" \
  -extfile <(printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth") 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Example/CN=backend" \
  -keyout "$PKI/client.key" -out "$PKI/client.csr" 2>/dev/null
openssl x509 -req -in "$PKI/client.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -days 90 -out "$PKI/client.pem" \
  -extfile <(printf "extendedKeyUsage=clientAuth") 2>/dev/null

step "Another server, that serves HTTPS and asks clients for certificates, with a database of its own."
MTLS_ADDR=${MTLS_ADDR:-127.0.0.1:8443}
issuer --addr "$MTLS_ADDR" --url "https://$MTLS_ADDR" --db "$PKI/mtls.db" --admin-token "$ADMIN_TOKEN" \
  --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" --client-ca "$PKI/ca.pem" --log-level warn &
MTLS_PID=$!
for _ in $(seq 50); do curl --cacert "$PKI/ca.pem" -o /dev/null "https://$MTLS_ADDR/jwks" 2>/dev/null && break; sleep 0.2; done

step "A tls_client_auth client, named by its certificate's subject DN, gets a token bound to the certificate."
openssl x509 -in "$PKI/client.pem" -noout -subject -nameopt RFC2253   # subject=CN=backend,O=Example
curl --cacert "$PKI/ca.pem" "https://$MTLS_ADDR/admin/clients" -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H "Content-Type: application/json" -d '{"client_id":"backend","token_endpoint_auth_method":"tls_client_auth",
  "tls_client_auth_subject_dn":"CN=backend,O=Example","grant_types":["client_credentials"]}'
ACCESS_TOKEN=$(curl --cert "$PKI/client.pem" --key "$PKI/client.key" --cacert "$PKI/ca.pem" "https://$MTLS_ADDR/token" \
  -H "DPoP: $(issuer proof POST "https://$MTLS_ADDR/token")" \
  -d grant_type=client_credentials -d client_id=backend | jq -er .access_token)
issuer decode "$ACCESS_TOKEN" | jq -e '.payload.cnf | has("jkt") and has("x5t#S256")'
kill "$MTLS_PID" && wait "$MTLS_PID"; rm -r "$PKI"
# <<< README

step "done"
echo "walkthrough: every flow passed against $BASE" >&2

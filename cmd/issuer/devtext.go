package main

import (
	"io"
	"text/template"
	"time"
)

// demoText is what --dev prints.
type demoText struct {
	Base, Admin, Client, ClientNote, User, Password, Callback, Config string
	PreOffer, PreQR, PreCode, CodeQR, IssuerState                     string
	PreTTL, CodeTTL                                                   time.Duration
	PID                                                               int
}

// demoTemplate prints the demo's steps as commands that work pasted in
// this order, each value captured into a shell variable with jq.
var demoTemplate = template.Must(template.New("dev").Parse(`
issuer is running in demo mode (--dev). Stop it with Ctrl-C, or: kill {{.PID}}

  admin token:          {{.Admin}}
  demo client:          {{.Client}} ({{.ClientNote}}; public, DPoP-bound tokens)
  demo user:            {{.User}} / {{if .Password}}{{.Password}} (new){{else}}(reused: its password is the one printed when --dev first ran on this database){{end}}

  Offer 1, pre-authorized code (valid {{.PreTTL}}):
  credential offer:     {{.PreOffer}}
  QR page of the offer: {{.PreQR}}
  pre-authorized code:  {{.PreCode}}

  Offer 2, authorization code flow (valid {{.CodeTTL}}):
  QR page of the offer: {{.CodeQR}}
  issuer_state={{.IssuerState}}

The commands need curl and jq; "issuer proof" signs DPoP proofs with the wallet key in
./wallet-key.json, "issuer keyproof" the key proof the credential is bound to.

1. Redeem offer 1 and fetch the PID:

  BASE={{.Base}}
  TOKEN=$(curl -s $BASE/token -H "DPoP: $(go run ./cmd/issuer proof POST $BASE/token)" \
    -d grant_type=urn:ietf:params:oauth:grant-type:pre-authorized_code -d pre-authorized_code={{.PreCode}})
  AT=$(echo "$TOKEN" | jq -r .access_token); ID=$(echo "$TOKEN" | jq -r '.authorization_details[0].credential_identifiers[0]')
  C_NONCE=$(curl -s -X POST $BASE/nonce | jq -r .c_nonce)
  curl -s $BASE/credential -H "Authorization: DPoP $AT" \
    -H "DPoP: $(go run ./cmd/issuer proof --access-token "$AT" POST $BASE/credential)" -H "Content-Type: application/json" \
    -d '{"credential_identifier":"'"$ID"'","proofs":{"jwt":["'"$(go run ./cmd/issuer keyproof --aud $BASE --nonce "$C_NONCE")"'"]}}'

2. The authorization code flow with offer 2 (the request_uri and the code live 60 s each):

  eval "$(go run ./cmd/issuer pkce)"
  REQUEST_URI=$(curl -s $BASE/par -H "DPoP: $(go run ./cmd/issuer proof POST $BASE/par)" \
    -d client_id={{.Client}} -d response_type=code -d redirect_uri={{.Callback}} \
    -d code_challenge=$CODE_CHALLENGE -d code_challenge_method=S256 \
    -d scope=openid -d issuer_state={{.IssuerState}} | jq -r .request_uri)
  echo "$BASE/authorize?client_id={{.Client}}&request_uri=$REQUEST_URI"

  Open that URL in a browser, sign in as {{.User}} and allow; the callback page shows the code. Then:

  CODE=<the code>
  curl -s $BASE/token -H "DPoP: $(go run ./cmd/issuer proof POST $BASE/token)" \
    -d grant_type=authorization_code -d client_id={{.Client}} -d redirect_uri={{.Callback}} \
    -d code_verifier=$CODE_VERIFIER -d code=$CODE

3. Another offer, with a transaction code (admin API):

  curl -s $BASE/admin/offers -H "Authorization: Bearer {{.Admin}}" -H "Content-Type: application/json" \
    -d '{"credential_configuration_ids":["{{.Config}}"],"subject":"{{.User}}","tx_code":{"length":6}}'

Stop the server with Ctrl-C, or: kill {{.PID}}

`))

func writeDemo(w io.Writer, d demoText) error { return demoTemplate.Execute(w, d) }

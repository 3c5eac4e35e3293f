package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"issuer/issuer/oauth"
)

// The header fields the domain's data becomes: every response that
// carries a challenge, a delay or a nonce sets it here.

// setChallenges renders the challenges of an error response: its
// WWW-Authenticate, Retry-After, DPoP-Nonce and attestation challenge,
// each replacing any value set before.
func setChallenges(c echo.Context, e *oauth.Error) {
	if e.Challenge != nil {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, challengeValue(e.Challenge))
	}
	setRetryAfter(c, e.RetryAfter)
	setDPoPNonce(c, e.DPoPNonce)
	setAttestationChallenge(c, e.AttestationChallenge)
}

// setRetryAfter sets Retry-After to d in whole seconds, rounded up (RFC
// 9110 §10.2.3), when d is positive.
func setRetryAfter(c echo.Context, d time.Duration) {
	if d > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(oauth.DelaySeconds(d)))
	}
}

// setDPoPNonce sets the DPoP-Nonce field (RFC 9449 §8) when n is set.
func setDPoPNonce(c echo.Context, n string) {
	if n != "" {
		c.Response().Header().Set(oauth.HeaderDPoPNonce, n)
	}
}

// setAttestationChallenge sets the OAuth-Client-Attestation-Challenge
// field (attestation draft -07 §8.1) when ch is set.
func setAttestationChallenge(c echo.Context, ch string) {
	if ch != "" {
		c.Response().Header().Set(oauth.HeaderAttestationChallenge, ch)
	}
}

// challengeValue renders a challenge (RFC 9110 §11.6.1): the scheme, then
// its present auth-params as quoted strings, in a fixed order. Quotes and
// backslashes in values become ' and /, so that no value needs escaping.
func challengeValue(ch *oauth.Challenge) string {
	var params []string
	add := func(name, value string) {
		if value != "" {
			params = append(params, name+`="`+quoteSafe.Replace(value)+`"`)
		}
	}
	add("realm", ch.Realm)
	add("error", ch.Code)
	add("error_description", ch.Description)
	add("scope", ch.Scope)
	add("algs", strings.Join(ch.Algs, " "))
	if len(params) == 0 {
		return ch.Scheme
	}
	return ch.Scheme + " " + strings.Join(params, ", ")
}

var quoteSafe = strings.NewReplacer(`"`, "'", `\`, "/")

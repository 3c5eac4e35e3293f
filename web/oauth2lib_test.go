package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"issuer/issuer"
	"issuer/issuer/oauth"
)

// TestAuthCodeOAuth2Library redeems a code with golang.org/x/oauth2 (its
// PKCE helpers and Exchange with VerifierOption), adding DPoP proofs in
// the transport as a DPoP-aware client would.
func TestAuthCodeOAuth2Library(t *testing.T) {
	s := newAuthFlow(t)
	w := newWallet(t)
	cfg := oauth2.Config{
		ClientID: s.ClientID, RedirectURL: afRedirect, Scopes: []string{"openid", pidConfig},
		Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
	}
	hc := &http.Client{Transport: &dpopTransport{w: w, now: s.Clock.Now, base: http.DefaultTransport}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
	newCode := func(t *testing.T) (string, string) {
		verifier := oauth2.GenerateVerifier()
		pk := afPKCE{Verifier: verifier, Challenge: oauth2.S256ChallengeFromVerifier(verifier)}
		return s.afCode(t, afParams(s.ClientID, pk, url.Values{"scope": {strings.Join(cfg.Scopes, " ")}}), nil), verifier
	}

	t.Run("Exchange", func(t *testing.T) {
		code, verifier := newCode(t)
		tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange() = %v; want success", err)
		}
		if tok.Type() != "DPoP" || tok.RefreshToken == "" {
			t.Errorf("Type() = %q, RefreshToken = %q; want DPoP and a refresh token", tok.Type(), tok.RefreshToken)
		}
		if rfJKT(t, tok.AccessToken) != w.JKT {
			t.Errorf("cnf.jkt = %q; want %s", rfJKT(t, tok.AccessToken), w.JKT)
		}
		idt, _ := tok.Extra("id_token").(string)
		if idt == "" {
			t.Fatalf("Extra(id_token) = %v; want an ID token", tok.Extra("id_token"))
		}
		if _, claims := jwtParts(t, idt); claims["at_hash"] != acAtHash(tok.AccessToken) {
			t.Errorf("at_hash = %v; want %s", claims["at_hash"], acAtHash(tok.AccessToken))
		}
		_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" {
			t.Fatalf("second Exchange() = %v; want a 400 invalid_grant RetrieveError", err)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, _ := newCode(t)
		_, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != http.StatusBadRequest || re.ErrorCode != "invalid_grant" {
			t.Fatalf("Exchange() = %v; want a 400 invalid_grant RetrieveError", err)
		}
	})
}

// TestOAuth2Library redeems a code with golang.org/x/oauth2, a real client
// library, authenticating with client_secret_basic.
func TestOAuth2Library(t *testing.T) {
	ts := newTestServer(t)
	client := ts.registerClient(t, map[string]any{
		"client_id": "lib-wallet", "grant_types": []string{preAuth}, // client_secret_basic by default
	})
	cfg := oauth2.Config{
		ClientID: client.ID, ClientSecret: client.Secret,
		Endpoint: oauth2.Endpoint{TokenURL: ts.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
	w := newWallet(t)
	hc := &http.Client{Transport: &dpopTransport{w: w, now: ts.Clock.Now, base: http.DefaultTransport}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)

	t.Run("success", func(t *testing.T) {
		o := ts.offer(t, nil)
		before := time.Now()
		tok, err := cfg.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", preAuth), oauth2.SetAuthURLParam("pre-authorized_code", code(o)))
		if err != nil {
			t.Fatalf("Exchange() = %v; want success", err)
		}
		if tok.Type() != "DPoP" {
			t.Errorf("Type() = %q; want DPoP", tok.Type())
		}
		if n, _ := tok.Extra("c_nonce").(string); n == "" {
			t.Errorf("Extra(c_nonce) = %v; want a non-empty string", tok.Extra("c_nonce"))
		}
		if d := tok.Expiry.Sub(before); d < 5*time.Minute-10*time.Second || d > 5*time.Minute+10*time.Second {
			t.Errorf("Expiry is %v from now; want about 5 minutes", d)
		}
		_, claims := jwtParts(t, tok.AccessToken)
		if claims["client_id"] != client.ID {
			t.Errorf("client_id claim = %v; want %s", claims["client_id"], client.ID)
		}
		if cnf, _ := claims["cnf"].(map[string]any); cnf["jkt"] != w.JKT {
			t.Errorf("cnf = %v; want jkt %s", claims["cnf"], w.JKT)
		}
	})
	t.Run("J04 failure is a RetrieveError", func(t *testing.T) {
		o := ts.offer(t, nil)
		opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("grant_type", preAuth), oauth2.SetAuthURLParam("pre-authorized_code", code(o))}
		if _, err := cfg.Exchange(ctx, "", opts...); err != nil {
			t.Fatalf("first Exchange() = %v; want success", err)
		}
		_, err := cfg.Exchange(ctx, "", opts...)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatalf("second Exchange() = %v (%T); want *oauth2.RetrieveError", err, err)
		}
		if re.ErrorCode != "invalid_grant" || re.Response.StatusCode != http.StatusBadRequest {
			t.Fatalf("RetrieveError = %d %q; want 400 invalid_grant", re.Response.StatusCode, re.ErrorCode)
		}
	})
	t.Run("wrong secret is a RetrieveError invalid_client", func(t *testing.T) {
		o := ts.offer(t, nil)
		bad := cfg
		bad.ClientSecret += "x"
		_, err := bad.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", preAuth), oauth2.SetAuthURLParam("pre-authorized_code", code(o)))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Fatalf("Exchange() = %v; want a 401 invalid_client RetrieveError", err)
		}
	})
}

// TestClientCredentialsOAuth2Library obtains a token with
// golang.org/x/oauth2/clientcredentials, a real client library, over a
// transport that adds a DPoP proof to each request.
func TestClientCredentialsOAuth2Library(t *testing.T) {
	ts := newTestServer(t)
	c := ts.ccClient(t, "client_secret_basic", "status read")
	w := newWallet(t)
	hc := &http.Client{Transport: &dpopTransport{w: w, now: ts.Clock.Now, base: http.DefaultTransport}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
	conf := clientcredentials.Config{ClientID: c.ID, ClientSecret: c.Secret, TokenURL: ts.TokenURL(), Scopes: []string{"read"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := conf.Token(ctx)
	if err != nil {
		t.Fatalf("clientcredentials Token() = %v", err)
	}
	if tok.Type() != "DPoP" || tok.RefreshToken != "" || tok.Extra("scope") != "read" || tok.Extra("c_nonce") != nil {
		t.Fatalf("token = type %q, refresh %q, scope %v, c_nonce %v; want DPoP, none, read, none", tok.Type(), tok.RefreshToken, tok.Extra("scope"), tok.Extra("c_nonce"))
	}
	_, claims := jwtParts(t, tok.AccessToken)
	cnf, _ := claims["cnf"].(map[string]any)
	if claims["sub"] != c.ID || claims["client_id"] != c.ID || claims["scope"] != "read" || cnf["jkt"] != w.JKT {
		t.Fatalf("claims = %v; want sub and client_id %s, scope read, cnf.jkt %s", claims, c.ID, w.JKT)
	}
	conf.Scopes = []string{"admin"}
	_, err = conf.Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
		t.Fatalf("escalated scope: %v; want a RetrieveError invalid_scope", err)
	}
}

// TestRefreshOAuth2Library refreshes with golang.org/x/oauth2: the library
// sends the refresh request itself once the token has expired.
func TestRefreshOAuth2Library(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run(fmt.Sprintf("rotation %t", rotate), func(t *testing.T) {
			ts := newTestServer(t, func(c *issuer.Config) { c.Tokens.RotateRefreshTokens = rotate })
			client := ts.rfRegister(t, "rf-lib-wallet", oauth.AuthClientSecretBasic, preAuth, rfGrant)
			conf := oauth2.Config{
				ClientID: client.ID, ClientSecret: client.Secret,
				Endpoint: oauth2.Endpoint{TokenURL: ts.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
			}
			w := newWallet(t)
			hc := &http.Client{Transport: &dpopTransport{w: w, now: ts.Clock.Now, base: http.DefaultTransport}}
			ctx := context.WithValue(t.Context(), oauth2.HTTPClient, hc)
			o := ts.offer(t, nil)
			tok, err := conf.Exchange(ctx, "", oauth2.SetAuthURLParam("grant_type", preAuth), oauth2.SetAuthURLParam("pre-authorized_code", code(o)))
			if err != nil {
				t.Fatalf("Exchange() = %v; want success", err)
			}
			if tok.RefreshToken == "" {
				t.Fatalf("Exchange() token has no refresh token")
			}
			firstAT, firstRT := tok.AccessToken, tok.RefreshToken
			for i := range 2 {
				tok.Expiry = time.Now().Add(-time.Minute)
				next, err := conf.TokenSource(ctx, tok).Token()
				if err != nil {
					t.Fatalf("refresh %d: TokenSource().Token() = %v; want success", i+1, err)
				}
				if next.AccessToken == tok.AccessToken || next.AccessToken == firstAT {
					t.Errorf("refresh %d: access token unchanged; want a new one", i+1)
				}
				if next.Type() != "DPoP" {
					t.Errorf("refresh %d: Type() = %q; want DPoP", i+1, next.Type())
				}
				if got := rfJKT(t, next.AccessToken); got != w.JKT {
					t.Errorf("refresh %d: cnf.jkt = %q; want %q", i+1, got, w.JKT)
				}
				if d := time.Until(next.Expiry); d < 4*time.Minute || d > 6*time.Minute {
					t.Errorf("refresh %d: Expiry is %v from now; want about 5 minutes", i+1, d)
				}
				switch {
				case rotate && (next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.RefreshToken == firstRT):
					t.Errorf("refresh %d: RefreshToken = %q; want the new rotated refresh token", i+1, next.RefreshToken)
				case !rotate && next.RefreshToken != firstRT:
					t.Errorf("refresh %d: RefreshToken = %q; want the original %q kept", i+1, next.RefreshToken, firstRT)
				}
				tok = next
			}
		})
	}
}

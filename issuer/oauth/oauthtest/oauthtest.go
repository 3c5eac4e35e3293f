// Package oauthtest holds the assertions the domain packages' tests share
// about OAuth errors. Only tests import it.
package oauthtest

import (
	"errors"
	"testing"

	"issuer/issuer/oauth"
)

// WantError asserts that err is an [oauth.Error] with the code, and with
// the description desc unless desc is empty, and returns it.
func WantError(t testing.TB, err error, code, desc string) *oauth.Error {
	t.Helper()
	var e *oauth.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v; want an oauth error %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("error = %s %q; want %s", e.Code, e.Description, code)
	}
	if desc != "" && e.Description != desc {
		t.Errorf("description = %q; want %q", e.Description, desc)
	}
	return e
}

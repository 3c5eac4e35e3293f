package main

import (
	"fmt"
	"net/url"
	"strings"
)

// checkURL refuses what is not an absolute http(s) URL, with a hint when
// the scheme is missing: a proof for "127.0.0.1:8080/token" would carry
// an htu that no server matches.
func checkURL(what, v string) error {
	u, err := url.Parse(v)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil {
		return nil
	}
	if !strings.Contains(v, "://") {
		return usageError{fmt.Sprintf("%s %q has no scheme: write it in full, e.g. http://%s", what, v, strings.TrimPrefix(v, "//"))}
	}
	return usageError{fmt.Sprintf("%s %q is not an absolute http or https URL", what, v)}
}

// checkMethod refuses what is not an HTTP method token in capitals (the
// htm of a DPoP proof is compared case-sensitively).
func checkMethod(m string) error {
	if m == "" || strings.TrimFunc(m, func(r rune) bool { return 'A' <= r && r <= 'Z' }) != "" {
		return usageError{fmt.Sprintf("METHOD %q is not an HTTP method in capitals, e.g. POST (usage: issuer proof [flags] METHOD URL)", m)}
	}
	return nil
}

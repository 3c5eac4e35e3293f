package issuer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"issuer/issuer"
	"issuer/storage"
	"issuer/storage/memory"
)

// TestRunSweeper checks, on synctest's fake clock, that the background
// sweeper removes an expired offer and keeps a live one.
func TestRunSweeper(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := memory.New()
		svc, err := issuer.New(t.Context(), issuer.Defaults(), store, nil)
		if err != nil {
			t.Fatal(err)
		}
		req := func(ttl int64) issuer.OfferRequest {
			return issuer.OfferRequest{CredentialConfigurationIDs: []string{"eu.europa.ec.eudi.pid_mso_mdoc"}, Subject: "s", ExpiresIn: &ttl}
		}
		short, err := svc.Offers.Create(t.Context(), req(60))
		if err != nil {
			t.Fatal(err)
		}
		long, err := svc.Offers.Create(t.Context(), req(3600))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go svc.RunSweeper(ctx, 30*time.Second)
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if _, err := store.GetOffer(t.Context(), short.OfferID); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired offer after sweeping: %v; want oauth.ErrNotFound", err)
		}
		if _, err := store.GetOffer(t.Context(), long.OfferID); err != nil {
			t.Errorf("live offer after sweeping: %v; want it kept", err)
		}
		cancel()
	})
}

// TestConfigValidate checks that every problem is reported at once and
// that the FAPI 2.0 cap on future skew holds.
func TestConfigValidate(t *testing.T) {
	c := issuer.Defaults()
	c.URL = "ftp://x?y"
	c.DPoP.Policy = "sometimes"
	c.DPoP.FutureSkew = 61 * time.Second
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil; want errors")
	}
	for _, want := range []string{"url", "dpop.policy", "dpop.future_skew"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q; want it to mention %s", err, want)
		}
	}
}

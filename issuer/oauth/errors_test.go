package oauth

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestDelaySeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{
		{time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {1500 * time.Millisecond, 2}, {30 * time.Second, 30},
	} {
		if got := DelaySeconds(tc.d); got != tc.want {
			t.Errorf("DelaySeconds(%v) = %d; want %d", tc.d, got, tc.want)
		}
	}
}

func TestConstructorsAreFresh(t *testing.T) {
	a, b := ErrInvalidClient("x"), ErrInvalidClient("x")
	a.WithChallenge(BasicChallenge("r")).WithRetryAfter(time.Second)
	if b.Challenge != nil || b.RetryAfter != 0 {
		t.Fatal("a constructor returned a shared value")
	}
	if a.Status != http.StatusUnauthorized || a.Code != CodeInvalidClient {
		t.Errorf("ErrInvalidClient = %d %s", a.Status, a.Code)
	}
}

func TestServerErrorHidesCause(t *testing.T) {
	cause := errors.New("disk on fire")
	e := ErrServer(cause)
	if e.Description != "internal server error" || e.Status != http.StatusInternalServerError {
		t.Errorf("ErrServer = %d %q", e.Status, e.Description)
	}
	if !errors.Is(e, cause) {
		t.Error("the cause is not reachable through Unwrap")
	}
}

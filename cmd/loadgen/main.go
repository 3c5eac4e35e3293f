// Command loadgen drives a running issuer with many concurrent wallets, each
// with its own key, redeeming its own pre-authorized code with a fresh DPoP
// proof. Offers are created and proofs signed before the timed phase, so the
// load generator spends almost no CPU while it measures. It reports
// redemptions per second, latency percentiles and, given the server's PID,
// the server's peak RSS and its anonymous and file-backed parts.
//
//	loadgen -url http://127.0.0.1:8080 -admin-token T -wallets 32 -n 30000 -server-pid PID
//
// Several nodes of one issuer (one database, the same public URL) are
// driven with -urls: the requests go to each node in turn, the proofs name
// the public URL -url. -server-pid then lists every node's PID, and
// -pg-db names the PostgreSQL database whose backends' CPU to report.
//
//	loadgen -url http://127.0.0.1:8080 -urls http://127.0.0.1:8080,http://127.0.0.1:8081 -server-pid A,B -pg-db issuer
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"issuer/dpop"
	"issuer/issuer"
	"issuer/issuer/oauth"
)

type config struct {
	url, adminToken string
	// nodes are the base URLs the requests go to, in turn (default: url).
	nodes      []string
	wallets, n int
	// pids are the server processes whose CPU and RSS to report.
	pids []int
	// pgDB names the PostgreSQL database whose backends' CPU to report.
	pgDB string
	// credential runs full issuances (token, then credential) instead of
	// redemptions alone.
	credential bool
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:8080", "public base URL of the server")
	flag.StringVar(&c.adminToken, "admin-token", os.Getenv("ISSUER_ADMIN_TOKEN"), "admin token of the server")
	flag.IntVar(&c.wallets, "wallets", 32, "concurrent wallets")
	flag.IntVar(&c.n, "n", 30000, "redemptions in the timed phase")
	urls := flag.String("urls", "", "comma-separated base URLs of the nodes to send the requests to, in turn (default: -url)")
	pids := flag.String("server-pid", "", "comma-separated server PIDs, to report their CPU and peak RSS")
	flag.StringVar(&c.pgDB, "pg-db", "", "PostgreSQL database whose backends' CPU to report (local server)")
	flag.BoolVar(&c.credential, "credential", false, "full issuances: redeem, then fetch an SD-JWT VC with a key proof")
	flag.Parse()
	var err error
	if c.nodes, c.pids, err = parseLists(c.url, *urls, *pids); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// redemption is one prepared request.
type redemption struct{ code, proof string }

func run(ctx context.Context, c config) error {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2 * c.wallets}}
	start := time.Now()
	codes, err := createOffers(ctx, client, c)
	if err != nil {
		return err
	}
	fmt.Printf("created %d offers in %s\n", len(codes), time.Since(start).Round(time.Millisecond))
	if c.credential {
		return runIssuances(ctx, client, c, codes)
	}
	start = time.Now()
	reqs, err := signProofs(codes, c.url+issuer.PathToken)
	if err != nil {
		return err
	}
	fmt.Printf("signed %d proofs with %d distinct keys in %s\n", len(reqs), len(reqs), time.Since(start).Round(time.Millisecond))
	return timed(c, "redemptions", "redemption", len(reqs), func() ([]time.Duration, int64, time.Duration) {
		return redeemAll(ctx, client, c, reqs)
	})
}

// timed runs the timed phase of n operations and reports it: counts,
// throughput, latency, and the CPU the server (and database) spent on each.
func timed(c config, what, each string, n int, phase func() ([]time.Duration, int64, time.Duration)) error {
	cpu0 := measureCPU(c)
	lat, failures, elapsed := phase()
	report(c, what, lat, failures, elapsed)
	reportCPU(c, cpu0, n, each)
	if failures > 0 {
		return fmt.Errorf("%d %s failed", failures, what)
	}
	return nil
}

// runIssuances prepares the proofs of full issuances and runs them.
func runIssuances(ctx context.Context, client *http.Client, c config, codes []string) error {
	start := time.Now()
	reqs, err := prepareIssuances(ctx, client, c, codes)
	if err != nil {
		return err
	}
	fmt.Printf("signed %d token proofs and key proofs with %d distinct keys in %s\n", len(reqs), len(reqs), time.Since(start).Round(time.Millisecond))
	return timed(c, "issuances", "issuance (token + credential)", len(reqs), func() ([]time.Duration, int64, time.Duration) {
		return issueAll(ctx, client, c, reqs)
	})
}

// createOffers creates c.n offers through the admin API, c.wallets at a time.
func createOffers(ctx context.Context, client *http.Client, c config) ([]string, error) {
	codes := make([]string, c.n)
	err := parallel(c.wallets, c.n, func(i int) error {
		body := fmt.Sprintf(`{"credential_configuration_ids":["eu.europa.ec.eudi.pid_vc_sd_jwt"],"subject":"bench-%d","claims":%s}`, i, pidClaims)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.node(i)+"/admin/offers", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.adminToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var o issuer.OfferResponse
		if res.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(res.Body)
			return fmt.Errorf("creating an offer: %d %s", res.StatusCode, b)
		}
		if err := json.NewDecoder(res.Body).Decode(&o); err != nil {
			return err
		}
		codes[i] = o.CredentialOffer.Grants.PreAuthorizedCode.PreAuthorizedCode
		return nil
	})
	return codes, err
}

// signProofs gives every code its own wallet key and a fresh proof.
func signProofs(codes []string, tokenURL string) ([]redemption, error) {
	reqs := make([]redemption, len(codes))
	err := parallel(2, len(codes), func(i int) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		p, err := dpop.Sign(key, "ES256", dpop.Claims{Method: http.MethodPost, URL: tokenURL})
		reqs[i] = redemption{code: codes[i], proof: p}
		return err
	})
	return reqs, err
}

// redeemAll is the timed phase: c.wallets workers redeem every prepared code.
func redeemAll(ctx context.Context, client *http.Client, c config, reqs []redemption) ([]time.Duration, int64, time.Duration) {
	lat := make([]time.Duration, len(reqs))
	var failures atomic.Int64
	start := time.Now()
	_ = parallel(c.wallets, len(reqs), func(i int) error {
		body := "grant_type=" + url.QueryEscape(oauth.GrantPreAuthorizedCode) + "&pre-authorized_code=" + url.QueryEscape(reqs[i].code)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.node(i)+issuer.PathToken, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", reqs[i].proof)
		t0 := time.Now()
		res, err := client.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if err == nil && res.StatusCode != http.StatusOK {
				err = errors.New(res.Status)
			}
		}
		lat[i] = time.Since(t0)
		if err != nil {
			if failures.Add(1) <= 5 {
				fmt.Fprintln(os.Stderr, "redemption failed:", err)
			}
		}
		return nil
	})
	return lat, failures.Load(), time.Since(start)
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(workers, n int, f func(i int) error) error {
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// report prints the counts, throughput and latency of the timed phase;
// what names the operation ("redemptions", "issuances").
func report(c config, what string, lat []time.Duration, failures int64, elapsed time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("%s: %d with %d concurrent wallets in %s (%d failed)\n", what, len(lat), c.wallets, elapsed.Round(time.Millisecond), failures)
	fmt.Printf("throughput:  %.0f %s/s\n", float64(len(lat))/elapsed.Seconds(), what)
	fmt.Printf("latency:     p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(10*time.Microsecond),
		pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	for _, pid := range c.pids {
		if st, err := procStatus(pid); err == nil {
			fmt.Printf("server peak RSS: %s (now: anonymous %s, file-backed %s, the bbolt mmap, which the kernel can reclaim)\n",
				st["VmHWM"], st["RssAnon"], st["RssFile"])
		}
	}
}

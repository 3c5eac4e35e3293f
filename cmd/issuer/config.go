package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"issuer/issuer"
	"issuer/web"
)

// settings is the whole configuration of `issuer serve`: the config file
// holds the server settings and, inline, the domain's [issuer.Config].
type settings struct {
	Addr       string `yaml:"addr"`
	DB         string `yaml:"db"`
	AdminToken string `yaml:"admin_token"`
	LogFormat  string `yaml:"log_format"`
	LogLevel   string `yaml:"log_level"`
	Dev        bool   `yaml:"dev"`
	DebugAddr  string `yaml:"debug_addr"`
	TLSCert    string `yaml:"tls_cert"`
	TLSKey     string `yaml:"tls_key"`
	ClientCA   string `yaml:"client_ca"`
	// AllowInsecureDB uses a database file that other users may read or
	// replace, with a warning, instead of refusing it.
	AllowInsecureDB bool `yaml:"allow_insecure_db"`
	// TrustedProxies are the addresses (or CIDR prefixes) of the reverse
	// proxies in front of the server, whose X-Forwarded-For is believed
	// (web.Options.TrustedProxies).
	TrustedProxies []string `yaml:"trusted_proxies"`
	issuer.Config  `yaml:",inline"`
}

func defaultSettings() settings {
	return settings{Addr: "127.0.0.1:8080", DB: "issuer.db", LogFormat: "text", LogLevel: "info", Config: issuer.Defaults()}
}

// flagSpec binds one setting to a flag and an environment variable.
type flagSpec struct {
	name, env, help string
	value           *string
}

// boolSpec binds a boolean setting to a flag and an environment variable
// (1, true, yes or on).
type boolSpec struct {
	name, env, help string
	value           *bool
}

// loadSettings applies defaults < config file < environment < flags, then
// validates once, reporting every problem.
func loadSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	s := defaultSettings()
	var configPath, proxies string
	specs := []flagSpec{
		{name: "addr", env: "ISSUER_ADDR", help: "listen address", value: &s.Addr},
		{name: "url", env: "ISSUER_URL", help: "public base URL: the issuer identifier and base of every endpoint and of DPoP htu checks", value: &s.URL},
		{name: "db", env: "ISSUER_DB", help: "bbolt database file, or a postgres:// URL: a PostgreSQL database that several nodes share", value: &s.DB},
		{name: "config", env: "ISSUER_CONFIG", help: "YAML configuration file", value: &configPath},
		{name: "admin-token", env: "ISSUER_ADMIN_TOKEN", help: "bearer token of the admin API (off when empty; ISSUER_ADMIN_TOKEN_FILE reads it from a file)", value: &s.AdminToken},
		{name: "log-format", env: "ISSUER_LOG_FORMAT", help: "text or json", value: &s.LogFormat},
		{name: "log-level", env: "ISSUER_LOG_LEVEL", help: "debug, info, warn or error", value: &s.LogLevel},
		{name: "debug-addr", env: "ISSUER_DEBUG_ADDR", help: "listen address of the pprof debug server (off when empty; never expose it)", value: &s.DebugAddr},
		{name: "tls-cert", env: "ISSUER_TLS_CERT", help: "PEM certificate chain of the server: serve HTTPS, requesting client certificates (with --tls-key)", value: &s.TLSCert},
		{name: "tls-key", env: "ISSUER_TLS_KEY", help: "PEM private key of --tls-cert", value: &s.TLSKey},
		{name: "client-ca", env: "ISSUER_CLIENT_CA", help: "PEM file of the CAs that issue tls_client_auth client certificates", value: &s.ClientCA},
		{name: "profile", env: "ISSUER_PROFILE", help: "haip: enforce HAIP 1.0 and FAPI 2.0, refusing to start on a setting that contradicts them (none by default)", value: &s.Profile},
		{name: "trusted-proxies", env: "ISSUER_TRUSTED_PROXIES", help: "comma-separated addresses or CIDR prefixes of the reverse proxies whose X-Forwarded-For is believed (none by default)", value: &proxies},
	}
	bools := []boolSpec{
		{name: "dev", env: "ISSUER_DEV", help: "demo mode: admin token, demo client and a fresh offer, with curl lines", value: &s.Dev},
		{name: "allow-insecure-db", env: "ISSUER_ALLOW_INSECURE_DB", help: "use a database file that other users may read or replace (it holds the signing keys), with a warning", value: &s.AllowInsecureDB},
		{name: "dpop-nonce", env: "ISSUER_DPOP_NONCE", help: "RFC 9449 server nonces: a DPoP proof must carry a fresh DPoP-Nonce (config dpop.use_dpop_nonce)", value: &s.DPoP.UseNonce},
	}
	fs := flag.NewFlagSet("issuer serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printServeFlags(fs.Output(), specs, bools) } // help.go
	flagValues := make(map[string]*string)
	for _, sp := range specs {
		flagValues[sp.name] = fs.String(sp.name, *sp.value, sp.help)
	}
	boolValues := make(map[string]*bool)
	for _, b := range bools {
		boolValues[b.name] = fs.Bool(b.name, *b.value, b.help)
	}
	if err := parseFlags(fs, args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	configPath = pick(set["config"], *flagValues["config"], getenv("ISSUER_CONFIG"), "")
	if configPath != "" {
		if err := readConfigFile(configPath, &s); err != nil {
			return s, err
		}
	}
	if f := getenv("ISSUER_ADMIN_TOKEN_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return s, fmt.Errorf("ISSUER_ADMIN_TOKEN_FILE: %w", err)
		}
		s.AdminToken = strings.TrimSpace(string(b))
	}
	for _, sp := range specs {
		*sp.value = pick(set[sp.name], *flagValues[sp.name], getenv(sp.env), *sp.value)
	}
	if set["trusted-proxies"] || getenv("ISSUER_TRUSTED_PROXIES") != "" {
		s.TrustedProxies = splitList(proxies)
	}
	for _, b := range bools {
		if set[b.name] {
			*b.value = *boolValues[b.name]
		} else if v := getenv(b.env); v != "" {
			*b.value = isTrue(v)
		}
	}
	return s, s.validate()
}

// pick returns the flag value if the flag was set, else the environment
// value if non-empty, else the current value.
func pick(flagSet bool, flagValue, envValue, current string) string {
	switch {
	case flagSet:
		return flagValue
	case envValue != "":
		return envValue
	}
	return current
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// trustedProxies parses TrustedProxies: each an address (a prefix of its
// full length) or a CIDR prefix.
func (s *settings) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, v := range s.TrustedProxies {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted_proxies: item %d, %q, is neither an IP address nor a CIDR prefix", i+1, v)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func readConfigFile(path string, s *settings) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	if err := decodeConfig(b, s); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// decodeConfig decodes a YAML config file on top of s: a key of the file
// overrides, a key it lacks keeps its value, an unknown key or a key with
// a null value is an error.
func decodeConfig(b []byte, s *settings) error {
	if err := refuseNullValues(b); err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// refuseNullValues reports every key of the YAML document b whose value
// is null (`key:` with no value, `~`, `null`). Decoded into settings, a
// null leaves the field as it was, the default: an operator who wrote
// `refresh_grace:` meaning "none" would silently keep 30s.
func refuseNullValues(b []byte) error {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	var errs []error
	walkNullValues(&doc, "", func(key string, line int) {
		errs = append(errs, fmt.Errorf("%s: a null value; remove the key to keep the default (line %d)", key, line))
	})
	return errors.Join(errs...)
}

// walkNullValues calls found with the dotted path and line of every
// mapping value under n that is null. An alias is checked (it may name a
// null) but not walked: the node it names is walked where it is defined,
// so that a document of aliases of aliases costs no more than its size.
func walkNullValues(n *yaml.Node, path string, found func(key string, line int)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkNullValues(c, path, found)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkNullValues(c, fmt.Sprintf("%s[%d]", path, i), found)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if path != "" {
				key = path + "." + k.Value
			}
			if isNullNode(v) {
				found(key, k.Line)
				continue
			}
			walkNullValues(v, key, found)
		}
	}
}

// isNullNode reports whether n is a null scalar, or an alias of one.
func isNullNode(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (s *settings) validate() error {
	var errs []error
	if s.Addr == "" {
		errs = append(errs, errors.New("addr: must not be empty"))
	}
	if s.DB == "" {
		errs = append(errs, errors.New("db: must not be empty"))
	}
	if s.LogFormat != "text" && s.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format: %q is neither text nor json", s.LogFormat))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("log_level: %w", err))
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert, tls_key: give both or neither"))
	}
	if s.TLSCert != "" && !strings.HasPrefix(strings.ToLower(s.URL), "https://") {
		errs = append(errs, errors.New("url: must be an https URL when the server serves TLS (tls_cert)"))
	}
	if _, err := s.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if err := s.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// logger builds the process logger: text or JSON on stderr, with request IDs.
func (s *settings) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(s.LogLevel)) // validated
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if s.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(web.LogHandler(h))
}

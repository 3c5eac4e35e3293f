package issuer

// The default credential configurations: the EUDI PID (ARF Annex 3.01,
// the PID rulebook) as an SD-JWT VC and as an mdoc, with the rulebook's
// core claims. The rulebook's mandatory attributes are mandatory here:
// a PID is never issued without them.
const (
	PIDSDJWTConfiguration = "eu.europa.ec.eudi.pid_vc_sd_jwt"
	PIDMDocConfiguration  = "eu.europa.ec.eudi.pid_mso_mdoc"
	// PIDVCT is the PID's vct (SD-JWT VC); PIDDocType its doctype and
	// namespace (mdoc).
	PIDVCT     = "urn:eudi:pid:1"
	PIDDocType = "eu.europa.ec.eudi.pid.1"
)

// pidClaim is one claim of a PID configuration: its path below the
// credential (for mdoc, the element of the PID namespace), whether it is
// mandatory, its English name.
type pidClaim struct {
	path      []any
	mandatory bool
	name      string
}

// pidSDJWTClaims are the SD-JWT VC claims (rulebook chapter 4 names).
func pidSDJWTClaims() []pidClaim {
	return []pidClaim{
		{[]any{"family_name"}, true, "Family name"},
		{[]any{"given_name"}, true, "Given name"},
		{[]any{"birthdate"}, true, "Date of birth"},
		{[]any{"place_of_birth"}, true, "Place of birth"},
		{[]any{"place_of_birth", "locality"}, false, "Place of birth: locality"},
		{[]any{"place_of_birth", "region"}, false, "Place of birth: region"},
		{[]any{"place_of_birth", "country"}, false, "Place of birth: country"},
		{[]any{"nationalities"}, true, "Nationalities"},
		{[]any{"age_equal_or_over", "18"}, false, "Adult"},
		{[]any{"date_of_expiry"}, true, "Expiry date"},
		{[]any{"issuing_authority"}, true, "Issuing authority"},
		{[]any{"issuing_country"}, true, "Issuing country"},
		{[]any{"date_of_issuance"}, false, "Issuance date"},
		{[]any{"document_number"}, false, "Document number"},
	}
}

// pidMDocClaims are the mdoc data elements (rulebook chapter 3 names).
func pidMDocClaims() []pidClaim {
	return []pidClaim{
		{[]any{PIDDocType, "family_name"}, true, "Family name"},
		{[]any{PIDDocType, "given_name"}, true, "Given name"},
		{[]any{PIDDocType, "birth_date"}, true, "Date of birth"},
		{[]any{PIDDocType, "place_of_birth"}, true, "Place of birth"},
		{[]any{PIDDocType, "nationality"}, true, "Nationality"},
		{[]any{PIDDocType, "age_over_18"}, false, "Adult"},
		{[]any{PIDDocType, "expiry_date"}, true, "Expiry date"},
		{[]any{PIDDocType, "issuing_authority"}, true, "Issuing authority"},
		{[]any{PIDDocType, "issuing_country"}, true, "Issuing country"},
		{[]any{PIDDocType, "issuance_date"}, false, "Issuance date"},
		{[]any{PIDDocType, "document_number"}, false, "Document number"},
	}
}

// claimsMetadata renders claims as credential_metadata.claims (OpenID4VCI
// 1.0 §12.2.4): fresh values on each call.
func claimsMetadata(claims []pidClaim) []any {
	out := make([]any, len(claims))
	for i, c := range claims {
		m := map[string]any{
			"path":    append([]any(nil), c.path...),
			"display": []any{map[string]any{"name": c.name, "locale": "en"}},
		}
		if c.mandatory {
			m["mandatory"] = true
		}
		out[i] = m
	}
	return out
}

// DefaultCredentialConfigurations is what a server without a config file
// offers: the EUDI PID as an SD-JWT VC and as an mdoc (FMT-12). Every call
// returns fresh values.
func DefaultCredentialConfigurations() CredentialConfigurations {
	proofTypes := func() map[string]any {
		return map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []any{"ES256"}}}
	}
	display := func(name string) []any {
		return []any{map[string]any{"name": name, "locale": "en"}}
	}
	return CredentialConfigurations{
		PIDSDJWTConfiguration: map[string]any{
			"format": "dc+sd-jwt",
			"vct":    PIDVCT,
			"scope":  PIDSDJWTConfiguration,
			"cryptographic_binding_methods_supported": []any{"jwk"},
			"credential_signing_alg_values_supported": []any{"ES256"},
			"proof_types_supported":                   proofTypes(),
			"credential_metadata":                     map[string]any{"display": display("Person Identification Data"), "claims": claimsMetadata(pidSDJWTClaims())},
		},
		PIDMDocConfiguration: map[string]any{
			"format":  "mso_mdoc",
			"doctype": PIDDocType,
			"scope":   PIDMDocConfiguration,
			"cryptographic_binding_methods_supported": []any{"cose_key"},
			"credential_signing_alg_values_supported": []any{-7},
			"proof_types_supported":                   proofTypes(),
			"credential_metadata":                     map[string]any{"display": display("Person Identification Data (mdoc)"), "claims": claimsMetadata(pidMDocClaims())},
		},
	}
}

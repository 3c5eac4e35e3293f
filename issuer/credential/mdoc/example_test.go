package mdoc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"issuer/issuer/credential/mdoc"
)

func Example() {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	signer, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{Country: []string{"DE"}, CommonName: "document signer"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &signer.PublicKey, signer)
	cert, _ := x509.ParseCertificate(der)
	holder, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	ns := "eu.europa.ec.eudi.pid.1"
	cred, err := mdoc.Issue(mdoc.Input{
		Config: mdoc.Config{
			DocType: ns,
			Dates:   map[mdoc.Element]mdoc.DateKind{{NameSpace: ns, Identifier: "birth_date"}: mdoc.KindFullDate},
		},
		Claims: map[string]any{ns: map[string]any{
			"given_name": "Erika",
			"birth_date": "1964-08-12",
		}},
		DeviceKey: &holder.PublicKey,
		Signer:    signer,
		Chain:     []*x509.Certificate{cert},
		Validity:  mdoc.ValidFor(now, 30*24*time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	doc, err := mdoc.Verify(cred)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.DocType, doc.Validity.ValidUntil.Format(time.RFC3339))
	fmt.Println(doc.NameSpaces[ns]["given_name"], doc.NameSpaces[ns]["birth_date"])
	// Output:
	// eu.europa.ec.eudi.pid.1 2026-04-13T09:00:00Z
	// Erika 1964-08-12
}

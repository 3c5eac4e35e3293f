package sdjwt

import (
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics, and what it accepts decodes again to
// the same claims.
func FuzzDecode(f *testing.F) {
	p := newPKI(f, "Fuzz")
	in, _ := newInput(f, p)
	in.MaxDecoys = 2
	good := issue(f, in)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add("eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9.e30.AA~WyJzIiwgIngiXQ~")
	f.Add("~~~")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Decode(s)
		if err != nil {
			return
		}
		again, err := Decode(s)
		if err != nil || !reflect.DeepEqual(c.Claims, again.Claims) {
			t.Fatalf("Decode is not deterministic: %v", err)
		}
		_ = c.CheckSignature(nil)
	})
}

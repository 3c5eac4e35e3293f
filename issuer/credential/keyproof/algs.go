package keyproof

import (
	"maps"
	"slices"
)

// Supported reports whether alg is one that proofs and key attestations
// may use here: an asymmetric JWS algorithm, never none nor HS*. A
// configuration that lists another could never be satisfied.
func Supported(alg string) bool {
	_, ok := algorithms[alg]
	return ok
}

// Algorithms lists the supported algorithms, sorted.
func Algorithms() []string {
	return slices.Sorted(maps.Keys(algorithms))
}

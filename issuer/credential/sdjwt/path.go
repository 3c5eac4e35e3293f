package sdjwt

import (
	"encoding/json"
	"fmt"
	"math"
)

// ClaimPath is a claims path pointer (OpenID4VCI 1.0 Appendix C): a
// non-empty list whose elements are a string (a member of an object), a
// non-negative integer (an element of an array) or nil (every element of
// an array). Integers may be an int, int32, int64, uint, an integral
// float64 or a json.Number, as encoding/json decodes them. The last
// element names what becomes a disclosure: a member ([salt, name, value])
// or array elements ([salt, value]).
type ClaimPath []any

// step is one parsed element of a ClaimPath.
type step struct {
	name  string
	index int
	kind  stepKind
}

// stepKind tells a step's element type.
type stepKind uint8

const (
	stepName  stepKind = iota // a string: an object member
	stepIndex                 // an integer: one array element
	stepAll                   // null: every array element
)

// parse checks p and returns its steps.
func (p ClaimPath) parse() ([]step, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: an empty path", ErrClaimPath)
	}
	steps := make([]step, len(p))
	for i, e := range p {
		s, ok := parseStep(e)
		if !ok {
			return nil, fmt.Errorf("%w: element %d of %v is not a string, a non-negative integer or null", ErrClaimPath, i, p)
		}
		steps[i] = s
	}
	return steps, nil
}

// parseStep reads one path element.
func parseStep(e any) (step, bool) {
	switch v := e.(type) {
	case nil:
		return step{kind: stepAll}, true
	case string:
		return step{name: v, kind: stepName}, true
	case int:
		return indexStep(int64(v))
	case int64:
		return indexStep(v)
	case int32:
		return indexStep(int64(v))
	case uint:
		return indexStep(int64(min(v, math.MaxInt32+1)))
	case float64:
		if v != math.Trunc(v) || v > math.MaxInt32 {
			return step{}, false
		}
		return indexStep(int64(v))
	case json.Number:
		i, err := v.Int64()
		if err != nil {
			return step{}, false
		}
		return indexStep(i)
	}
	return step{}, false
}

// indexStep is an array index step; indexes beyond int32 are refused.
func indexStep(i int64) (step, bool) {
	if i < 0 || i > math.MaxInt32 {
		return step{}, false
	}
	return step{index: int(i), kind: stepIndex}, true
}

// selection is the tree of the disclosable paths: the node of an object or
// array says which of its members or elements are disclosed (self) and
// which hold further selections.
type selection struct {
	self    bool
	names   map[string]*selection
	indexes map[int]*selection
	all     *selection
}

// newSelection builds the tree of paths.
func newSelection(paths []ClaimPath) (*selection, error) {
	root := &selection{}
	for _, p := range paths {
		steps, err := p.parse()
		if err != nil {
			return nil, err
		}
		if steps[0].kind != stepName {
			return nil, fmt.Errorf("%w: %v does not start with a claim name", ErrClaimPath, p)
		}
		if reservedTop[steps[0].name] {
			return nil, fmt.Errorf("%w: %q is never selectively disclosable", ErrReservedClaim, steps[0].name)
		}
		root.add(steps)
	}
	return root, nil
}

// add inserts one path below n.
func (n *selection) add(steps []step) {
	for _, s := range steps {
		n = n.child(s)
	}
	n.self = true
}

// child returns (creating it) the node for step s.
func (n *selection) child(s step) *selection {
	switch s.kind {
	case stepName:
		if n.names == nil {
			n.names = map[string]*selection{}
		}
		return getOrNew(n.names, s.name)
	case stepIndex:
		if n.indexes == nil {
			n.indexes = map[int]*selection{}
		}
		return getOrNew(n.indexes, s.index)
	}
	if n.all == nil {
		n.all = &selection{}
	}
	return n.all
}

// getOrNew returns m[k], adding a new node when absent.
func getOrNew[K comparable](m map[K]*selection, k K) *selection {
	c := m[k]
	if c == nil {
		c = &selection{}
		m[k] = c
	}
	return c
}

// hasChildren tells whether n selects anything below itself.
func (n *selection) hasChildren() bool {
	return n != nil && (len(n.names) > 0 || len(n.indexes) > 0 || n.all != nil)
}

// element returns the selection for array element i: the union of the
// node for i and the node for all elements (nil when neither exists).
func (n *selection) element(i int) *selection {
	return merge(n.indexes[i], n.all)
}

// merge returns the union of two selections without changing either.
func merge(a, b *selection) *selection {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	m := &selection{self: a.self || b.self, all: merge(a.all, b.all)}
	m.names = mergeMaps(a.names, b.names)
	m.indexes = mergeMaps(a.indexes, b.indexes)
	return m
}

// mergeMaps merges two maps of selections key by key.
func mergeMaps[K comparable](a, b map[K]*selection) map[K]*selection {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	m := make(map[K]*selection, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = merge(m[k], v)
	}
	return m
}

package issuer_test

import (
	"reflect"
	"testing"

	"issuer/issuer"
)

// references collects the address of every pointer, map and slice reachable
// from v, with the path that reaches it.
func references(v reflect.Value, path string, seen map[uintptr]string, dup func(a, b string)) {
	note := func(p uintptr) {
		if p == 0 {
			return
		}
		if prev, ok := seen[p]; ok {
			dup(prev, path)
			return
		}
		seen[p] = path
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		note(v.Pointer())
		references(v.Elem(), path, seen, dup)
	case reflect.Interface:
		if !v.IsNil() {
			references(v.Elem(), path, seen, dup)
		}
	case reflect.Map:
		note(v.Pointer())
		for it := v.MapRange(); it.Next(); {
			references(it.Value(), path+"["+it.Key().String()+"]", seen, dup)
		}
	case reflect.Slice:
		if v.Cap() > 0 {
			note(v.Pointer())
		}
		for i := range v.Len() {
			references(v.Index(i), path+"[]", seen, dup)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			references(v.Field(i), path+"."+v.Type().Field(i).Name, seen, dup)
		}
	}
}

// TestDefaultsShareNothing checks that no pointer, map or slice is shared
// within one Defaults() value or between two: a config file is decoded on
// top of Defaults, and a decoder writes through what it finds, so a shared
// value would let one setting change others.
func TestDefaultsShareNothing(t *testing.T) {
	seen := map[uintptr]string{}
	dup := func(a, b string) { t.Errorf("%s and %s share memory", a, b) }
	references(reflect.ValueOf(issuer.Defaults()), "first", seen, dup)
	references(reflect.ValueOf(issuer.Defaults()), "second", seen, dup)
	if len(seen) < 4 {
		t.Fatalf("found %d references in two Defaults(); want the algorithm lists and credential configurations", len(seen))
	}
}

// TestDefaultsValidate: the defaults stay within every bound Validate
// enforces (the sanity caps included).
func TestDefaultsValidate(t *testing.T) {
	c := issuer.Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Defaults().Validate() = %v", err)
	}
}

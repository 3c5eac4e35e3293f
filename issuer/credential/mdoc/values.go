package mdoc

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CBOR tag numbers of the date types (RFC 8949 §3.4.1, RFC 8943).
const (
	tagDateTime = 0
	tagFullDate = 1004
)

// maxDepth bounds the nesting of element values, so a cyclic Go value fails
// instead of recursing without end.
const maxDepth = 32

// Fixed errors of element values: they name the defect, never the value.
var (
	errValueType  = errors.New("unsupported value type")
	errValueFloat = errors.New("a number that is not finite")
	errValueDepth = errors.New("values nested too deep")
	errValueKey   = errors.New("a map key that is not a string")
	errDateHint   = errors.New("the configuration says date-time, the value is not an RFC 3339 date-time")
	errDate       = errors.New("not a valid date")
)

// elementValue converts a claim value into what is CBOR-encoded as its
// elementValue, applying the date hint kind (0: none) to a string value.
func elementValue(v any, kind DateKind) (any, error) {
	if s, ok := v.(string); ok && kind != 0 {
		return hintedDate(s, kind)
	}
	if t, ok := v.(time.Time); ok && kind == KindFullDate {
		v = DateOf(t)
	}
	return cborValue(v, 0)
}

// hintedDate parses s as the date kind the configuration names.
func hintedDate(s string, kind DateKind) (any, error) {
	if kind == KindFullDate {
		d, err := ParseFullDate(s)
		if err != nil {
			return nil, err
		}
		return cborValue(d, 0)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, errDateHint
	}
	return cborValue(t, 0)
}

// cborValue converts a JSON-like Go value into one the CBOR encoder writes
// as intended: integral JSON numbers become integers, dates become tagged
// strings, slices arrays and string-keyed maps maps.
func cborValue(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errValueDepth
	}
	switch x := v.(type) {
	case nil, string, bool, []byte,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x, nil
	case float64:
		return number(x)
	case float32:
		return number(float64(x))
	case json.Number:
		return jsonNumber(x)
	case FullDate:
		if !x.valid() {
			return nil, errDate
		}
		return cbor.Tag{Number: tagFullDate, Content: x.String()}, nil
	case time.Time:
		return cbor.Tag{Number: tagDateTime, Content: tdateTime(x).Format(time.RFC3339)}, nil
	}
	return composite(reflect.ValueOf(v), depth)
}

// number returns an integral float as an integer (JSON has one number type;
// mdoc elements such as age_in_years are uint), any other finite float as is.
func number(f float64) (any, error) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return nil, errValueFloat
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return int64(f), nil
	}
	return f, nil
}

// jsonNumber is number for a json.Number.
func jsonNumber(n json.Number) (any, error) {
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil, errValueType
	}
	return number(f)
}

// composite converts slices (arrays) and string-keyed maps, element by
// element.
func composite(rv reflect.Value, depth int) (any, error) {
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, err := cborValue(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, errValueKey
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			e, err := cborValue(it.Value().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w (%s)", errValueType, rv.Kind())
}

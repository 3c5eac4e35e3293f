package bolt

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"

	"go.etcd.io/bbolt"
)

// timeKeyLen is the length of an encoded time.
const timeKeyLen = 8

// The instants representable as int64 Unix nanoseconds (years 1678 to 2262);
// times outside are clamped to these bounds.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// empty is the value of index entries.
var empty = []byte{}

// appendTime appends t as 8 bytes whose byte order is time order: Unix
// nanoseconds, big endian, sign bit flipped.
func appendTime(dst []byte, t time.Time) []byte {
	var n int64
	switch {
	case t.Before(minNanoTime):
		n = math.MinInt64
	case t.After(maxNanoTime):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(dst, uint64(n)^(1<<63))
}

// indexKey returns the expiry index key t||key.
func indexKey(t time.Time, key []byte) []byte {
	return append(appendTime(make([]byte, 0, timeKeyLen+len(key)), t), key...)
}

// expiredEntries returns copies of up to limit keys of the expiry index b
// whose time is before now, oldest first.
func expiredEntries(b *bbolt.Bucket, now time.Time, limit int) [][]byte {
	bound := appendTime(nil, now)
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
		if len(k) < timeKeyLen || bytes.Compare(k[:timeKeyLen], bound) >= 0 {
			break
		}
		out = append(out, clone(k))
	}
	return out
}

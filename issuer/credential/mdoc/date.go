package mdoc

import (
	"errors"
	"fmt"
	"time"
)

// FullDate is a calendar date without a time or zone, encoded as a
// full-date: tag 1004 over "YYYY-MM-DD" (RFC 8943, ISO/IEC 18013-5 §7.2.1).
// Use it for values such as birth_date or expiry_date.
type FullDate struct {
	Year  int
	Month time.Month
	Day   int
}

// errFullDate is the fixed error of ParseFullDate: it never repeats the input,
// which may be claim data.
var errFullDate = errors.New("not a full-date (YYYY-MM-DD)")

// ParseFullDate parses "YYYY-MM-DD" (RFC 3339 full-date) into a FullDate.
func ParseFullDate(s string) (FullDate, error) {
	if len(s) != len(time.DateOnly) {
		return FullDate{}, errFullDate
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return FullDate{}, errFullDate
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) FullDate {
	y, m, d := t.Date()
	return FullDate{Year: y, Month: m, Day: d}
}

// String returns d as "YYYY-MM-DD".
func (d FullDate) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// valid reports whether d is a real date with a four-digit year.
func (d FullDate) valid() bool {
	if d.Year < 0 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return DateOf(t) == d
}

// Package memory is an in-memory [storage.Store] for the unit tests of
// other packages. It has the semantics of the bbolt store (it passes the
// same conformance suite, storage/storagetest) but keeps nothing across
// restarts.
//
// Records are copied through JSON on the way in and out, as the bbolt
// store does, so callers see the same values from both: json.RawMessage
// fields come back compacted and times in a fixed zone with the same
// offset.
package memory

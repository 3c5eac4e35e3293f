// Package web is the HTTP face of the token service and the only package
// that knows Echo: it parses requests strictly (one value per parameter,
// form bodies only, size limits), calls the issuer package, and renders every
// failure as RFC 6749 §5.2 JSON with Cache-Control: no-store through one
// error handler.
package web

// Package offer owns the credential offers (OpenID4VCI 1.0 §4): creating
// one for the admin API, with its pre-authorized code and, when asked, its
// transaction code (both stored only as hashes); serving an offer passed
// by reference and the data of its QR page; finding the offer an
// issuer_state names; and, at redemption, the checks of the code's state
// and of the transaction code, with the counting of wrong ones.
//
// It does not redeem a code or mint a token (package grant and package
// token do), and knows no HTTP: the web package renders what it returns.
package offer

package storage

// CheckRefresh applies the state rules of UseRefreshToken to rt, a token
// read inside the store's transaction: ErrNotFound for a token that is not
// a refresh token, ErrRevoked, ErrExpired, or ErrConsumed for a token
// rotated more than u.Grace ago (the caller then revokes the grant). Both
// stores use it, so that they cannot drift apart.
func CheckRefresh(rt Token, u RefreshUse) error {
	lastUse := rt.LastUsedAt
	if lastUse.IsZero() {
		lastUse = rt.IssuedAt
	}
	switch {
	case rt.Kind != "refresh_token":
		return ErrNotFound
	case rt.Revoked:
		return ErrRevoked
	case u.Now.After(rt.ExpiresAt), u.IdleTimeout > 0 && u.Now.After(lastUse.Add(u.IdleTimeout)):
		return ErrExpired
	case !rt.RotatedAt.IsZero() && u.Now.After(rt.RotatedAt.Add(u.Grace)):
		return ErrConsumed
	}
	return nil
}

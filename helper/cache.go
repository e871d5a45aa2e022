package helper

// cached is replaced by the token cache; until then every call mints.
func (h *Helper) cached(r TokenRequest, p *Profile, need interface{ Seconds() float64 }, mint func() (Token, error)) (Token, error) {
	return mint()
}

func (h *Helper) clearCache(profile string) {}

// CacheDir is where tokens are cached ("" turns the cache off).
func CacheDir(getenv func(string) string) string { return "" }

// ClearCache drops the profile's cached tokens.
func (h *Helper) ClearCache(profile string) { h.clearCache(profile) }

package cqllex

import "strings"

// ParseIdent reads a CQL name: bare (folded to lower case) or in double
// quotes ("" for a quote).
func ParseIdent(s string) (string, bool) {
	if strings.HasPrefix(s, `"`) {
		if len(s) < 2 || !strings.HasSuffix(s, `"`) {
			return "", false
		}
		inner := s[1 : len(s)-1]
		if strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) || inner == "" {
			return "", false
		}
		return strings.ReplaceAll(inner, `""`, `"`), true
	}
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !IsWordByte(s[i]) {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// IdentName is the name a token stands for: a quoted identifier as
// written, a bare one lower-cased.
func IdentName(t Token) string {
	if t.Kind == Ident {
		if n, ok := ParseIdent(t.Text); ok {
			return n
		}
	}
	return strings.ToLower(t.Text)
}

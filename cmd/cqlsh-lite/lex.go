package main

import "strings"

// The shell's CQL tokenizer. It knows just enough of CQL's lexical rules
// to find where a statement ends and what word the cursor is on: strings
// ('…', a quote doubled inside), quoted identifiers ("…", likewise), $$
// strings, comments (--, // to the end of the line, /* */) and words. It
// never fails: what it does not know is punctuation, and a string or
// comment left unclosed at the end is a token marked open.

// tokenKind is the class of a token.
type tokenKind int

const (
	tokSpace   tokenKind = iota // spaces, tabs and newlines
	tokComment                  // --, // (without the newline) or /* */
	tokWord                     // a keyword, name or number: letters, digits, _
	tokString                   // '…'
	tokIdent                    // "…", a quoted identifier
	tokDollar                   // $$…$$
	tokPunct                    // any other byte: ; , ( ) = . * ? …
)

// token is one lexical unit of the input; text is src[pos:pos+len(text)].
type token struct {
	kind tokenKind
	text string
	pos  int
	// open marks a string, quoted identifier, $$ string or block comment
	// that the input ends inside.
	open bool
}

// significant reports whether a token counts for the statement's
// grammar (space and comments do not).
func (t token) significant() bool { return t.kind != tokSpace && t.kind != tokComment }

// is reports whether t is the word w, compared without case.
func (t token) is(w string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

// lex cuts src into tokens; concatenated, their texts are src.
func lex(src string) []token {
	var toks []token
	for i := 0; i < len(src); {
		kind, end, open := scanToken(src, i)
		toks = append(toks, token{kind: kind, text: src[i:end], pos: i, open: open})
		i = end
	}
	return toks
}

// scanToken reads the token starting at src[i] and returns its kind, the
// index just past it, and whether the input ended inside it.
func scanToken(src string, i int) (kind tokenKind, end int, open bool) {
	c := src[i]
	next := byte(0)
	if i+1 < len(src) {
		next = src[i+1]
	}
	switch {
	case isSpaceByte(c):
		end = i + 1
		for end < len(src) && isSpaceByte(src[end]) {
			end++
		}
		return tokSpace, end, false
	case c == '-' && next == '-', c == '/' && next == '/':
		end = i + 2
		for end < len(src) && src[end] != '\n' {
			end++
		}
		return tokComment, end, false
	case c == '/' && next == '*':
		for end = i + 2; end+1 < len(src); end++ {
			if src[end] == '*' && src[end+1] == '/' {
				return tokComment, end + 2, false
			}
		}
		return tokComment, len(src), true
	case c == '\'' || c == '"':
		for end = i + 1; end < len(src); end++ {
			if src[end] != c {
				continue
			}
			if end+1 < len(src) && src[end+1] == c { // doubled: a quote inside
				end++
				continue
			}
			if c == '\'' {
				return tokString, end + 1, false
			}
			return tokIdent, end + 1, false
		}
		if c == '\'' {
			return tokString, len(src), true
		}
		return tokIdent, len(src), true
	case c == '$' && next == '$':
		for end = i + 2; end+1 < len(src); end++ {
			if src[end] == '$' && src[end+1] == '$' {
				return tokDollar, end + 2, false
			}
		}
		return tokDollar, len(src), true
	case isWordByte(c) || c >= 0x80:
		end = i + 1
		for end < len(src) && (isWordByte(src[end]) || src[end] >= 0x80) {
			end++
		}
		return tokWord, end, false
	}
	return tokPunct, i + 1, false
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// Package cqllex is the shell's CQL tokenizer and statement splitter.
package cqllex

import "strings"

// The shell's CQL tokenizer. It knows just enough of CQL's lexical rules
// to find where a statement ends and what word the cursor is on: strings
// ('…', a quote doubled inside), quoted identifiers ("…", likewise), $$
// strings, comments (--, // to the end of the line, /* */) and words. It
// never fails: what it does not know is punctuation, and a string or
// comment left unclosed at the end is a token marked open.

// Kind is the class of a token.
type Kind int

const (
	Space   Kind = iota // spaces, tabs and newlines
	Comment             // --, // (without the newline) or /* */
	Word                // a keyword, name or number: letters, digits, _
	String              // '…'
	Ident               // "…", a quoted identifier
	Dollar              // $$…$$
	Punct               // any other byte: ; , ( ) = . * ? …
)

// Token is one lexical unit of the input; Text is src[Pos:Pos+len(Text)].
type Token struct {
	Kind Kind
	Text string
	Pos  int
	// Open marks a string, quoted identifier, $$ string or block comment
	// that the input ends inside.
	Open bool
}

// Significant reports whether a token counts for the statement's
// grammar (space and comments do not).
func (t Token) Significant() bool { return t.Kind != Space && t.Kind != Comment }

// Is reports whether t is the word w, compared without case.
func (t Token) Is(w string) bool {
	return t.Kind == Word && strings.EqualFold(t.Text, w)
}

// Lex cuts src into tokens; concatenated, their texts are src.
func Lex(src string) []Token {
	var toks []Token
	for i := 0; i < len(src); {
		kind, end, open := scanToken(src, i)
		toks = append(toks, Token{Kind: kind, Text: src[i:end], Pos: i, Open: open})
		i = end
	}
	return toks
}

// scanToken reads the token starting at src[i] and returns its kind, the
// index just past it, and whether the input ended inside it.
func scanToken(src string, i int) (kind Kind, end int, open bool) {
	c := src[i]
	next := byte(0)
	if i+1 < len(src) {
		next = src[i+1]
	}
	switch {
	case IsSpaceByte(c):
		end = i + 1
		for end < len(src) && IsSpaceByte(src[end]) {
			end++
		}
		return Space, end, false
	case c == '-' && next == '-', c == '/' && next == '/':
		end = i + 2
		for end < len(src) && src[end] != '\n' {
			end++
		}
		return Comment, end, false
	case c == '/' && next == '*':
		for end = i + 2; end+1 < len(src); end++ {
			if src[end] == '*' && src[end+1] == '/' {
				return Comment, end + 2, false
			}
		}
		return Comment, len(src), true
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
				return String, end + 1, false
			}
			return Ident, end + 1, false
		}
		if c == '\'' {
			return String, len(src), true
		}
		return Ident, len(src), true
	case c == '$' && next == '$':
		for end = i + 2; end+1 < len(src); end++ {
			if src[end] == '$' && src[end+1] == '$' {
				return Dollar, end + 2, false
			}
		}
		return Dollar, len(src), true
	case IsWordByte(c) || c >= 0x80:
		end = i + 1
		for end < len(src) && (IsWordByte(src[end]) || src[end] >= 0x80) {
			end++
		}
		return Word, end, false
	}
	return Punct, i + 1, false
}

// IsSpaceByte reports whether c is a space, tab or line break.
func IsSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// IsWordByte reports whether c can be part of a word: a letter, a digit
// or _.
func IsWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

package parser

import (
	"strings"
	"unicode/utf8"
)

// This file is the CQL lexer. It follows Cassandra's Lexer.g (4.x) token
// for token, so the parser sees what Cassandra's parser sees:
//
//   - Unquoted words are IDENT tokens; keywords are words the parser gives a
//     meaning to, matched case-insensitively. Reserved keywords (the list in
//     Cassandra's reserved_keywords.txt) can never be identifiers; every other
//     keyword can. true/false, NaN and Infinity are literals, not words.
//   - '-' glued to a digit (or to NaN, Infinity, an ISO duration) belongs to
//     the number: "a -1" is IDENT then INTEGER(-1), while "a - 1" is IDENT,
//     '-', INTEGER(1). This is why UPDATE ... SET c = c -1 needs its own rule.
//   - There is no '>>' token, so map<text, frozen<list<int>>> closes cleanly.
//
// The lexer works on byte offsets into the source and allocates nothing per
// token except the token slice itself (reused through a pool by the parser);
// names and string contents are cut out of the source lazily, and copied only
// when they need case folding or unescaping.

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tEOF      tokKind = iota
	tError            // a lexical error; the parser reports lexer.err when it reaches it
	tIdent            // unquoted word, possibly a keyword (token.kw)
	tQuoted           // "quoted identifier"
	tString           // 'string' or $$string$$
	tInt              // -?[0-9]+
	tFloat            // -?[0-9]+(.[0-9]*)?([eE][+-]?[0-9]+)?
	tBool             // true | false
	tNaN              // NaN | -NaN
	tInfinity         // Infinity | -Infinity
	tHex              // 0x[0-9a-f]*
	tUUID             // 8-4-4-4-12 hex digits
	tDuration         // 12h30m, P1DT2H, ...
	tQMark            // ?
	tColon            // :
	tSemi             // ;
	tComma            // ,
	tDot              // .
	tRange            // ..
	tLParen           // (
	tRParen           // )
	tLBracket         // [
	tRBracket         // ]
	tLBrace           // {
	tRBrace           // }
	tStar             // *
	tPlus             // +
	tMinus            // -
	tSlash            // /
	tPercent          // %
	tEq               // =
	tNeq              // !=
	tLt               // <
	tLte              // <=
	tGt               // >
	tGte              // >=
	tPlusEq           // +=
	tMinusEq          // -=
)

// tokNames are the names Cassandra's parser uses for tokens in "expecting X"
// messages (ANTLR token names: literal tokens quoted, the rest by rule name).
var tokNames = [...]string{
	tEOF:      "EOF",
	tError:    "<error>",
	tIdent:    "IDENT",
	tQuoted:   "QUOTED_NAME",
	tString:   "STRING_LITERAL",
	tInt:      "INTEGER",
	tFloat:    "FLOAT",
	tBool:     "BOOLEAN",
	tNaN:      "K_NAN",
	tInfinity: "K_INFINITY",
	tHex:      "HEXNUMBER",
	tUUID:     "UUID",
	tDuration: "DURATION",
	tQMark:    "QMARK",
	tColon:    "':'",
	tSemi:     "';'",
	tComma:    "','",
	tDot:      "'.'",
	tRange:    "RANGE",
	tLParen:   "'('",
	tRParen:   "')'",
	tLBracket: "'['",
	tRBracket: "']'",
	tLBrace:   "'{'",
	tRBrace:   "'}'",
	tStar:     "'*'",
	tPlus:     "'+'",
	tMinus:    "'-'",
	tSlash:    "'/'",
	tPercent:  "'%'",
	tEq:       "'='",
	tNeq:      "'!='",
	tLt:       "'<'",
	tLte:      "'<='",
	tGt:       "'>'",
	tGte:      "'>='",
	tPlusEq:   "'+='",
	tMinusEq:  "'-='",
}

// token is one lexeme. It is small and holds offsets, not strings.
type token struct {
	kind tokKind
	kw   keyword // for tIdent: the keyword this word is, or kwNone
	// esc is set when the text needs work before use: an unquoted word with
	// upper-case letters, a quoted name with "", a string with ''.
	esc        bool
	dollar     bool  // tString written as $$...$$
	start, end int32 // byte offsets in the source
	line       int32 // 1-based line of start
	lineStart  int32 // byte offset of the first byte of that line
}

// lexer turns source text into tokens.
type lexer struct {
	src       string
	pos       int
	line      int32
	lineStart int32
	err       *SyntaxError // the first lexical error; a tError token marks where
}

// lex appends the tokens of src to toks (normally empty, with capacity to
// reuse) and returns them, always ending with tEOF or tError.
func lex(src string, toks []token) ([]token, *SyntaxError) {
	l := lexer{src: src, line: 1}
	for {
		t := l.next()
		toks = append(toks, t)
		if t.kind == tEOF || t.kind == tError {
			return toks, l.err
		}
	}
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
func isWordChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

func (l *lexer) peekByte(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

// newline records that the byte at offset i is '\n'.
func (l *lexer) newline(i int) {
	l.line++
	l.lineStart = int32(i + 1)
}

// fail records a lexical error at byte offset at and returns the tError token.
func (l *lexer) fail(at int, msg string) token {
	if l.err == nil {
		line, col := lineCol(l.src, at)
		l.err = &SyntaxError{Line: line, Col: col, Msg: msg, AtEOF: at >= len(l.src), lexical: true}
	}
	return token{kind: tError, start: int32(at), end: int32(at), line: l.line, lineStart: l.lineStart}
}

// charDisplay renders the character at offset i the way ANTLR does in lexer
// messages: quoted, with <EOF> at the end of input.
func charDisplay(src string, i int) string {
	if i >= len(src) {
		return "'<EOF>'"
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	switch r {
	case '\n':
		return `'\n'`
	case '\r':
		return `'\r'`
	case '\t':
		return `'\t'`
	}
	return "'" + string(r) + "'"
}

// skipSpace skips whitespace and comments. It returns a tError token (and
// ok false) on an unterminated block comment.
func (l *lexer) skipSpace() (token, bool) {
	src := l.src
	for l.pos < len(src) {
		switch c := src[l.pos]; c {
		case '\n':
			l.newline(l.pos)
			l.pos++
		case ' ', '\t', '\r':
			l.pos++
		case '-', '/':
			next := l.peekByte(1)
			if next == c { // -- or // comment: to the end of the line
				i := strings.IndexByte(src[l.pos:], '\n')
				if i < 0 {
					l.pos = len(src)
				} else {
					l.pos += i // the newline is counted by the loop
				}
				continue
			}
			if c == '/' && next == '*' {
				end := strings.Index(src[l.pos+2:], "*/")
				if end < 0 {
					for i := l.pos; i < len(src); i++ {
						if src[i] == '\n' {
							l.newline(i)
						}
					}
					return l.fail(len(src), "mismatched character '<EOF>' expecting '*'"), false
				}
				stop := l.pos + 2 + end + 2
				for i := l.pos; i < stop; i++ {
					if src[i] == '\n' {
						l.newline(i)
					}
				}
				l.pos = stop
				continue
			}
			return token{}, true
		default:
			return token{}, true
		}
	}
	return token{}, true
}

// next returns the next token.
func (l *lexer) next() token {
	if t, ok := l.skipSpace(); !ok {
		return t
	}
	src := l.src
	start := l.pos
	t := token{start: int32(start), line: l.line, lineStart: l.lineStart}
	if start >= len(src) {
		t.kind = tEOF
		t.end = t.start
		return t
	}
	c := src[start]
	switch {
	case isLetter(c):
		if isUUIDAt(src, start) {
			return l.single(t, tUUID, 36)
		}
		if isISOAlternativeAt(src, start) {
			return l.single(t, tDuration, 20)
		}
		// Scan the word, hashing its lower-case form and noting capitals.
		var h uint32
		i := start
		for ; i < len(src); i++ {
			ch := src[i]
			switch {
			case 'a' <= ch && ch <= 'z', '0' <= ch && ch <= '9', ch == '_':
			case 'A' <= ch && ch <= 'Z':
				t.esc = true
				ch += 'a' - 'A'
			default:
				goto done
			}
			h = wordHash(h, ch)
		}
	done:
		l.pos = i
		t.end = int32(i)
		word := src[start:i]
		if c == 'P' && isISODuration(word) {
			t.kind = tDuration
			return t
		}
		t.kind = tIdent
		t.kw = lookupHashed(word, h)
		switch t.kw {
		case kwTrue, kwFalse:
			t.kind = tBool
		case kwNaN:
			t.kind = tNaN
		case kwInfinity:
			t.kind = tInfinity
		}
		return t
	case isDigit(c):
		if isUUIDAt(src, start) {
			return l.single(t, tUUID, 36)
		}
		if isISOAlternativeAt(src, start) {
			return l.single(t, tDuration, 20)
		}
		if c == '0' && (l.peekByte(1) == 'x' || l.peekByte(1) == 'X') {
			i := start + 2
			for i < len(src) && isHex(src[i]) {
				i++
			}
			l.pos = i
			t.kind = tHex
			t.end = int32(i)
			return t
		}
		t.kind = l.scanNumber(start)
		t.end = int32(l.pos)
		return t
	}
	switch c {
	case '\'':
		return l.scanString(t)
	case '"':
		return l.scanQuoted(t)
	case '$':
		if l.peekByte(1) != '$' {
			return l.fail(start+1, "mismatched character "+charDisplay(src, start+1)+" expecting '$'")
		}
		return l.scanDollarString(t)
	case '-':
		next := l.peekByte(1)
		if isDigit(next) {
			t.kind = l.scanNumber(start + 1)
			t.end = int32(l.pos)
			return t
		}
		if isISOAlternativeAt(src, start+1) {
			return l.single(t, tDuration, 21)
		}
		if isLetter(next) {
			i := start + 2
			for i < len(src) && isWordChar(src[i]) {
				i++
			}
			switch word := src[start+1 : i]; {
			case strings.EqualFold(word, "nan"):
				l.pos = i
				t.kind, t.end = tNaN, int32(i)
				return t
			case strings.EqualFold(word, "infinity"):
				l.pos = i
				t.kind, t.end = tInfinity, int32(i)
				return t
			case next == 'P' && isISODuration(word):
				l.pos = i
				t.kind, t.end = tDuration, int32(i)
				return t
			}
		}
		if next == '=' {
			return l.single(t, tMinusEq, 2)
		}
		return l.single(t, tMinus, 1)
	case '+':
		if l.peekByte(1) == '=' {
			return l.single(t, tPlusEq, 2)
		}
		return l.single(t, tPlus, 1)
	case '?':
		return l.single(t, tQMark, 1)
	case ':':
		return l.single(t, tColon, 1)
	case ';':
		return l.single(t, tSemi, 1)
	case ',':
		return l.single(t, tComma, 1)
	case '.':
		if l.peekByte(1) == '.' {
			return l.single(t, tRange, 2)
		}
		return l.single(t, tDot, 1)
	case '(':
		return l.single(t, tLParen, 1)
	case ')':
		return l.single(t, tRParen, 1)
	case '[':
		return l.single(t, tLBracket, 1)
	case ']':
		return l.single(t, tRBracket, 1)
	case '{':
		return l.single(t, tLBrace, 1)
	case '}':
		return l.single(t, tRBrace, 1)
	case '*':
		return l.single(t, tStar, 1)
	case '/':
		return l.single(t, tSlash, 1)
	case '%':
		return l.single(t, tPercent, 1)
	case '=':
		return l.single(t, tEq, 1)
	case '!':
		if l.peekByte(1) == '=' {
			return l.single(t, tNeq, 2)
		}
		return l.fail(start+1, "mismatched character "+charDisplay(src, start+1)+" expecting '='")
	case '<':
		if l.peekByte(1) == '=' {
			return l.single(t, tLte, 2)
		}
		return l.single(t, tLt, 1)
	case '>':
		if l.peekByte(1) == '=' {
			return l.single(t, tGte, 2)
		}
		return l.single(t, tGt, 1)
	}
	return l.fail(start, "no viable alternative at character "+charDisplay(src, start))
}

// single finishes t as a token of kind k and n bytes.
func (l *lexer) single(t token, k tokKind, n int) token {
	l.pos += n
	t.kind = k
	t.end = int32(l.pos)
	return t
}

// scanNumber scans digits starting at i (the caller has checked src[i] is a
// digit; a leading '-' is before i) and returns tInt, tFloat or tDuration.
func (l *lexer) scanNumber(i int) tokKind {
	src := l.src
	if end := scanDurationUnits(src, i); end > 0 {
		l.pos = end
		return tDuration
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	kind := tInt
	if i < len(src) && src[i] == '.' {
		// "1..2" is INTEGER RANGE INTEGER (a collection slice), but "1...2"
		// is FLOAT("1.") RANGE INTEGER, as in Lexer.g.
		if i+1 < len(src) && src[i+1] == '.' && (i+2 >= len(src) || src[i+2] != '.') {
			l.pos = i
			return tInt
		}
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		kind = tFloat
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
			kind = tFloat
		}
	}
	l.pos = i
	return kind
}

// scanDurationUnits matches DIGIT+ UNIT (DIGIT+ UNIT)* at i and returns its
// end, or -1 if src[i:] does not start with a number and a duration unit.
func scanDurationUnits(src string, i int) int {
	end := -1
	for {
		j := i
		for j < len(src) && isDigit(src[j]) {
			j++
		}
		if j == i {
			return end
		}
		k := matchDurationUnit(src, j)
		if k < 0 {
			return end
		}
		end, i = k, k
	}
}

// matchDurationUnit matches one of y mo w d h m s ms us µs ns (any case) at
// i and returns the offset after it, or -1.
func matchDurationUnit(src string, i int) int {
	if i >= len(src) {
		return -1
	}
	lower := func(j int) byte {
		if j >= len(src) {
			return 0
		}
		c := src[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	switch lower(i) {
	case 'y', 'w', 'd', 'h', 's':
		return i + 1
	case 'm':
		if n := lower(i + 1); n == 'o' || n == 's' {
			return i + 2
		}
		return i + 1
	case 'u', 'n':
		if lower(i+1) == 's' {
			return i + 2
		}
	case 0xC2: // µ is C2 B5 in UTF-8
		if i+1 < len(src) && src[i+1] == 0xB5 && lower(i+2) == 's' {
			return i + 3
		}
	}
	return -1
}

// isISODuration reports whether word (starting with 'P') is an ISO 8601
// duration in the designator format: P[nY][nM][nD][T[nH][nM][nS]] or PnW
// (isISOAlternativeAt matches the alternative format).
func isISODuration(word string) bool {
	if len(word) < 2 || word[0] != 'P' {
		return false
	}
	i := 1
	group := func() (byte, bool) { // DIGIT+ LETTER
		j := i
		for j < len(word) && isDigit(word[j]) {
			j++
		}
		if j == i || j >= len(word) {
			return 0, false
		}
		i = j + 1
		return word[j], true
	}
	if word[i] != 'T' {
		order := "YMD"
		seen := 0
		for i < len(word) && word[i] != 'T' {
			u, ok := group()
			if !ok {
				return false
			}
			if u == 'W' {
				return seen == 0 && i == len(word)
			}
			k := strings.IndexByte(order, u)
			if k < 0 {
				return false
			}
			order = order[k+1:]
			seen++
		}
		if i == len(word) {
			return seen > 0
		}
	}
	i++ // 'T'
	order := "HMS"
	seen := 0
	for i < len(word) {
		u, ok := group()
		if !ok {
			return false
		}
		k := strings.IndexByte(order, u)
		if k < 0 {
			return false
		}
		order = order[k+1:]
		seen++
	}
	return seen > 0
}

// isISOAlternativeAt reports whether src has an ISO 8601 duration in the
// alternative format, PYYYY-MM-DDThh:mm:ss, at offset i.
func isISOAlternativeAt(src string, i int) bool {
	const form = "P0000-00-00T00:00:00"
	if i+len(form) > len(src) {
		return false
	}
	for k := 0; k < len(form); k++ {
		if c := src[i+k]; form[k] == '0' && !isDigit(c) || form[k] != '0' && c != form[k] {
			return false
		}
	}
	return true
}

// isUUIDAt reports whether src has an unquoted UUID (8-4-4-4-12 hex digits)
// at offset i.
func isUUIDAt(src string, i int) bool {
	if i+36 > len(src) {
		return false
	}
	for k := 0; k < 36; k++ {
		c := src[i+k]
		switch k {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

// scanString scans a '...' literal (” is a quote) starting at t.start.
func (l *lexer) scanString(t token) token {
	src := l.src
	i := int(t.start) + 1
	for {
		j := strings.IndexByte(src[i:], '\'')
		if j < 0 {
			l.countNewlines(i, len(src))
			return l.fail(len(src), "mismatched character '<EOF>' expecting '''")
		}
		i += j
		if i+1 < len(src) && src[i+1] == '\'' {
			t.esc = true
			i += 2
			continue
		}
		break
	}
	l.countNewlines(int(t.start), i)
	l.pos = i + 1
	t.kind = tString
	t.end = int32(l.pos)
	return t
}

// scanDollarString scans a $$...$$ literal starting at t.start.
func (l *lexer) scanDollarString(t token) token {
	src := l.src
	body := int(t.start) + 2
	j := strings.Index(src[body:], "$$")
	if j < 0 {
		l.countNewlines(body, len(src))
		return l.fail(len(src), "mismatched character '<EOF>' expecting '$'")
	}
	l.countNewlines(body, body+j)
	l.pos = body + j + 2
	t.kind = tString
	t.dollar = true
	t.end = int32(l.pos)
	return t
}

// scanQuoted scans a "quoted identifier" ("" is a quote) starting at t.start.
func (l *lexer) scanQuoted(t token) token {
	src := l.src
	i := int(t.start) + 1
	for {
		j := strings.IndexByte(src[i:], '"')
		if j < 0 {
			l.countNewlines(i, len(src))
			return l.fail(len(src), `mismatched character '<EOF>' expecting '"'`)
		}
		i += j
		if i+1 < len(src) && src[i+1] == '"' {
			t.esc = true
			i += 2
			continue
		}
		break
	}
	l.countNewlines(int(t.start), i)
	l.pos = i + 1
	t.kind = tQuoted
	t.end = int32(l.pos)
	return t
}

// countNewlines advances the line counter over src[from:to].
func (l *lexer) countNewlines(from, to int) {
	for i := from; i < to; i++ {
		if l.src[i] == '\n' {
			l.newline(i)
		}
	}
}

// lineCol returns the 1-based line and 0-based character column of byte
// offset off in src, the way Cassandra (ANTLR) reports positions.
func lineCol(src string, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line = 1 + strings.Count(src[:off], "\n")
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return line, utf8.RuneCountInString(src[start:off])
}

// tokenCol returns the 0-based character column of t.
func tokenCol(src string, t token) int {
	return utf8.RuneCountInString(src[t.lineStart:t.start])
}

// identName returns the name an identifier token stands for: unquoted words
// folded to lower case, quoted names with "" unescaped.
func identName(src string, t token) string {
	s := src[t.start:t.end]
	switch t.kind {
	case tQuoted:
		s = s[1 : len(s)-1]
		if t.esc {
			s = strings.ReplaceAll(s, `""`, `"`)
		}
	case tIdent:
		if t.esc {
			s = strings.ToLower(s)
		}
	}
	return s
}

// stringValue returns the contents of a tString token.
func stringValue(src string, t token) string {
	s := src[t.start:t.end]
	if t.dollar {
		return s[2 : len(s)-2]
	}
	s = s[1 : len(s)-1]
	if t.esc {
		s = strings.ReplaceAll(s, "''", "'")
	}
	return s
}

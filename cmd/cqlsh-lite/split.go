package main

import "strings"

// newlineCommands are the shell commands that a newline ends as well as a
// ';' (cqlsh's commands_end_with_newline): "EXIT" on its own line is
// complete, "SELECT" is not.
var newlineCommands = map[string]bool{
	"help": true, "?": true, "consistency": true, "serial": true, "describe": true,
	"desc": true, "show": true, "source": true, "capture": true, "login": true,
	"debug": true, "tracing": true, "expand": true, "paging": true, "exit": true,
	"quit": true, "clear": true, "cls": true, "history": true,
}

// splitState is where the scanner is: in plain text, or inside a string, a
// quoted identifier, a $$ string or a comment.
type splitState int

const (
	inText splitState = iota
	inString
	inIdent
	inDollar
	inLineComment
	inBlockComment
)

// splitStatements cuts src into complete statements. A statement ends at a
// ';' outside strings (a quote doubled inside), quoted identifiers, $$ strings
// and comments (--, //, /* */); a shell command of newlineCommands also
// ends at a newline. Comments are dropped from the statements, which come
// back trimmed and without their ';'; empty ones are skipped.
//
// rest is the raw text after the last complete statement, to be given back
// with the next line; open reports whether it holds the start of a
// statement (or an unclosed comment or string), for which the shell shows
// its continuation prompt. When open is false, rest is empty.
//
// The scanner keeps no state between calls: the caller hands rest back in
// front of the next line, and the scan starts again at a statement start.
func splitStatements(src string) (stmts []string, rest string, open bool) {
	var cur strings.Builder
	state := inText
	start := 0 // index in src where the current statement began
	emit := func(end int) {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
		start = end
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		next := byte(0)
		if i+1 < len(src) {
			next = src[i+1]
		}
		switch state {
		case inString, inIdent:
			cur.WriteByte(c)
			quote := byte('\'')
			if state == inIdent {
				quote = '"'
			}
			if c == quote {
				if next == quote { // doubled quote: an escaped one
					cur.WriteByte(next)
					i++
				} else {
					state = inText
				}
			}
		case inDollar:
			cur.WriteByte(c)
			if c == '$' && next == '$' {
				cur.WriteByte(next)
				i++
				state = inText
			}
		case inLineComment:
			if c == '\n' {
				state = inText
				i-- // the newline may end a shell command
			}
		case inBlockComment:
			if c == '*' && next == '/' {
				i++
				state = inText
				cur.WriteByte(' ')
			}
		case inText:
			switch {
			case c == '\'':
				state = inString
				cur.WriteByte(c)
			case c == '"':
				state = inIdent
				cur.WriteByte(c)
			case c == '$' && next == '$':
				state = inDollar
				cur.WriteString("$$")
				i++
			case c == '-' && next == '-', c == '/' && next == '/':
				state = inLineComment
				i++
			case c == '/' && next == '*':
				state = inBlockComment
				i++
			case c == ';':
				emit(i + 1)
			case c == '\n' && newlineCommands[firstWord(cur.String())]:
				emit(i + 1)
			default:
				cur.WriteByte(c)
			}
		}
	}
	switch {
	case state == inString, state == inIdent, state == inDollar, state == inBlockComment:
		return stmts, src[start:], true
	case strings.TrimSpace(cur.String()) != "":
		return stmts, src[start:], true
	}
	return stmts, "", false
}

// firstWord returns the lower-cased leading word of s (letters, digits, _,
// or a lone "?"), skipping leading space.
func firstWord(s string) string {
	s = strings.TrimLeft(s, " \t\r\n")
	if strings.HasPrefix(s, "?") {
		return "?"
	}
	end := 0
	for end < len(s) && isWordByte(s[end]) {
		end++
	}
	return strings.ToLower(s[:end])
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

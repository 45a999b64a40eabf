package cqllex

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

// batchPhase is how far a statement has got through BEGIN [UNLOGGED |
// COUNTER] BATCH … APPLY BATCH, whose inner ';' do not end it.
type batchPhase int

const (
	notBatch     batchPhase = iota
	batchBegin              // BEGIN: BATCH, UNLOGGED or COUNTER may follow
	batchKind               // BEGIN UNLOGGED or COUNTER: BATCH must follow
	inBatch                 // inside the batch: ';' separates its statements
	batchApply              // APPLY inside the batch: BATCH would close it
	batchApplied            // APPLY BATCH: the next ';' ends the statement
)

// stmtState follows the significant tokens of the statement being read,
// enough to tell where it ends.
type stmtState struct {
	n     int    // significant tokens so far
	first string // the first one, lower-cased
	batch batchPhase
}

func (s *stmtState) see(t Token) {
	s.n++
	if s.n == 1 {
		s.first = strings.ToLower(t.Text)
		if t.Is("begin") {
			s.batch = batchBegin
		}
		return
	}
	switch s.batch {
	case batchBegin:
		switch {
		case t.Is("unlogged"), t.Is("counter"):
			s.batch = batchKind
		case t.Is("batch"):
			s.batch = inBatch
		default:
			s.batch = notBatch
		}
	case batchKind:
		if t.Is("batch") {
			s.batch = inBatch
		} else {
			s.batch = notBatch
		}
	case inBatch, batchApply:
		switch {
		case t.Is("apply"):
			s.batch = batchApply
		case s.batch == batchApply && t.Is("batch"):
			s.batch = batchApplied
		default:
			s.batch = inBatch
		}
	}
}

// semicolonEnds reports whether a ';' here ends the statement: anywhere
// but inside a batch.
func (s *stmtState) semicolonEnds() bool { return s.batch != inBatch && s.batch != batchApply }

// newlineEnds reports whether a newline here ends the statement: after
// a shell command of newlineCommands.
func (s *stmtState) newlineEnds() bool { return s.n > 0 && newlineCommands[s.first] }

// Split cuts src into complete statements, by the tokens of Lex.
// A statement ends at a ';' outside strings, quoted identifiers, $$ strings
// and comments, except inside BEGIN [UNLOGGED | COUNTER] BATCH … APPLY
// BATCH: a batch is one statement, inner ';' and all, which the node
// applies as a whole or not at all; the ';' after APPLY BATCH ends it. A
// shell command of newlineCommands also ends at a newline. Comments are
// dropped from the statements (a block comment leaves a space), which come
// back trimmed and without their final ';'; empty ones are skipped.
//
// rest is the raw text after the last complete statement, to be given back
// with the next line; open reports whether it holds the start of a
// statement (or an unclosed comment or string), for which the shell shows
// its continuation prompt. When open is false, rest is empty.
//
// The scanner keeps no state between calls: the caller hands rest back in
// front of the next line, and the scan starts again at a statement start.
func Split(src string) (stmts []string, rest string, open bool) {
	var cur strings.Builder
	var st stmtState
	start := 0 // index in src where the current statement began
	emit := func(end int) {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
		st = stmtState{}
		start = end
	}
	for _, t := range Lex(src) {
		switch {
		case t.Open:
			return stmts, src[start:], true
		case t.Kind == Comment:
			if strings.HasPrefix(t.Text, "/*") {
				cur.WriteByte(' ') // keeps the words on either side apart
			}
			continue
		case t.Kind == Punct && t.Text == ";" && st.semicolonEnds():
			emit(t.Pos + 1)
			continue
		case t.Kind == Space && st.newlineEnds():
			if nl := strings.IndexByte(t.Text, '\n'); nl >= 0 {
				emit(t.Pos + nl + 1)
				continue
			}
		case t.Significant():
			st.see(t)
		}
		cur.WriteString(t.Text)
	}
	if strings.TrimSpace(cur.String()) != "" {
		return stmts, src[start:], true
	}
	return stmts, "", false
}

// FirstWord returns the lower-cased leading word of s (letters, digits, _,
// or a lone "?"), skipping leading space.
func FirstWord(s string) string {
	s = strings.TrimLeft(s, " \t\r\n")
	if strings.HasPrefix(s, "?") {
		return "?"
	}
	end := 0
	for end < len(s) && IsWordByte(s[end]) {
		end++
	}
	return strings.ToLower(s[:end])
}

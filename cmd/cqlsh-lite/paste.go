package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// Pasted tabs. liner takes a tab for completion (and drops it when there
// is none), so a tab pasted inside a string literal would be lost. The
// shell asks the terminal for bracketed paste (pasted text arrives between
// ESC[200~ and ESC[201~), and a filter between the terminal and liner drops
// the markers and turns each tab between them into pastedTab, which liner
// inserts like any other character; the shell turns it back into a tab.
// A terminal without bracketed paste sends no markers: its pasted tabs
// complete, as they do in cqlsh.

const (
	pasteStart = "\x1b[200~"
	pasteEnd   = "\x1b[201~"
	// pastedTab stands for a pasted tab while the line is edited: a
	// private-use character, one column wide, that nobody types.
	pastedTab = '\uE009'
	// bracketedPasteOn and Off switch the terminal's bracketed paste.
	bracketedPasteOn  = "\x1b[?2004h"
	bracketedPasteOff = "\x1b[?2004l"
)

// pasteFilter returns a pipe that carries what r reads through a
// pasteState. Its goroutine ends when r ends or fails, or when the pipe is
// closed and the next input arrives; reading the terminal cannot be
// interrupted, so the shell leaves it running until it exits.
func pasteFilter(r io.Reader) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		defer pw.Close()
		var p pasteState
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := pw.Write(p.filter(buf[:n])); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return pr, nil
}

// pasteState follows the paste markers across reads. A marker split
// between two reads passes through (liner ignores it as an unknown key):
// terminals write each one whole.
type pasteState struct{ pasting bool }

func (p *pasteState) filter(b []byte) []byte {
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		switch {
		case bytes.HasPrefix(b[i:], []byte(pasteStart)):
			p.pasting = true
			i += len(pasteStart)
		case bytes.HasPrefix(b[i:], []byte(pasteEnd)):
			p.pasting = false
			i += len(pasteEnd)
		case p.pasting && b[i] == '\t':
			out = utf8.AppendRune(out, pastedTab)
			i++
		default:
			out = append(out, b[i])
			i++
		}
	}
	return out
}

// fromEditor turns the stand-ins of pasted tabs back into tabs;
// toEditor does the reverse, for history entries recalled into the
// editor, where a real tab would throw out its cursor arithmetic.
func fromEditor(s string) string { return strings.ReplaceAll(s, string(pastedTab), "\t") }

func toEditor(s string) string { return strings.ReplaceAll(s, "\t", string(pastedTab)) }

// isTerminalOutput reports whether f looks like a terminal, for the
// escape sequences the shell writes to it (a character device: a
// terminal, or /dev/null where they do no harm).
func isTerminalOutput(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
